//! The master key on another mount: `PALISADE_MASTER_KEY_FILE` names a key file outside the
//! data directory; nothing key-like is written into the data directory, and rotation keeps
//! the new key beside the old one. Its own test binary (one process) so setting the variable
//! cannot race with tests that expect `<data_dir>/master.key`.

use palisade_vault::{MasterKeySource, Vault, MASTER_KEY_FILE_ENV};
use secrecy::{ExposeSecret, SecretString};

#[test]
fn master_key_file_outside_the_data_dir_is_used_rotated_in_place_and_never_copied_in() {
    let data = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key_path = keys.path().join("palisade-master.key");
    std::env::set_var(MASTER_KEY_FILE_ENV, &key_path);
    let v = Vault::open(data.path()).unwrap();
    assert_eq!(
        v.master_key_source(),
        &MasterKeySource::File(key_path.clone())
    );
    assert!(key_path.exists(), "key created on the other mount");
    assert!(
        !data.path().join("master.key").exists(),
        "no key on the data disk"
    );
    v.put("k", SecretString::from("v".to_string())).unwrap();
    v.rotate_master().unwrap();
    assert!(!data.path().join("master.key.next").exists());
    assert!(!keys.path().join("palisade-master.key.next").exists());
    drop(v);
    let again = Vault::open(data.path()).unwrap();
    assert_eq!(again.get("k").unwrap().expose_secret(), "v");
    drop(again);
    std::env::remove_var(MASTER_KEY_FILE_ENV);
    // Without the variable the data dir has no key: the vault refuses instead of inventing one.
    assert!(Vault::open(data.path()).is_err());
    let explicit = Vault::open_with_master_key_file(data.path(), &key_path).unwrap();
    assert_eq!(explicit.get("k").unwrap().expose_secret(), "v");
}
