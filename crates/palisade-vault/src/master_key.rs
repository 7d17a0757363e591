//! Where the master key comes from: `PALISADE_MASTER_KEY` (base64 of 32 bytes) when set, else
//! the file named by `PALISADE_MASTER_KEY_FILE` (the operator mode that keeps the key on
//! another mount with other ownership, off the data disk; see docs/audit-witness.md), else
//! `<data_dir>/master.key`. A key file is created on first use with 32 random bytes and mode 0600. A key file
//! readable by group or others is refused rather than silently fixed: someone else may already
//! have read it, and the operator must know.

use crate::error::VaultError;
use crate::files;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Environment variable holding the master key (standard base64 of exactly 32 bytes).
pub const MASTER_KEY_ENV: &str = "PALISADE_MASTER_KEY";
/// Environment variable naming the master key file when it lives outside the data directory.
pub const MASTER_KEY_FILE_ENV: &str = "PALISADE_MASTER_KEY_FILE";

/// A 256-bit master key, wiped from memory on drop.
pub type MasterKey = Zeroizing<[u8; 32]>;

/// Where the vault's master key lives; decides whether [`crate::Vault::rotate_master`] may
/// replace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// `PALISADE_MASTER_KEY`; rotated by whoever manages the environment.
    Env,
    /// A key file owned by the vault.
    File(PathBuf),
    /// Given by the caller ([`crate::Vault::open_with_master_key`]); not rotatable here.
    Provided,
}

/// Decodes standard base64 that must hold exactly 32 bytes.
pub(crate) fn decode_key(text: &str) -> Option<MasterKey> {
    let raw = Zeroizing::new(STANDARD.decode(text.trim().as_bytes()).ok()?);
    let mut key = Zeroizing::new([0u8; 32]);
    if raw.len() != key.len() {
        return None;
    }
    key.copy_from_slice(&raw);
    Some(key)
}

/// Encodes a key as it is stored in the key file.
pub(crate) fn encode_key(key: &[u8; 32]) -> Zeroizing<String> {
    Zeroizing::new(format!("{}\n", STANDARD.encode(key)))
}

/// A fresh random key from the OS.
pub(crate) fn random_key() -> MasterKey {
    let mut key = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(key.as_mut());
    key
}

/// Public fingerprint of a key (SHA-256 with a domain prefix, first 8 bytes in hex): lets the
/// vault say *which* key it expected without revealing anything usable about it.
pub fn fingerprint(key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"palisade-vault/key-check/v1\0");
    h.update(key);
    hex::encode(&h.finalize()[..8])
}

/// The key from the environment, if the variable is set.
pub(crate) fn from_env() -> Option<Result<MasterKey, VaultError>> {
    let value = Zeroizing::new(std::env::var(MASTER_KEY_ENV).ok()?);
    Some(decode_key(&value).ok_or(VaultError::BadMasterKeyEnv))
}

/// The key file named by `PALISADE_MASTER_KEY_FILE`, if the variable is set and not empty.
pub(crate) fn file_from_env() -> Option<PathBuf> {
    std::env::var_os(MASTER_KEY_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Reads a key file, refusing one readable by group or others.
pub(crate) fn read_key_file(path: &Path) -> Result<MasterKey, VaultError> {
    let mode = files::mode_of(path)?;
    if mode & 0o077 != 0 {
        return Err(VaultError::InsecureKeyFile {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| VaultError::io(path, e))?);
    decode_key(&text).ok_or_else(|| VaultError::BadMasterKeyFile(path.to_path_buf()))
}

/// Reads the key file, creating it with a fresh key on first use.
pub(crate) fn load_or_create(path: &Path) -> Result<MasterKey, VaultError> {
    if path.exists() {
        return read_key_file(path);
    }
    let key = random_key();
    files::write_atomic(path, encode_key(&key).as_bytes())?;
    Ok(key)
}
