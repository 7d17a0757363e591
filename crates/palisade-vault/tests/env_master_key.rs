//! The master key from `PALISADE_MASTER_KEY`. Its own test binary (one process, one test) so
//! setting the variable cannot race with tests that expect the key file.

use palisade_vault::{MasterKeySource, Vault, VaultError};
use secrecy::{ExposeSecret, SecretString};

#[test]
fn env_key_is_used_validated_and_not_rotated_here() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("PALISADE_MASTER_KEY", "bm90LTMyLWJ5dGVz");
    assert!(matches!(
        Vault::open(dir.path()),
        Err(VaultError::BadMasterKeyEnv)
    ));
    // 32 bytes of 0x11.
    std::env::set_var(
        "PALISADE_MASTER_KEY",
        "ERERERERERERERERERERERERERERERERERERERERERE=",
    );
    let v = Vault::open(dir.path()).unwrap();
    assert_eq!(v.master_key_source(), &MasterKeySource::Env);
    assert!(
        !dir.path().join("master.key").exists(),
        "no key file with an env key"
    );
    v.put("k", SecretString::from("v".to_string())).unwrap();
    assert!(matches!(
        v.rotate_master(),
        Err(VaultError::ExternalMasterKey)
    ));
    drop(v);
    let same =
        Vault::open_with_master_key(dir.path(), zeroize::Zeroizing::new([0x11u8; 32])).unwrap();
    assert_eq!(same.get("k").unwrap().expose_secret(), "v");
    std::env::remove_var("PALISADE_MASTER_KEY");
}
