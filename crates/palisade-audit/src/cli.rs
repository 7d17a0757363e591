//! Handlers for the `palisade audit ...` subcommands: each takes parsed arguments and returns
//! the text to print (or writes the export), so the binary only parses and prints.

use crate::checkpoint::read_verifier_key;
use crate::error::AuditError;
use crate::export::{export, ExportFormat};
use crate::reader::LogReader;
use crate::render::{render_entry, render_report, render_trust_report, SELF_CONSISTENCY_WARNING};
use crate::trust::{verify_with_trust, OutsideTrust};
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
    /// Verification was asked for without trust from outside the directory (exit non-zero).
    #[error("{0}")]
    NoOutsideTrust(String),
}

/// Arguments of `palisade audit verify`.
#[derive(Debug, Clone, Default)]
pub struct VerifyArgs {
    /// `--trusted-checkpoint FILE` (repeatable): signed notes obtained out of band.
    pub trusted_checkpoints: Vec<std::path::PathBuf>,
    /// `--verifier-key VKEY`: the log's pinned key.
    pub verifier_key: Option<String>,
    /// `--witness-key VKEY` (repeatable).
    pub witness_keys: Vec<String>,
    /// `--quorum N` (default 1 with witness keys).
    pub quorum: Option<usize>,
    /// `--self-consistency-only`: accept a check without outside trust (printed loudly).
    pub self_consistency_only: bool,
}

/// `palisade audit verify`: with outside trust (a pinned key plus trusted checkpoints or
/// witness cosignatures) unless `--self-consistency-only` is given, which is said loudly.
pub fn verify_cmd(data_dir: &Path, args: &VerifyArgs) -> Result<String, AuditCliError> {
    let outside = !args.trusted_checkpoints.is_empty() || !args.witness_keys.is_empty();
    if !outside {
        if !args.self_consistency_only {
            return Err(AuditCliError::NoOutsideTrust(
                "no outside trust given: only self-consistency could be checked, which an attacker who can write the data directory also passes; give --verifier-key with --trusted-checkpoint FILE or --witness-key VKEY --quorum N (or --self-consistency-only to accept that)".into(),
            ));
        }
        let trusted = match &args.verifier_key {
            Some(k) => {
                let p = crate::audit_dir(data_dir).join(crate::recover::LATEST_CHECKPOINT_FILE);
                let note = std::fs::read_to_string(&p).map_err(|e| AuditError::io(&p, e))?;
                Some(TrustedCheckpoint {
                    note,
                    verifier_key: k.clone(),
                })
            }
            None => None,
        };
        let report = render_report(&verify(data_dir, trusted.as_ref())?);
        return Ok(format!("{SELF_CONSISTENCY_WARNING}{report}"));
    }
    let verifier_key = args.verifier_key.clone().ok_or_else(|| {
        AuditCliError::NoOutsideTrust(
            "--verifier-key is required with outside trust: the key inside the directory proves nothing".into(),
        )
    })?;
    let mut checkpoints = Vec::new();
    for p in &args.trusted_checkpoints {
        checkpoints.push(std::fs::read_to_string(p).map_err(|e| AuditError::io(p, e))?);
    }
    let trust = OutsideTrust {
        verifier_key,
        checkpoints,
        witnesses: args.witness_keys.clone(),
        quorum: args.quorum.unwrap_or(1),
    };
    Ok(render_trust_report(&verify_with_trust(data_dir, &trust)?))
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
