//! Typed errors of the vault. Messages are lowercase, quote only entry names and paths, and
//! never include key material or secret values (checked by a test that formats every variant).

use std::path::PathBuf;

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The entry name is not `[A-Za-z0-9_.-]{1,64}`.
    #[error("invalid secret name {0:?}: expected 1-64 characters from [A-Za-z0-9_.-]")]
    InvalidName(String),
    /// No entry with that name.
    #[error("no secret named {0:?} in the vault")]
    NotFound(String),
    /// The environment variable holds something other than base64 of 32 bytes.
    #[error("PALISADE_MASTER_KEY is not standard base64 of exactly 32 bytes")]
    BadMasterKeyEnv,
    /// The key file's content is not base64 of 32 bytes.
    #[error("master key file {0} is not standard base64 of exactly 32 bytes")]
    BadMasterKeyFile(PathBuf),
    /// The key file can be read by group or others.
    #[error("master key file {path} has mode {mode:o}; refusing to use a key readable by group or others (chmod 600)")]
    InsecureKeyFile {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The master key does not match the one the vault was sealed with.
    #[error(
        "wrong master key: vault.json was sealed with key {expected}, the key in use is {actual}"
    )]
    WrongMasterKey {
        /// Fingerprint recorded in vault.json.
        expected: String,
        /// Fingerprint of the key in use.
        actual: String,
    },
    /// AEAD authentication failed for an entry: the ciphertext, its nonce or its name was altered.
    #[error("secret {0:?} failed authentication: ciphertext altered or moved from another name")]
    Tampered(String),
    /// A wrapped key failed to unwrap (wrong label, altered bytes or another vault).
    #[error("wrapped key for label {0:?} failed to unwrap: altered, wrong label or another vault")]
    UnwrapFailed(String),
    /// vault.json is not valid.
    #[error("vault file {path} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong (structure only, never values).
        reason: String,
    },
    /// Rotation needs a key file it can replace; an external key is rotated by its owner.
    #[error("cannot rotate: the master key is managed outside the vault (PALISADE_MASTER_KEY or caller-provided); rotate it there")]
    ExternalMasterKey,
    /// An I/O operation failed.
    #[error("vault i/o error on {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl VaultError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        VaultError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
