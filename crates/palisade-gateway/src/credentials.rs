//! Provider credentials: the source the gateway reads them from (the vault, in the binary) and
//! the in-memory cache of decrypted keys, held only as `SecretString`.

use secrecy::SecretString;
use std::collections::HashMap;

/// A credential could not be obtained. Names the entry, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credential `{name}` is unavailable: {reason}")]
pub struct CredentialError {
    /// Vault entry name.
    pub name: String,
    /// Why (not found, cannot decrypt, ...).
    pub reason: String,
}

/// Where provider keys come from. The binary implements it over `palisade_vault::Vault`.
pub trait CredentialSource: Send + Sync {
    /// The decrypted value of entry `name`.
    fn get(&self, name: &str) -> Result<SecretString, CredentialError>;
}

/// Fixed in-memory credentials (tests and the simulated demo).
#[derive(Default)]
pub struct StaticCredentials(HashMap<String, SecretString>);

impl StaticCredentials {
    /// Adds an entry.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0
            .insert(name.to_owned(), SecretString::from(value.to_owned()));
        self
    }
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl CredentialSource for StaticCredentials {
    fn get(&self, name: &str) -> Result<SecretString, CredentialError> {
        self.0.get(name).cloned().ok_or_else(|| CredentialError {
            name: name.to_owned(),
            reason: "no such entry".into(),
        })
    }
}
