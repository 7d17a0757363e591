//! Typed errors of the audit log's operations (open, append, read, proofs). Verification
//! failures have their own type, [`crate::verify::VerifyError`], which names the bad index.

use std::path::{Path, PathBuf};

/// Errors of opening, writing and reading the log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// An I/O operation failed.
    #[error("audit i/o error on {path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A key file is missing, malformed, loose or for another log.
    #[error("audit key error: {0}")]
    Key(String),
    /// The data key could not be unwrapped or used.
    #[error("audit data key error: {0}")]
    DataKey(String),
    /// The on-disk log is inconsistent in a way open refuses to repair.
    #[error("audit log corrupt: {0}")]
    Corrupt(String),
    /// The configuration is unusable.
    #[error("invalid audit config: {0}")]
    Config(String),
    /// A requested index or size is outside the log.
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// The log stopped accepting writes after an error (fail closed).
    #[error("audit log failed and is closed: {0}")]
    Failed(String),
    /// An entry could not be decoded or decrypted.
    #[error("entry {index}: {reason}")]
    Entry {
        /// Log index.
        index: u64,
        /// What is wrong.
        reason: String,
    },
}

impl AuditError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        AuditError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
