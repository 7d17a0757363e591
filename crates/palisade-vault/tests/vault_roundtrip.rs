//! Behaviour of the vault: round trip, wrong key, tampering, swapping, rotation (including the
//! crash states of the rotation protocol), file modes, key wrapping, and secret-free output.

use palisade_vault::{Vault, VaultError};
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;
use zeroize::Zeroizing;

const SECRET: &str = "sk-live-THIS-IS-THE-SECRET-1234567890";

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn vault_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("vault.json")).unwrap()).unwrap()
}

fn write_vault_json(dir: &Path, v: &serde_json::Value) {
    std::fs::write(dir.join("vault.json"), serde_json::to_vec(v).unwrap()).unwrap();
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn round_trip_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([7u8; 32])).unwrap();
    v.put("openai.api_key", secret(SECRET)).unwrap();
    v.put("b-key", secret("two")).unwrap();
    assert_eq!(v.get("openai.api_key").unwrap().expose_secret(), SECRET);
    drop(v);
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([7u8; 32])).unwrap();
    assert_eq!(v.get("openai.api_key").unwrap().expose_secret(), SECRET);
    let names: Vec<String> = v.list().unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        vec!["b-key".to_string(), "openai.api_key".to_string()]
    );
    v.remove("b-key").unwrap();
    assert!(matches!(v.get("b-key"), Err(VaultError::NotFound(n)) if n == "b-key"));
    assert!(matches!(v.remove("b-key"), Err(VaultError::NotFound(_))));
    let raw = std::fs::read_to_string(dir.path().join("vault.json")).unwrap();
    assert!(
        !raw.contains(SECRET),
        "vault.json must hold only ciphertext"
    );
}

#[test]
fn names_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([1u8; 32])).unwrap();
    for bad in ["", "a/b", "with space", &"x".repeat(65), "ü"] {
        assert!(
            matches!(v.put(bad, secret("x")), Err(VaultError::InvalidName(_))),
            "{bad:?}"
        );
    }
    v.put(&"x".repeat(64), secret("ok")).unwrap();
}

#[test]
fn wrong_master_key_is_named_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([1u8; 32])).unwrap();
    v.put("k", secret(SECRET)).unwrap();
    let good = v.master_key_fingerprint();
    drop(v);
    let err = Vault::open_with_master_key(dir.path(), Zeroizing::new([2u8; 32])).unwrap_err();
    match &err {
        VaultError::WrongMasterKey { expected, actual } => {
            assert_eq!(expected, &good);
            assert_ne!(actual, &good);
        }
        other => panic!("expected WrongMasterKey, got {other:?}"),
    }
    assert!(err.to_string().starts_with("wrong master key"));
}

#[test]
fn tampered_ciphertext_fails_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([3u8; 32])).unwrap();
    v.put("k", secret(SECRET)).unwrap();
    drop(v);
    let mut j = vault_json(dir.path());
    let ct = j["entries"]["k"]["ct"].as_str().unwrap().to_string();
    let mut bytes = base64_decode(&ct);
    bytes[0] ^= 1;
    j["entries"]["k"]["ct"] = base64_encode(&bytes).into();
    write_vault_json(dir.path(), &j);
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([3u8; 32])).unwrap();
    assert!(matches!(v.get("k"), Err(VaultError::Tampered(n)) if n == "k"));
}

#[test]
fn swapped_entries_fail_because_the_name_is_bound() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([4u8; 32])).unwrap();
    v.put("alpha", secret("alpha-secret")).unwrap();
    v.put("beta", secret("beta-secret")).unwrap();
    drop(v);
    let mut j = vault_json(dir.path());
    let a = j["entries"]["alpha"].clone();
    j["entries"]["alpha"] = j["entries"]["beta"].clone();
    j["entries"]["beta"] = a;
    write_vault_json(dir.path(), &j);
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([4u8; 32])).unwrap();
    assert!(matches!(v.get("alpha"), Err(VaultError::Tampered(_))));
    assert!(matches!(v.get("beta"), Err(VaultError::Tampered(_))));
}

#[cfg(unix)]
#[test]
fn rotate_reseals_and_old_key_no_longer_opens() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open(dir.path()).unwrap();
    v.put("one", secret("1")).unwrap();
    v.put("two", secret(SECRET)).unwrap();
    let wrapped = v.wrap_key(&[9u8; 32], "audit");
    let old_key_file = std::fs::read(dir.path().join("master.key")).unwrap();
    let old_ct = vault_json(dir.path())["entries"]["two"]["ct"].clone();
    assert_eq!(v.rotate_master().unwrap(), 2);
    assert_ne!(vault_json(dir.path())["entries"]["two"]["ct"], old_ct);
    assert_eq!(v.get("two").unwrap().expose_secret(), SECRET);
    // Wrapped data keys survive rotation (the KEK is re-sealed, not replaced).
    assert_eq!(*v.unwrap_key(&wrapped, "audit").unwrap(), [9u8; 32]);
    drop(v);
    let reopened = Vault::open(dir.path()).unwrap();
    assert_eq!(reopened.get("one").unwrap().expose_secret(), "1");
    drop(reopened);
    std::fs::write(dir.path().join("master.key"), &old_key_file).unwrap();
    assert!(matches!(
        Vault::open(dir.path()),
        Err(VaultError::WrongMasterKey { .. })
    ));
}

#[cfg(unix)]
#[test]
fn crash_between_reseal_and_key_rename_is_completed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open(dir.path()).unwrap();
    v.put("k", secret(SECRET)).unwrap();
    let old_key = std::fs::read(dir.path().join("master.key")).unwrap();
    v.rotate_master().unwrap();
    drop(v);
    // Recreate the on-disk state of a crash after step 2: new vault.json, old master.key,
    // new key still in master.key.next.
    let new_key = std::fs::read(dir.path().join("master.key")).unwrap();
    std::fs::write(dir.path().join("master.key.next"), &new_key).unwrap();
    std::fs::write(dir.path().join("master.key"), &old_key).unwrap();
    set_mode(&dir.path().join("master.key.next"), 0o600);
    let v = Vault::open(dir.path()).unwrap();
    assert_eq!(v.get("k").unwrap().expose_secret(), SECRET);
    assert!(!dir.path().join("master.key.next").exists());
    assert_eq!(
        std::fs::read(dir.path().join("master.key")).unwrap(),
        new_key
    );
}

#[cfg(unix)]
#[test]
fn crash_before_reseal_discards_the_unused_next_key() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open(dir.path()).unwrap();
    v.put("k", secret(SECRET)).unwrap();
    drop(v);
    let next = dir.path().join("master.key.next");
    std::fs::write(&next, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
    set_mode(&next, 0o600);
    let v = Vault::open(dir.path()).unwrap();
    assert_eq!(v.get("k").unwrap().expose_secret(), SECRET);
    assert!(!next.exists());
}

#[cfg(unix)]
#[test]
fn files_are_0600_and_loose_key_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open(dir.path()).unwrap();
    v.put("k", secret("x")).unwrap();
    v.rotate_master().unwrap();
    assert_eq!(mode(&dir.path().join("vault.json")), 0o600);
    assert_eq!(mode(&dir.path().join("master.key")), 0o600);
    drop(v);
    set_mode(&dir.path().join("master.key"), 0o640);
    match Vault::open(dir.path()) {
        Err(VaultError::InsecureKeyFile { mode, .. }) => assert_eq!(mode, 0o640),
        other => panic!("expected InsecureKeyFile, got {other:?}"),
    }
}

#[test]
fn wrapped_keys_are_bound_to_label_and_vault() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::open_with_master_key(dir.path(), Zeroizing::new([5u8; 32])).unwrap();
    let w = v.wrap_key(&[42u8; 32], "audit-data-key");
    assert_eq!(*v.unwrap_key(&w, "audit-data-key").unwrap(), [42u8; 32]);
    assert!(matches!(
        v.unwrap_key(&w, "other"),
        Err(VaultError::UnwrapFailed(_))
    ));
    let mut bad = w.clone();
    bad[20] ^= 0x80;
    assert!(v.unwrap_key(&bad, "audit-data-key").is_err());
    assert!(v.unwrap_key(&w[..w.len() - 1], "audit-data-key").is_err());
    let other_dir = tempfile::tempdir().unwrap();
    let other = Vault::open_with_master_key(other_dir.path(), Zeroizing::new([5u8; 32])).unwrap();
    assert!(
        other.unwrap_key(&w, "audit-data-key").is_err(),
        "another vault has another KEK"
    );
}

#[test]
fn errors_and_debug_never_contain_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let key = Zeroizing::new([6u8; 32]);
    let key_b64 = base64_encode(&key[..]);
    let v = Vault::open_with_master_key(dir.path(), key.clone()).unwrap();
    v.put("k", secret(SECRET)).unwrap();
    let got = v.get("k").unwrap();
    let mut outputs = vec![
        format!("{v:?}"),
        format!("{got:?}"),
        format!("{:?}", v.list().unwrap()),
    ];
    let mut errors: Vec<VaultError> = vec![
        v.get("missing").unwrap_err(),
        v.put("bad name", secret(SECRET)).unwrap_err(),
        v.unwrap_key(&[1, 2, 3], "l").unwrap_err(),
        v.rotate_master().unwrap_err(),
        Vault::open_with_master_key(dir.path(), Zeroizing::new([0u8; 32])).unwrap_err(),
    ];
    drop(v);
    let mut j = vault_json(dir.path());
    j["entries"]["k"]["ct"] = "AAAA".into();
    write_vault_json(dir.path(), &j);
    let v = Vault::open_with_master_key(dir.path(), key).unwrap();
    errors.push(v.get("k").unwrap_err());
    std::fs::write(dir.path().join("vault.json"), b"{not json").unwrap();
    errors.push(Vault::open_with_master_key(dir.path(), Zeroizing::new([6u8; 32])).unwrap_err());
    for e in &errors {
        outputs.push(e.to_string());
        outputs.push(format!("{e:?}"));
    }
    for out in outputs {
        assert!(!out.contains(SECRET), "secret leaked in {out}");
        assert!(!out.contains(&key_b64), "key leaked in {out}");
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[cfg(unix)]
fn set_mode(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}
