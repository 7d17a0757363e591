//! The admin credential: a random secret kept 0600 in the data dir, compared in constant time
//! (on SHA-256 digests, so length differences leak nothing either).

use crate::jose::b64e;
use crate::keys::write_private;
use sha2::{Digest, Sha256};
use std::path::Path;
use subtle::ConstantTimeEq;

/// File name inside the data dir.
pub const ADMIN_CREDENTIAL_FILE: &str = "admin.credential";

/// The admin credential (only its digest is kept in memory).
#[derive(Clone)]
pub struct AdminCredential {
    digest: [u8; 32],
}

impl std::fmt::Debug for AdminCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminCredential(<redacted>)")
    }
}

impl AdminCredential {
    /// Loads `<data_dir>/admin.credential`, creating a fresh one (0600) if absent.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(ADMIN_CREDENTIAL_FILE);
        match std::fs::read_to_string(&path) {
            Ok(s) => Ok(Self::from_secret(s.trim())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = format!("pak_{}", b64e(&rand::random::<[u8; 32]>()));
                write_private(&path, secret.as_bytes())?;
                Ok(Self::from_secret(&secret))
            }
            Err(e) => Err(e),
        }
    }

    /// From a known secret (tests, config).
    pub fn from_secret(secret: &str) -> Self {
        Self {
            digest: Sha256::digest(secret.as_bytes()).into(),
        }
    }

    /// Whether `presented` (raw, or `Bearer <secret>`) is the credential.
    pub fn matches(&self, presented: &str) -> bool {
        let p = presented.trim();
        let p = p.strip_prefix("Bearer ").unwrap_or(p).trim();
        let d: [u8; 32] = Sha256::digest(p.as_bytes()).into();
        bool::from(d.ct_eq(&self.digest))
    }
}
