//! Adapts the sealed vault to the gateway's `CredentialSource`.

use palisade_gateway::{CredentialError, CredentialSource};
use palisade_vault::Vault;
use secrecy::SecretString;

/// Provider keys read from the vault (decrypted once at gateway start, then cached by it).
pub struct VaultCredentials(pub Vault);

impl CredentialSource for VaultCredentials {
    fn get(&self, name: &str) -> Result<SecretString, CredentialError> {
        self.0.get(name).map_err(|e| CredentialError {
            name: name.to_owned(),
            reason: e.to_string(),
        })
    }
}
