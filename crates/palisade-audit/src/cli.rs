//! Handlers for the `palisade audit ...` subcommands: each takes parsed arguments and returns
//! the text to print (or writes the export), so the binary only parses and prints.

use crate::checkpoint::read_verifier_key;
use crate::error::AuditError;
use crate::export::{export, ExportFormat};
use crate::reader::LogReader;
use crate::render::{render_entry, render_report};
use crate::verify::{verify, TrustedCheckpoint, VerifyError};
use palisade_vault::Vault;
use std::io::Write;
use std::path::Path;

/// Errors of the CLI handlers.
#[derive(Debug, thiserror::Error)]
pub enum AuditCliError {
    /// Reading or writing the log failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// Verification found a problem (the binary should exit non-zero).
    #[error("verification failed: {0}")]
    Verify(#[from] VerifyError),
}

/// `palisade audit verify [--trusted-checkpoint FILE] [--key VKEY]`. With a trusted
/// checkpoint file and no key, the log's own `checkpoint.vkey` is used to check it.
pub fn verify_cmd(
    data_dir: &Path,
    trusted_checkpoint: Option<&Path>,
    verifier_key: Option<&str>,
) -> Result<String, AuditCliError> {
    let trusted = match (trusted_checkpoint, verifier_key) {
        (None, None) => None,
        (note, key) => {
            let verifier_key = match key {
                Some(k) => k.to_string(),
                None => read_verifier_key(data_dir)?.to_vkey(),
            };
            let note = match note {
                Some(p) => std::fs::read_to_string(p).map_err(|e| AuditError::io(p, e))?,
                // A key alone: pin it, and trust the log's newest checkpoint signed by it.
                None => {
                    let p = crate::audit_dir(data_dir).join(crate::recover::LATEST_CHECKPOINT_FILE);
                    std::fs::read_to_string(&p).map_err(|e| AuditError::io(&p, e))?
                }
            };
            Some(TrustedCheckpoint { note, verifier_key })
        }
    };
    Ok(render_report(&verify(data_dir, trusted.as_ref())?))
}

/// `palisade audit tail [-n N]`; decrypts sealed parts when the vault is given.
pub fn tail_cmd(data_dir: &Path, n: u64, vault: Option<&Vault>) -> Result<String, AuditCliError> {
    let r = LogReader::open(data_dir, vault)?;
    Ok(r.tail(n)?.iter().map(render_entry).collect())
}

/// `palisade audit show N`.
pub fn show_cmd(
    data_dir: &Path,
    index: u64,
    vault: Option<&Vault>,
) -> Result<String, AuditCliError> {
    Ok(render_entry(
        &LogReader::open(data_dir, vault)?.show(index)?,
    ))
}

/// `palisade audit proof inclusion N [--size S]` (default: the current size), text format of
/// [`crate::proof`].
pub fn proof_inclusion_cmd(
    data_dir: &Path,
    index: u64,
    size: Option<u64>,
) -> Result<String, AuditCliError> {
    let r = LogReader::open(data_dir, None)?;
    Ok(r.inclusion_proof(index, size.unwrap_or(r.size()))?
        .to_text())
}

/// `palisade audit proof consistency A B`.
pub fn proof_consistency_cmd(
    data_dir: &Path,
    size1: u64,
    size2: u64,
) -> Result<String, AuditCliError> {
    Ok(LogReader::open(data_dir, None)?
        .consistency_proof(size1, size2)?
        .to_text())
}

/// `palisade audit export --format ocsf|jsonl`; returns the number of entries written.
pub fn export_cmd(
    data_dir: &Path,
    format: ExportFormat,
    vault: Option<&Vault>,
    out: &mut dyn Write,
) -> Result<u64, AuditCliError> {
    Ok(export(&LogReader::open(data_dir, vault)?, format, out)?)
}

/// `palisade audit key`: the checkpoint verifier key (C2SP vkey) of the log.
pub fn key_cmd(data_dir: &Path) -> Result<String, AuditCliError> {
    Ok(format!("{}\n", read_verifier_key(data_dir)?.to_vkey()))
}
