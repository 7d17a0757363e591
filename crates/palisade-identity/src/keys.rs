//! The gateway's token signing keys: Ed25519 (JOSE `EdDSA`, pinned), a current key that signs
//! and a previous key that still verifies after a rotation, persisted 0600 in the data dir,
//! and published as a JWKS for `/.well-known/jwks.json`.

use crate::jose::{b64d, b64e, PublicJwk};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File holding the signing keys inside the data dir.
pub const KEYS_FILE: &str = "identity-signing-keys.json";

/// Why keys could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// File I/O.
    #[error("signing key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// File content is not a key set.
    #[error("signing key file {0} is corrupt")]
    Corrupt(PathBuf),
}

struct Key {
    kid: String,
    sk: SigningKey,
    vk: VerifyingKey,
}

impl Key {
    fn new(sk: SigningKey) -> Self {
        let vk = sk.verifying_key();
        // The kid is the RFC 7638 thumbprint: stable, and distinct for distinct keys.
        let kid = PublicJwk::Ed25519(vk).thumbprint();
        Self { kid, sk, vk }
    }
}

struct KeySet {
    current: Key,
    previous: Option<Key>,
}

/// Current + previous Ed25519 signing keys. Debug never prints key material.
pub struct SigningKeys {
    set: RwLock<Arc<KeySet>>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.set.read();
        f.debug_struct("SigningKeys")
            .field("current_kid", &set.current.kid)
            .field("previous_kid", &set.previous.as_ref().map(|k| &k.kid))
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<String>,
}

fn fresh() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

impl SigningKeys {
    /// A fresh in-memory key set (tests, ephemeral gateways).
    pub fn generate() -> Self {
        Self {
            set: RwLock::new(Arc::new(KeySet {
                current: Key::new(fresh()),
                previous: None,
            })),
            path: None,
        }
    }

    /// Loads `<data_dir>/identity-signing-keys.json`, creating it (0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, KeyError> {
        let path = data_dir.join(KEYS_FILE);
        let io = |source| KeyError::Io {
            path: path.clone(),
            source,
        };
        let set = match std::fs::read(&path) {
            Ok(bytes) => {
                let corrupt = || KeyError::Corrupt(path.clone());
                let file: KeyFile = serde_json::from_slice(&bytes).map_err(|_| corrupt())?;
                let mut keys = file.keys.iter().map(|s| {
                    let raw: [u8; 32] = b64d(s)
                        .ok()
                        .and_then(|v| v.try_into().ok())
                        .ok_or_else(corrupt)?;
                    Ok::<_, KeyError>(Key::new(SigningKey::from_bytes(&raw)))
                });
                let current = keys.next().ok_or_else(corrupt)??;
                let previous = keys.next().transpose()?;
                KeySet { current, previous }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => KeySet {
                current: Key::new(fresh()),
                previous: None,
            },
            Err(e) => return Err(io(e)),
        };
        let keys = Self {
            set: RwLock::new(Arc::new(set)),
            path: Some(path),
        };
        keys.persist()?;
        Ok(keys)
    }

    fn persist(&self) -> Result<(), KeyError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let set = self.set.read().clone();
        let mut keys = vec![b64e(set.current.sk.as_bytes())];
        if let Some(p) = &set.previous {
            keys.push(b64e(p.sk.as_bytes()));
        }
        let body =
            serde_json::to_vec(&KeyFile { keys }).map_err(|_| KeyError::Corrupt(path.clone()))?;
        write_private(path, &body).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })
    }

    /// Makes a new current key; the old current becomes previous (still verifies), the old
    /// previous is dropped. Tokens signed by it stop verifying, so rotate at most once per
    /// maximum token lifetime.
    pub fn rotate(&self) -> Result<String, KeyError> {
        {
            let mut guard = self.set.write();
            let old = guard.clone();
            let next = Key::new(fresh());
            let prev = Key::new(old.current.sk.clone());
            *guard = Arc::new(KeySet {
                current: next,
                previous: Some(prev),
            });
        }
        self.persist()?;
        Ok(self.current_kid())
    }

    /// The kid of the signing key.
    pub fn current_kid(&self) -> String {
        self.set.read().current.kid.clone()
    }

    /// Signs `claims` as a compact JWS with header `{"alg":"EdDSA","typ":"at+jwt","kid":...}`.
    pub fn sign_jwt(&self, claims: &Value) -> String {
        let set = self.set.read().clone();
        let header = json!({"alg": "EdDSA", "kid": set.current.kid, "typ": "at+jwt"});
        let input = format!(
            "{}.{}",
            b64e(header.to_string().as_bytes()),
            b64e(claims.to_string().as_bytes())
        );
        let sig = set.current.sk.sign(input.as_bytes());
        format!("{input}.{}", b64e(&sig.to_bytes()))
    }

    /// The verifying key for `kid`, if it is the current or previous key.
    pub fn verifying_key(&self, kid: &str) -> Option<VerifyingKey> {
        let set = self.set.read();
        if set.current.kid == kid {
            return Some(set.current.vk);
        }
        set.previous.as_ref().filter(|k| k.kid == kid).map(|k| k.vk)
    }

    /// JWKS with the current and previous public keys.
    pub fn jwks(&self) -> Value {
        let set = self.set.read().clone();
        let keys: Vec<Value> = std::iter::once(&set.current)
            .chain(set.previous.as_ref())
            .map(|k| {
                let mut j = PublicJwk::Ed25519(k.vk).to_json();
                if let Some(o) = j.as_object_mut() {
                    o.insert("kid".into(), json!(k.kid));
                    o.insert("alg".into(), json!("EdDSA"));
                    o.insert("use".into(), json!("sig"));
                }
                j
            })
            .collect();
        json!({ "keys": keys })
    }
}

/// Writes `body` to `path` readable by the owner only (created 0600, not chmod-ed after).
pub(crate) fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(body)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persisted_0600_and_reloaded_with_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let keys = SigningKeys::load_or_create(dir.path()).unwrap();
        let k1 = keys.current_kid();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEYS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let k2 = keys.rotate().unwrap();
        assert_ne!(k1, k2);
        let again = SigningKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(again.current_kid(), k2);
        assert!(again.verifying_key(&k1).is_some());
        assert_eq!(again.jwks()["keys"].as_array().unwrap().len(), 2);
        again.rotate().unwrap();
        assert!(
            again.verifying_key(&k1).is_none(),
            "two rotations drop the oldest key"
        );
    }
}
