//! The sigstore-conformance `bundle-verify` cases in tests/fixtures/sigstore/conformance, run
//! with the harness rules of its README (default artifact a.txt, default identity, key.pub,
//! per-case trusted_root.json else the production root). One test per case, each asserting the
//! precise reason a `_fail` case fails.

use palisade_attest::sigstore::{
    CertIdentity, ManagedKeyConfig, SigstoreConfig, SigstoreError, SigstoreVerifier,
};
use palisade_attest::Appraisal;
use palisade_core::fixtures::fixtures_dir;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// 2026-11-01T00:00:00Z: after every fixture's signing time.
const NOW: u64 = 1_793_491_200_000;
const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn dir() -> PathBuf {
    fixtures_dir().join("sigstore/conformance")
}

fn read_opt(case: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(dir().join(case).join(file)).ok()
}

/// Runs one case as the conformance harness would.
fn run(case: &str) -> Result<Appraisal, SigstoreError> {
    let d = dir().join(case);
    assert!(d.is_dir(), "missing case {case}");
    let bundle = bundle(case);
    let artifact = std::fs::read(d.join("artifact"))
        .unwrap_or_else(|_| std::fs::read(dir().join("a.txt")).unwrap());
    let root = read_opt(case, "trusted_root.json").unwrap_or_else(production_root);
    let (identities, managed_keys) = match read_opt(case, "key.pub") {
        Some(pem) => (
            vec![],
            vec![ManagedKeyConfig {
                id: "key.pub".into(),
                public_key_pem: pem,
            }],
        ),
        None => (
            vec![CertIdentity {
                issuer: read_opt(case, "issuer").map_or(DEFAULT_ISSUER.into(), |s| s.trim().into()),
                subject: read_opt(case, "identity")
                    .map_or(DEFAULT_IDENTITY.into(), |s| s.trim().into()),
            }],
            vec![],
        ),
    };
    let v = SigstoreVerifier::new(SigstoreConfig {
        trusted_root_json: root,
        identities,
        managed_keys,
        appraisal_ttl_secs: 60,
    })?;
    let digest: [u8; 32] = Sha256::digest(&artifact).into();
    let evidence = serde_json::json!({
        "bundle": bundle,
        "artifact_digest": format!("sha256:{}", hex::encode(digest)),
    });
    v.verify(&evidence, &[0; 32], NOW)
}

/// Passes, and for a Fulcio leaf names the CT log whose SCT verified (`None`: key bundle, no
/// certificate, so no SCT check).
fn passes(case: &str, ct_log: Option<&str>) {
    let a = run(case).unwrap_or_else(|e| panic!("{case}: expected valid, got: {e}"));
    assert_eq!(a.kind, "sigstore_bundle");
    assert_eq!(a.expires_at_ms, NOW + 60_000);
    assert_eq!(
        a.claims.get("sigstore.ct_log").map(String::as_str),
        ct_log,
        "{case}"
    );
}

macro_rules! happy {
    ($($name:ident => $case:literal, $ct:expr),* $(,)?) => {$(
        #[test]
        fn $name() {
            passes($case, $ct);
        }
    )*};
}

const CT_PROD: Option<&str> = Some("https://ctfe.sigstore.dev/2022");

happy! {
    happy_path_v0_2 => "happy-path-v0.2", CT_PROD,
    happy_path_v0_3 => "happy-path-v0.3", CT_PROD,
    happy_path_v0_3_new_media_type => "happy-path-v0.3-new-mediaType", CT_PROD,
    happy_path_intoto_in_dsse_v3 => "happy-path-intoto-in-dsse-v3", CT_PROD,
    intoto_with_custom_trust_root => "intoto-with-custom-trust-root", Some("http://localhost:8000"),
    managed_key_happy_path => "managed-key-happy-path", None,
    managed_key_and_trusted_root => "managed-key-and-trusted-root", None,
    rekor2_happy_path => "rekor2-happy-path", Some("https://ctfe.sigstage.dev/2022-2"),
    // Its SCT (static-ct log) carries a leaf_index extension, which the signature covers.
    rekor2_dsse_happy_path => "rekor2-dsse-happy-path", Some("https://log2026-1.ctfe.sigstage.dev"),
}

#[test]
fn happy_path_claims_name_the_identity() {
    let a = run("happy-path-v0.3").unwrap();
    assert_eq!(a.claims["sigstore.identity"], DEFAULT_IDENTITY);
    assert_eq!(a.claims["sigstore.issuer"], DEFAULT_ISSUER);
    assert_eq!(a.claims["sigstore.signed_at_ms"], "1710869186000");
}

fn fails_with(case: &str, check: impl Fn(&SigstoreError) -> bool) {
    assert!(case.ends_with("_fail"));
    match run(case) {
        Ok(_) => panic!("{case}: must fail"),
        Err(e) => assert!(check(&e), "{case}: failed for an unexpected reason: {e:?}"),
    }
}

/// One `#[test]` per `_fail` case: `name => "case", pattern [if guard],` asserts the case fails
/// with an error matching the pattern.
macro_rules! fails {
    ($($name:ident => $case:literal, $p:pat $(if $g:expr)?,)*) => {$(
        #[test]
        fn $name() {
            fails_with($case, |e| matches!(e, $p $(if $g)?));
        }
    )*};
}

fails! {
    bundle_with_root_cert_fail => "bundle-with-root-cert_fail",
        SigstoreError::Certificate(m) if m.contains("root certificate"),
    checkpoint_wrong_roothash_fail => "checkpoint-wrong-roothash_fail", SigstoreError::Checkpoint(_),
    dsse_invalid_sig_fail => "dsse-invalid-sig_fail", SigstoreError::SignatureInvalid,
    dsse_mismatch_envelope_fail => "dsse-mismatch-envelope_fail", SigstoreError::TlogBodyMismatch(_),
    inclusion_proof_corrupted_hash_fail => "inclusion-proof-corrupted-hash_fail",
        SigstoreError::InclusionProof(_),
    incorrect_public_key_fail => "incorrect-public-key_fail", SigstoreError::TlogBodyMismatch(_),
    integrated_time_in_future_fail => "integrated-time-in-future_fail",
        SigstoreError::CertificateTime(_),
    intoto_expired_certificate_fail => "intoto-expired-certificate_fail",
        SigstoreError::CertificateTime(_),
    invalid_checkpoint_signature_fail => "invalid-checkpoint-signature_fail",
        SigstoreError::Checkpoint(m) if m.contains("signature"),
    invalid_inclusion_proof_fail => "invalid-inclusion-proof_fail", SigstoreError::InclusionProof(_),
    managed_key_no_key_fail => "managed-key-no-key_fail", SigstoreError::NoKeyConfigured,
    // key.pub is deliberately not an SPKI: the configuration itself is refused.
    managed_key_wrong_key_fail => "managed-key-wrong-key_fail", SigstoreError::Config(_),
    message_digest_mismatch_fail => "message-digest-mismatch_fail",
        SigstoreError::MessageDigestMismatch,
    rekor2_dsse_invalid_sig_fail => "rekor2-dsse-invalid-sig_fail", SigstoreError::SignatureInvalid,
    rekor2_dsse_mismatch_envelope_fail => "rekor2-dsse-mismatch-envelope_fail",
        SigstoreError::TlogBodyMismatch(_),
    rekor2_no_inclusion_proof_fail => "rekor2-no-inclusion-proof_fail",
        SigstoreError::MissingInclusionProof,
    set_invalid_signature_fail => "set-invalid-signature_fail", SigstoreError::SignedEntryTimestamp,
    signature_mismatch_fail => "signature-mismatch_fail", SigstoreError::SignatureInvalid,
    // The bundle's messageDigest is a.txt's, not this artifact's.
    wrong_material_fail => "wrong-material_fail", SigstoreError::MessageDigestMismatch,
}

/// Every case folder is covered by a test above (a new fixture must get one).
#[test]
fn every_conformance_case_is_listed() {
    let mut cases: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 28, "{cases:?}");
    let this = include_str!("sigstore.rs");
    for c in &cases {
        assert!(this.contains(&format!("\"{c}\"")), "case {c} has no test");
    }
}

/// The bundle of one case folder.
fn bundle(case: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir().join(case).join("bundle.sigstore.json")).unwrap())
        .unwrap()
}

/// A keyless verifier trusting `root_json` for one certificate `subject` (default issuer).
fn identity_verifier(root_json: String, subject: &str) -> SigstoreVerifier {
    SigstoreVerifier::new(SigstoreConfig {
        trusted_root_json: root_json,
        identities: vec![CertIdentity {
            issuer: DEFAULT_ISSUER.into(),
            subject: subject.into(),
        }],
        managed_keys: vec![],
        appraisal_ttl_secs: 60,
    })
    .unwrap()
}

fn production_root() -> String {
    std::fs::read_to_string(fixtures_dir().join("sigstore/trusted_root.production.json")).unwrap()
}

/// SHA-256 of the default artifact a.txt.
fn default_artifact_digest() -> [u8; 32] {
    Sha256::digest(std::fs::read(dir().join("a.txt")).unwrap()).into()
}

#[test]
fn identity_policy_is_enforced() {
    // happy-path-v0.3 is valid, but not for another workflow identity.
    let bundle = bundle("happy-path-v0.3");
    let v = identity_verifier(
        production_root(),
        "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main",
    );
    let digest = default_artifact_digest();
    let err = v.verify_bundle(&bundle, &digest, NOW).unwrap_err();
    assert!(
        matches!(err, SigstoreError::IdentityNotAllowed { .. }),
        "{err:?}"
    );
    // And a clock earlier than the log time refuses the bundle as from the future.
    let v = identity_verifier(production_root(), DEFAULT_IDENTITY);
    assert_eq!(
        v.verify_bundle(&bundle, &digest, 1_700_000_000_000)
            .unwrap_err(),
        SigstoreError::TimeInFuture
    );
}

fn rekor2_verifier_and_bundle() -> (SigstoreVerifier, serde_json::Value, [u8; 32]) {
    let root = std::fs::read_to_string(dir().join("rekor2-happy-path/trusted_root.json")).unwrap();
    let v = identity_verifier(root, DEFAULT_IDENTITY);
    (v, bundle("rekor2-happy-path"), default_artifact_digest())
}

#[test]
fn rekor2_without_timestamp_has_no_verified_time() {
    let (v, mut bundle, digest) = rekor2_verifier_and_bundle();
    assert!(v.verify_bundle(&bundle, &digest, NOW).is_ok());
    bundle["verificationMaterial"]
        .as_object_mut()
        .unwrap()
        .remove("timestampVerificationData");
    assert_eq!(
        v.verify_bundle(&bundle, &digest, NOW).unwrap_err(),
        SigstoreError::NoVerifiedTime
    );
}

#[test]
fn rekor2_tampered_timestamp_is_refused() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (v, bundle, digest) = rekor2_verifier_and_bundle();
    let ts = &bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
        ["signedTimestamp"];
    let der = b64.decode(ts.as_str().unwrap()).unwrap();
    // Flip one byte in the CMS signature (end), in the TSTInfo message imprint (offset 110)
    // and in its genTime/serial area (offset 200). The embedded certificates are deliberately
    // not tested: trust comes from the trusted root's TSA chain, not from the token.
    for pos in [der.len() - 3, 110, 200] {
        let mut bad = der.clone();
        bad[pos] ^= 0x01;
        let mut b = bundle.clone();
        b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
            ["signedTimestamp"] = serde_json::Value::String(b64.encode(&bad));
        let err = v.verify_bundle(&b, &digest, NOW).unwrap_err();
        assert!(
            matches!(err, SigstoreError::Timestamp(_)),
            "byte {pos}: {err:?}"
        );
    }
}
