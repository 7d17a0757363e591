//! The public [`Vault`]: put/get/list/remove sealed secrets, rotate the master key without a
//! window in which a crash loses data, and wrap data keys for other components.
//!
//! Rotation protocol (each step durable before the next):
//! 1. the new key is written to `master.key.next` (temp + fsync + rename);
//! 2. every entry and the key-encryption key are re-sealed under it and `vault.json` is
//!    replaced atomically; its `key_check` now names the new key;
//! 3. `master.key.next` is renamed over `master.key` and the directory fsynced.
//!
//! On open, `key_check` decides: it matches `master.key` (crash before step 2 finished: the
//! stale `.next` is deleted) or `master.key.next` (crash between 2 and 3: the rename is
//! completed). At every instant one of the two key files opens the current `vault.json`.
//!
//! Wrapped keys are sealed under a key-encryption key stored (sealed) in `vault.json`, not
//! under the master key itself, so rotating the master does not orphan the audit log's key.

use crate::error::VaultError;
use crate::files;
use crate::master_key::{self, fingerprint, MasterKey, MasterKeySource};
use crate::seal::{self, Purpose, NONCE_LEN};
use crate::vault_file::{Sealed, StoredEntry, VaultFile, VERSION};
use parking_lot::Mutex;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Version byte leading every wrapped key.
const WRAP_VERSION: u8 = 1;
/// Length of a wrapped 32-byte key: version, nonce, ciphertext, tag.
const WRAPPED_LEN: usize = 1 + NONCE_LEN + 32 + 16;

/// Public metadata of one entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VaultEntryInfo {
    /// Entry name.
    pub name: String,
    /// When it was last written, milliseconds since the epoch.
    pub created_at_ms: u64,
}

struct State {
    master: MasterKey,
    kek: Zeroizing<[u8; 32]>,
    file: VaultFile,
}

/// Sealed secret storage in one data directory. Cheap to share behind an `Arc`.
pub struct Vault {
    dir: PathBuf,
    source: MasterKeySource,
    state: Mutex<State>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .field("source", &self.source)
            .field(
                "entries",
                &self.state.try_lock().map(|s| s.file.entries.len()),
            )
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Opens (or creates) the vault in `data_dir` with the master key from
    /// `PALISADE_MASTER_KEY` if set, else from the file `PALISADE_MASTER_KEY_FILE` names, else
    /// from `<data_dir>/master.key` (a key file is created on first use).
    pub fn open(data_dir: &Path) -> Result<Vault, VaultError> {
        std::fs::create_dir_all(data_dir).map_err(|e| VaultError::io(data_dir, e))?;
        match master_key::from_env() {
            Some(key) => Self::open_inner(data_dir, key?, MasterKeySource::Env),
            None => {
                let key_path = master_key::file_from_env().unwrap_or(data_dir.join("master.key"));
                Self::open_with_key_file(data_dir, key_path)
            }
        }
    }

    /// Opens the vault with its master key in `key_path`, which may be outside `data_dir`
    /// (another mount, other ownership): whoever can write the data directory then still
    /// cannot read the key that seals the vault and the audit log's keys.
    pub fn open_with_master_key_file(
        data_dir: &Path,
        key_path: &Path,
    ) -> Result<Vault, VaultError> {
        std::fs::create_dir_all(data_dir).map_err(|e| VaultError::io(data_dir, e))?;
        Self::open_with_key_file(data_dir, key_path.to_path_buf())
    }

    /// Opens the vault with a key the caller holds (tests, embedding); rotation is refused.
    pub fn open_with_master_key(data_dir: &Path, key: MasterKey) -> Result<Vault, VaultError> {
        std::fs::create_dir_all(data_dir).map_err(|e| VaultError::io(data_dir, e))?;
        Self::open_inner(data_dir, key, MasterKeySource::Provided)
    }

    fn open_with_key_file(dir: &Path, key_path: PathBuf) -> Result<Vault, VaultError> {
        let next_path = next_key_path(&key_path);
        let vault_path = dir.join("vault.json");
        let source = MasterKeySource::File(key_path.clone());
        let Some(file) = VaultFile::load(&vault_path)? else {
            let _ = std::fs::remove_file(&next_path);
            let key = master_key::load_or_create(&key_path)?;
            return Self::open_inner(dir, key, source);
        };
        // An existing vault never gets a fresh key: a missing key file is an error to report.
        let key = master_key::read_key_file(&key_path)?;
        if file.key_check == fingerprint(&key) {
            if next_path.exists() {
                // Crash before step 2 of a rotation finished: the new key sealed nothing.
                std::fs::remove_file(&next_path).map_err(|e| VaultError::io(&next_path, e))?;
            }
            return Self::open_inner(dir, key, source);
        }
        if next_path.exists() {
            let next = master_key::read_key_file(&next_path)?;
            if file.key_check == fingerprint(&next) {
                // Crash between steps 2 and 3: finish the rotation.
                std::fs::rename(&next_path, &key_path).map_err(|e| VaultError::io(&key_path, e))?;
                files::sync_dir(&key_path)?;
                return Self::open_inner(dir, next, source);
            }
        }
        Err(VaultError::WrongMasterKey {
            expected: file.key_check,
            actual: fingerprint(&key),
        })
    }

    fn open_inner(
        dir: &Path,
        master: MasterKey,
        source: MasterKeySource,
    ) -> Result<Vault, VaultError> {
        let path = dir.join("vault.json");
        let (file, kek) = match VaultFile::load(&path)? {
            Some(file) => {
                if file.key_check != fingerprint(&master) {
                    return Err(VaultError::WrongMasterKey {
                        expected: file.key_check,
                        actual: fingerprint(&master),
                    });
                }
                let kek = open_kek(&master, &file.kek).ok_or_else(|| VaultError::Corrupt {
                    path: path.clone(),
                    reason: "the key-encryption key failed authentication".into(),
                })?;
                (file, kek)
            }
            None => {
                let kek = master_key::random_key();
                let file = VaultFile {
                    version: VERSION,
                    key_check: fingerprint(&master),
                    kek: seal_kek(&master, &kek),
                    entries: BTreeMap::new(),
                };
                file.save(&path)?;
                (file, kek)
            }
        };
        Ok(Vault {
            dir: dir.to_path_buf(),
            source,
            state: Mutex::new(State { master, kek, file }),
        })
    }

    /// Where the master key comes from.
    pub fn master_key_source(&self) -> &MasterKeySource {
        &self.source
    }

    /// Public fingerprint of the master key in use (safe to print).
    pub fn master_key_fingerprint(&self) -> String {
        fingerprint(&self.state.lock().master)
    }

    /// Seals and stores a secret under `name`, replacing any previous value.
    pub fn put(&self, name: &str, secret: SecretString) -> Result<(), VaultError> {
        check_name(name)?;
        let mut st = self.state.lock();
        let (nonce, ct) = seal::seal(
            &st.master,
            Purpose::Entry(name),
            secret.expose_secret().as_bytes(),
        );
        let mut next = st.file.clone();
        next.entries.insert(
            name.to_string(),
            StoredEntry {
                created_at_ms: now_ms(),
                sealed: Sealed::new(&nonce, &ct),
            },
        );
        // Disk first, memory second: a failed write leaves both at the old state.
        next.save(&self.vault_path())?;
        st.file = next;
        Ok(())
    }

    /// Opens the secret stored under `name`.
    pub fn get(&self, name: &str) -> Result<SecretString, VaultError> {
        check_name(name)?;
        let st = self.state.lock();
        let entry = st
            .file
            .entries
            .get(name)
            .ok_or_else(|| VaultError::NotFound(name.into()))?;
        let plain = open_entry(&st.master, name, &entry.sealed)?;
        let text =
            String::from_utf8(plain.to_vec()).map_err(|_| VaultError::Tampered(name.into()))?;
        Ok(SecretString::from(text))
    }

    /// Names and creation times of every entry, sorted by name.
    pub fn list(&self) -> Result<Vec<VaultEntryInfo>, VaultError> {
        let st = self.state.lock();
        Ok(st
            .file
            .entries
            .iter()
            .map(|(name, e)| VaultEntryInfo {
                name: name.clone(),
                created_at_ms: e.created_at_ms,
            })
            .collect())
    }

    /// Deletes an entry.
    pub fn remove(&self, name: &str) -> Result<(), VaultError> {
        check_name(name)?;
        let mut st = self.state.lock();
        let mut next = st.file.clone();
        if next.entries.remove(name).is_none() {
            return Err(VaultError::NotFound(name.into()));
        }
        next.save(&self.vault_path())?;
        st.file = next;
        Ok(())
    }

    /// Replaces the master key and re-seals every entry (see the module docs for why a crash
    /// at any point loses nothing). Returns the number of entries re-sealed.
    pub fn rotate_master(&self) -> Result<usize, VaultError> {
        let MasterKeySource::File(key_path) = &self.source else {
            return Err(VaultError::ExternalMasterKey);
        };
        let next_path = next_key_path(key_path);
        let mut st = self.state.lock();
        // Open everything first: a tampered entry aborts the rotation before anything changes.
        let mut plain = Vec::with_capacity(st.file.entries.len());
        for (name, e) in &st.file.entries {
            plain.push((
                name.clone(),
                e.created_at_ms,
                open_entry(&st.master, name, &e.sealed)?,
            ));
        }
        let new_key = master_key::random_key();
        files::write_atomic(&next_path, master_key::encode_key(&new_key).as_bytes())?;
        let mut entries = BTreeMap::new();
        for (name, created_at_ms, value) in &plain {
            let (nonce, ct) = seal::seal(&new_key, Purpose::Entry(name), value);
            entries.insert(
                name.clone(),
                StoredEntry {
                    created_at_ms: *created_at_ms,
                    sealed: Sealed::new(&nonce, &ct),
                },
            );
        }
        let next = VaultFile {
            version: VERSION,
            key_check: fingerprint(&new_key),
            kek: seal_kek(&new_key, &st.kek),
            entries,
        };
        next.save(&self.vault_path())?;
        std::fs::rename(&next_path, key_path).map_err(|e| VaultError::io(key_path, e))?;
        files::sync_dir(key_path)?;
        st.master = new_key;
        st.file = next;
        Ok(plain.len())
    }

    /// Wraps a 32-byte data key for another component; `label` binds it to its use.
    pub fn wrap_key(&self, key: &[u8; 32], label: &str) -> Vec<u8> {
        let st = self.state.lock();
        let (nonce, ct) = seal::seal(&st.kek, Purpose::Wrap(label), key);
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.push(WRAP_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Unwraps a key produced by [`Vault::wrap_key`] with the same label.
    pub fn unwrap_key(
        &self,
        wrapped: &[u8],
        label: &str,
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        let fail = || VaultError::UnwrapFailed(label.to_string());
        if wrapped.len() != WRAPPED_LEN || wrapped.first() != Some(&WRAP_VERSION) {
            return Err(fail());
        }
        let (nonce, ct) = wrapped.get(1..).ok_or_else(fail)?.split_at(NONCE_LEN);
        let st = self.state.lock();
        let plain = seal::open(&st.kek, Purpose::Wrap(label), nonce, ct).ok_or_else(fail)?;
        let mut key = Zeroizing::new([0u8; 32]);
        if plain.len() != 32 {
            return Err(fail());
        }
        key.copy_from_slice(&plain);
        Ok(key)
    }

    fn vault_path(&self) -> PathBuf {
        self.dir.join("vault.json")
    }
}

/// Where a rotation writes the new key: beside the current one (`<key file>.next`), so the
/// final rename stays on one file system.
fn next_key_path(key_path: &Path) -> PathBuf {
    let mut name = key_path.file_name().unwrap_or_default().to_os_string();
    name.push(".next");
    key_path.with_file_name(name)
}

fn check_name(name: &str) -> Result<(), VaultError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(VaultError::InvalidName(name.chars().take(80).collect()))
    }
}

fn open_entry(
    master: &[u8; 32],
    name: &str,
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let (nonce, ct) = sealed
        .decode()
        .ok_or_else(|| VaultError::Tampered(name.into()))?;
    seal::open(master, Purpose::Entry(name), &nonce, &ct)
        .ok_or_else(|| VaultError::Tampered(name.into()))
}

fn seal_kek(master: &[u8; 32], kek: &[u8; 32]) -> Sealed {
    let (nonce, ct) = seal::seal(master, Purpose::Kek, kek);
    Sealed::new(&nonce, &ct)
}

fn open_kek(master: &[u8; 32], sealed: &Sealed) -> Option<Zeroizing<[u8; 32]>> {
    let (nonce, ct) = sealed.decode()?;
    let plain = seal::open(master, Purpose::Kek, &nonce, &ct)?;
    let mut kek = Zeroizing::new([0u8; 32]);
    if plain.len() != 32 {
        return None;
    }
    kek.copy_from_slice(&plain);
    Some(kek)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
