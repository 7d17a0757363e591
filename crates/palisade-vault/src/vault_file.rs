//! The on-disk form of the vault, `<data_dir>/vault.json`: a key-check fingerprint, the sealed
//! key-encryption key, and one sealed record per entry. Only ciphertext and public metadata
//! are ever serialized.

use crate::error::VaultError;
use crate::files;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Format version written today.
pub(crate) const VERSION: u32 = 1;

/// One AEAD output: nonce and ciphertext with tag, both base64.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sealed {
    pub nonce: String,
    pub ct: String,
}

impl Sealed {
    pub(crate) fn new(nonce: &[u8], ct: &[u8]) -> Self {
        Sealed {
            nonce: STANDARD.encode(nonce),
            ct: STANDARD.encode(ct),
        }
    }

    /// Decoded (nonce, ciphertext); `None` when the base64 is broken.
    pub(crate) fn decode(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        Some((
            STANDARD.decode(&self.nonce).ok()?,
            STANDARD.decode(&self.ct).ok()?,
        ))
    }
}

/// One entry as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredEntry {
    pub created_at_ms: u64,
    #[serde(flatten)]
    pub sealed: Sealed,
}

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VaultFile {
    pub version: u32,
    /// Fingerprint of the master key that sealed this file.
    pub key_check: String,
    /// The key-encryption key behind `wrap_key`, sealed under the master key.
    pub kek: Sealed,
    pub entries: BTreeMap<String, StoredEntry>,
}

impl VaultFile {
    /// Reads the file; `Ok(None)` when it does not exist yet.
    pub(crate) fn load(path: &Path) -> Result<Option<VaultFile>, VaultError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(VaultError::io(path, e)),
        };
        let file: VaultFile = serde_json::from_slice(&bytes).map_err(|e| VaultError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("not valid vault json: {e}"),
        })?;
        if file.version != VERSION {
            return Err(VaultError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("unsupported version {}", file.version),
            });
        }
        Ok(Some(file))
    }

    /// Writes the file atomically (temp + fsync + rename + directory fsync), mode 0600.
    pub(crate) fn save(&self, path: &Path) -> Result<(), VaultError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| VaultError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("cannot serialize: {e}"),
        })?;
        files::write_atomic(path, &bytes)
    }
}
