//! Sealed secret storage for Palisade: upstream credentials and other secrets are kept in
//! `<data_dir>/vault.json`, each sealed with AES-256-GCM under a master key that never leaves
//! this crate, with crash-safe master-key rotation and key wrapping for other components
//! (the audit log wraps its data key here).
//!
//! Module map: [`error`] (typed errors, never carrying secrets), [`master_key`] (where the
//! master key comes from and how its file is guarded), [`seal`] (the AEAD primitives and their
//! domain separation), [`files`] (atomic, fsynced writes), [`vault`] (the public [`Vault`]).

pub mod error;
mod files;
pub mod master_key;
mod seal;
pub mod vault;
mod vault_file;

pub use error::VaultError;
pub use master_key::{MasterKeySource, MASTER_KEY_ENV, MASTER_KEY_FILE_ENV};
pub use vault::{Vault, VaultEntryInfo};
