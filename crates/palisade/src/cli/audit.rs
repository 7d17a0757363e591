//! `palisade audit verify|tail|show|proof|export|key`: the tamper-evident log in the data dir,
//! through the handlers of `palisade_audit::cli`. Verification failure exits 1 and names the
//! first bad index; sealed parts are decrypted only when the data dir's vault opens.

use super::location::Location;
use super::Failed;
use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use palisade_audit::{AuditCliError, ExportFormat};
use std::io::Write;
use std::path::PathBuf;

/// `palisade audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry, the Merkle tree and every signed checkpoint against trust from
    /// outside the directory (exit 1 on tampering, rollback, fork, or no outside trust).
    Verify {
        /// A checkpoint (signed note, may carry cosignatures) obtained out of band, e.g. the
        /// witness's latest record: the log must extend it (repeatable).
        #[arg(long)]
        trusted_checkpoint: Vec<PathBuf>,
        /// The log's pinned verifier key (C2SP vkey), kept outside the data directory.
        #[arg(long)]
        verifier_key: Option<String>,
        /// A witness key (C2SP cosignature/v1 vkey) whose cosignatures count (repeatable).
        #[arg(long)]
        witness_key: Vec<String>,
        /// Cosignatures a checkpoint needs to count as witnessed (default 1).
        #[arg(long)]
        quorum: Option<usize>,
        /// Accept a check of self-consistency only (the directory's own key): says so loudly.
        #[arg(long)]
        self_consistency_only: bool,
        #[command(flatten)]
        at: Location,
    },
    /// Print the newest entries.
    Tail {
        /// How many entries.
        #[arg(short = 'n', default_value_t = 10)]
        n: u64,
        #[command(flatten)]
        at: Location,
    },
    /// Print one entry.
    Show {
        /// Entry index (from 0).
        index: u64,
        #[command(flatten)]
        at: Location,
    },
    /// Print an inclusion or consistency proof (RFC 6962, text format of palisade-audit).
    #[command(subcommand)]
    Proof(ProofCommand),
    /// Write every entry to stdout for a SIEM.
    Export {
        /// `ocsf` (OCSF API Activity events) or `jsonl` (stored entries).
        #[arg(long, value_enum)]
        format: ExportArg,
        #[command(flatten)]
        at: Location,
    },
    /// Print the checkpoint verifier key (C2SP vkey).
    Key {
        #[command(flatten)]
        at: Location,
    },
}

/// `palisade audit proof ...`
#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    /// Proof that entry N is in the tree of size S.
    Inclusion {
        /// Entry index.
        index: u64,
        /// Tree size (default: the current size).
        #[arg(long)]
        size: Option<u64>,
        #[command(flatten)]
        at: Location,
    },
    /// Proof that the tree of size A is a prefix of the tree of size B.
    Consistency {
        /// Older size.
        a: u64,
        /// Newer size.
        b: u64,
        #[command(flatten)]
        at: Location,
    },
}

/// Export formats on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportArg {
    /// OCSF API Activity (class 6003), one JSON object per line.
    Ocsf,
    /// One stored entry per line.
    Jsonl,
}

/// Maps a handler error: a verification problem is a finding (exit 1), the rest is internal.
fn map_err(e: AuditCliError) -> anyhow::Error {
    match e {
        AuditCliError::Verify(v) => {
            let at = v
                .first_bad_index()
                .map(|i| format!(" (first bad index: {i})"))
                .unwrap_or_default();
            Failed(format!("audit log verification failed: {v}{at}")).into()
        }
        AuditCliError::NoOutsideTrust(m) => Failed(format!("audit log not verified: {m}")).into(),
        other => other.into(),
    }
}

fn print(s: String) {
    print!("{s}");
}

/// Runs an audit subcommand.
pub fn run(cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Verify {
            trusted_checkpoint,
            verifier_key,
            witness_key,
            quorum,
            self_consistency_only,
            at,
        } => {
            let dir = at.data_dir()?;
            let args = palisade_audit::VerifyArgs {
                trusted_checkpoints: trusted_checkpoint,
                verifier_key,
                witness_keys: witness_key,
                quorum,
                self_consistency_only,
            };
            print(palisade_audit::verify_cmd(&dir, &args).map_err(map_err)?);
        }
        AuditCommand::Tail { n, at } => {
            let r = at.resolve()?;
            let vault = r.existing_vault()?;
            print(palisade_audit::tail_cmd(&r.data_dir, n, vault.as_ref()).map_err(map_err)?);
        }
        AuditCommand::Show { index, at } => {
            let r = at.resolve()?;
            let vault = r.existing_vault()?;
            print(palisade_audit::show_cmd(&r.data_dir, index, vault.as_ref()).map_err(map_err)?);
        }
        AuditCommand::Proof(ProofCommand::Inclusion { index, size, at }) => {
            let dir = at.data_dir()?;
            print(palisade_audit::proof_inclusion_cmd(&dir, index, size).map_err(map_err)?);
        }
        AuditCommand::Proof(ProofCommand::Consistency { a, b, at }) => {
            let dir = at.data_dir()?;
            print(palisade_audit::proof_consistency_cmd(&dir, a, b).map_err(map_err)?);
        }
        AuditCommand::Export { format, at } => {
            let r = at.resolve()?;
            let vault = r.existing_vault()?;
            let format = match format {
                ExportArg::Ocsf => ExportFormat::Ocsf,
                ExportArg::Jsonl => ExportFormat::Jsonl,
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let n = palisade_audit::export_cmd(&r.data_dir, format, vault.as_ref(), &mut out)
                .map_err(map_err)?;
            out.flush()?;
            eprintln!("exported {n} entries");
        }
        AuditCommand::Key { at } => {
            print(palisade_audit::key_cmd(&at.data_dir()?).map_err(map_err)?);
        }
    }
    Ok(())
}
