//! RFC 6962 inclusion proofs and signed-note checkpoints against tests/fixtures/rfc6962, through
//! the functions Rekor entry verification uses (inclusion from palisade-audit's `merkle`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use palisade_attest::keys::PublicKey;
use palisade_attest::sigstore::checkpoint::verify_checkpoint;
use palisade_audit::merkle::verify_inclusion;
use palisade_core::fixtures::fixture;

fn bytes(v: &serde_json::Value) -> Vec<u8> {
    // A missing or null hash decodes to no bytes, which the verifier must refuse as malformed.
    v.as_str()
        .map(|s| STANDARD.decode(s).unwrap())
        .unwrap_or_default()
}

fn verifies(case: &serde_json::Value) -> bool {
    let proof: Vec<Vec<u8>> = case["proof"]
        .as_array()
        .map(|p| p.iter().map(bytes).collect())
        .unwrap_or_default();
    let idx = case["leafIdx"].as_u64().unwrap();
    let size = case["treeSize"].as_u64().unwrap();
    let (leaf, root) = (bytes(&case["leafHash"]), bytes(&case["root"]));
    verify_inclusion(idx, size, &leaf, &proof, &root).is_ok()
}

#[test]
fn transparency_dev_inclusion_vectors() {
    let mut stack = vec![fixture("rfc6962/transparency-dev-merkle/inclusion")];
    let mut n = 0;
    while let Some(dir) = stack.pop() {
        for f in std::fs::read_dir(dir).unwrap() {
            let path = f.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let case: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let want_ok = !case["wantErr"].as_bool().unwrap();
            assert_eq!(verifies(&case), want_ok, "{}", path.display());
            n += 1;
        }
    }
    assert!(n > 50, "only {n} inclusion vectors found");
}

fn note_and_key(stem: &str) -> (String, PublicKey) {
    let dir = "rfc6962/sigstore-rekor-checkpoints";
    let note = std::fs::read_to_string(fixture(&format!("{dir}/{stem}.checkpoint.note"))).unwrap();
    let pem = std::fs::read_to_string(fixture(&format!("{dir}/{stem}.pub.pem"))).unwrap();
    (note, PublicKey::from_pem(stem, &pem).unwrap())
}

#[test]
fn rekor_checkpoints_verify_and_tampering_fails() {
    for (stem, size) in [
        ("DERIVED-rekor-v1-production", 75_408_393),
        ("DERIVED-rekor-v2-staging-log2025-alpha1", 736),
    ] {
        let (note, key) = note_and_key(stem);
        let cp = verify_checkpoint(&note, &key).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(cp.size, size, "{stem}");
        let tampered = note.replacen(&size.to_string(), &(size + 1).to_string(), 1);
        assert!(verify_checkpoint(&tampered, &key).is_err(), "{stem}");
    }
    // A valid note under the wrong key is refused.
    let (v1, _) = note_and_key("DERIVED-rekor-v1-production");
    let (_, v2_key) = note_and_key("DERIVED-rekor-v2-staging-log2025-alpha1");
    assert!(verify_checkpoint(&v1, &v2_key).is_err());
}

#[test]
fn huge_indices_do_not_overflow() {
    // index ^ (size - 1) with the top bit set makes the inner path 64 levels deep.
    let err = verify_inclusion(u64::MAX - 1, u64::MAX, &[0; 32], &[], &[0; 32]);
    assert!(err.is_err());
    let err = verify_inclusion(0, 1 << 63 | 1, &[0; 32], &[], &[0; 32]);
    assert!(err.is_err());
}
