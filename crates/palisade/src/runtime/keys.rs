//! Per-deployment keys that several commands must agree on. The inspection hash key keys the
//! HMAC of every finding, the exact-data-match index and the document fingerprints; `serve`,
//! `inspect`, `protect add` and the demo must all use the same one, so it lives sealed in the
//! vault and is created once.

use anyhow::{Context, Result};
use palisade_vault::{Vault, VaultError};
use rand_core::{OsRng, RngCore};
use secrecy::{ExposeSecret, SecretString};

/// Vault entry holding the inspection hash key (hex).
pub const INSPECT_HASH_KEY: &str = "palisade.inspect-hash-key";

/// Vault entry holding the DPoP server-nonce key (hex): sealed, so that whoever reads the data
/// directory cannot mint nonces, and stable, so that nonces survive a restart.
pub const DPOP_NONCE_KEY: &str = "palisade.dpop-nonce-key";

/// The deployment's inspection hash key, created on first use.
pub fn inspect_hash_key(vault: &Vault) -> Result<[u8; 32]> {
    sealed_key(vault, INSPECT_HASH_KEY, "inspection hash key")
}

/// The deployment's DPoP server-nonce key, created on first use.
pub fn dpop_nonce_key(vault: &Vault) -> Result<[u8; 32]> {
    sealed_key(vault, DPOP_NONCE_KEY, "DPoP nonce key")
}

/// A 32-byte key sealed in the vault under `name`, created on first use.
fn sealed_key(vault: &Vault, name: &str, what: &str) -> Result<[u8; 32]> {
    match vault.get(name) {
        Ok(hex) => {
            let mut key = [0u8; 32];
            let bytes = decode_hex(hex.expose_secret())
                .with_context(|| format!("the {what} in the vault is corrupt"))?;
            if bytes.len() != 32 {
                anyhow::bail!("the {what} in the vault has the wrong length");
            }
            key.copy_from_slice(&bytes);
            Ok(key)
        }
        Err(VaultError::NotFound(_)) => {
            let mut key = [0u8; 32];
            OsRng.fill_bytes(&mut key);
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            vault
                .put(name, SecretString::from(hex))
                .with_context(|| format!("storing the {what}"))?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading the {what}")),
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_then_stable() {
        let dir = tempfile::tempdir().unwrap();
        let vault =
            Vault::open_with_master_key(dir.path(), zeroize::Zeroizing::new([7u8; 32])).unwrap();
        let a = inspect_hash_key(&vault).unwrap();
        let b = inspect_hash_key(&vault).unwrap();
        assert_eq!(a, b);
        let n = dpop_nonce_key(&vault).unwrap();
        assert_eq!(n, dpop_nonce_key(&vault).unwrap());
        assert_ne!(n, a, "one key per purpose");
        assert_ne!(a, [0u8; 32]);
    }
}
