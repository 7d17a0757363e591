//! Typed errors of the scanner. Messages are lowercase, name the file or input, and never
//! carry key material.

use std::path::PathBuf;

/// Why a scan, an import or an attestation failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading a file or directory failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Writing an output failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A path given to scan does not exist.
    #[error("scan path {0} does not exist")]
    MissingPath(PathBuf),
    /// An advisory file could not be parsed.
    #[error("invalid advisory {path}: {reason}")]
    Advisory {
        /// The advisory file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] palisade_store::StoreError),
    /// The baseline file is invalid.
    #[error("invalid baseline {path}: {reason}")]
    Baseline {
        /// The baseline path.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The attestation key file is unusable (content never echoed).
    #[error("invalid attestation key {path}: {reason}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What was wrong, without key bytes.
        reason: &'static str,
    },
    /// Serializing an output failed.
    #[error("cannot serialize {what}: {reason}")]
    Serialize {
        /// What was being serialized.
        what: &'static str,
        /// The serializer's message.
        reason: String,
    },
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
}

impl ScanError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}
