//! DSSE / in-toto / SLSA v1 provenance against tests/fixtures/in-toto-dsse (see PROVENANCE.md).

use ed25519_dalek::pkcs8::EncodePublicKey;
use palisade_attest::keys::PublicKey;
use palisade_attest::provenance::{
    normalize_repo, verify_envelope, BuilderKeyConfig, ProvenanceConfig, ProvenanceError,
    ProvenanceVerifier,
};
use palisade_core::dsse::Envelope;
use palisade_core::fixtures::fixture;
use serde_json::{json, Value};

const NOW: u64 = 1_700_000_000_000;
const DIGEST: &str = "sha256:7e9b6e7ba2842c91cf49f3e214d04a7a496f8214356f41d81a6e6dcad11f11e3";
const BUILDER: &str = "https://cloudbuild.googleapis.com/GoogleHostedWorker";
const REPO: &str = "https://github.com/khalkie/gcb-prod-prov";

/// The refusal when no signature from a trusted builder key verifies (threshold 1).
const NONE_VERIFIED: ProvenanceError = ProvenanceError::Threshold {
    verified: 0,
    threshold: 1,
};

fn read_json(rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture(&format!("in-toto-dsse/{rel}"))).unwrap())
        .unwrap()
}

fn gcb_key_pem() -> String {
    std::fs::read_to_string(fixture(
        "in-toto-dsse/gcb-slsa-v1/global-pae-google-hosted-worker_1.pub.pem",
    ))
    .unwrap()
}

fn config() -> ProvenanceConfig {
    ProvenanceConfig {
        builder_keys: vec![BuilderKeyConfig {
            id: "gcb-global-1".into(),
            public_key_pem: gcb_key_pem(),
        }],
        threshold: 1,
        allowed_builder_ids: vec![BUILDER.into()],
        allowed_source_repositories: vec![format!("{REPO}.git")],
        appraisal_ttl_secs: 60,
    }
}

fn evidence(env: Value, digest: &str) -> Value {
    json!({"envelope": env, "artifact_digest": digest})
}

#[test]
fn gcb_single_envelope_verifies() {
    let v = ProvenanceVerifier::new(config()).unwrap();
    let env = read_json("gcb-slsa-v1/DERIVED-single.dsse.json");
    let a = v.verify(&evidence(env, DIGEST), &[0; 32], NOW).unwrap();
    assert_eq!(a.kind, "dsse_provenance");
    assert_eq!(a.expires_at_ms, NOW + 60_000);
    assert_eq!(a.claims["provenance.builder_id"], BUILDER);
    assert_eq!(a.claims["provenance.source_repository"], REPO);
    assert_eq!(a.claims["provenance.subject_digest"], DIGEST);
    assert_eq!(a.claims["provenance.signed_by"], "gcb-global-1");
}

#[test]
fn gcb_envelopes_inside_gcloud_output_verify_as_labelled() {
    let v = ProvenanceVerifier::new(config()).unwrap();
    let single = read_json("gcb-slsa-v1/v1.0-gcloud-container-github-single.json");
    let env = single["provenance_summary"]["provenance"][0]["envelope"].clone();
    assert!(v.verify(&evidence(env, DIGEST), &[0; 32], NOW).is_ok());

    let two = read_json("gcb-slsa-v1/v1.0-gcloud-container-github-v1.0-valid.json");
    let envs = two["provenance_summary"]["provenance"].as_array().unwrap();
    assert!(v
        .verify(
            &evidence(envs[0]["envelope"].clone(), DIGEST),
            &[0; 32],
            NOW
        )
        .is_ok());
    // [1] is a tampered legacy envelope: none of its signatures verifies.
    assert_eq!(
        v.verify(
            &evidence(envs[1]["envelope"].clone(), DIGEST),
            &[0; 32],
            NOW
        ),
        Err(NONE_VERIFIED)
    );
}

#[test]
fn gcb_invalid_signature_is_refused() {
    let v = ProvenanceVerifier::new(config()).unwrap();
    for env in [
        read_json("gcb-slsa-v1/DERIVED-single-invalid-sig.dsse.json"),
        read_json("gcb-slsa-v1/v1.0-gcloud-container-github-single-invalid-sig.json")
            ["provenance_summary"]["provenance"][0]["envelope"]
            .clone(),
    ] {
        assert_eq!(
            v.verify(&evidence(env, DIGEST), &[0; 32], NOW),
            Err(NONE_VERIFIED)
        );
    }
}

#[test]
fn key_not_in_trust_config_is_refused() {
    let other = ed25519_dalek::SigningKey::from_bytes(&[7; 32])
        .verifying_key()
        .to_public_key_pem(Default::default())
        .unwrap();
    let mut cfg = config();
    cfg.builder_keys = vec![BuilderKeyConfig {
        id: "someone-else".into(),
        public_key_pem: other,
    }];
    let v = ProvenanceVerifier::new(cfg).unwrap();
    let env = read_json("gcb-slsa-v1/DERIVED-single.dsse.json");
    assert_eq!(
        v.verify(&evidence(env, DIGEST), &[0; 32], NOW),
        Err(NONE_VERIFIED)
    );
}

#[test]
fn disallowed_builder_and_source_are_refused() {
    let env = read_json("gcb-slsa-v1/DERIVED-single.dsse.json");
    let mut cfg = config();
    cfg.allowed_builder_ids =
        vec!["https://github.com/slsa-framework/slsa-github-generator".into()];
    let v = ProvenanceVerifier::new(cfg).unwrap();
    assert_eq!(
        v.verify(&evidence(env.clone(), DIGEST), &[0; 32], NOW),
        Err(ProvenanceError::BuilderNotAllowed(BUILDER.into()))
    );
    let mut cfg = config();
    cfg.allowed_source_repositories = vec!["https://github.com/khalkie/other".into()];
    let v = ProvenanceVerifier::new(cfg).unwrap();
    assert_eq!(
        v.verify(&evidence(env, DIGEST), &[0; 32], NOW),
        Err(ProvenanceError::SourceNotAllowed(REPO.into()))
    );
}

#[test]
fn artifact_digest_must_be_a_subject() {
    let v = ProvenanceVerifier::new(config()).unwrap();
    let env = read_json("gcb-slsa-v1/DERIVED-single.dsse.json");
    let other = format!("sha256:{}", "00".repeat(32));
    assert_eq!(
        v.verify(&evidence(env.clone(), &other), &[0; 32], NOW),
        Err(ProvenanceError::SubjectMismatch(other))
    );
    assert!(matches!(
        v.verify(&evidence(env, "nodigest"), &[0; 32], NOW),
        Err(ProvenanceError::Evidence(_))
    ));
}

#[test]
fn config_rejects_duplicate_keys_and_bad_threshold() {
    let mut cfg = config();
    cfg.builder_keys.push(BuilderKeyConfig {
        id: "same-key-other-name".into(),
        public_key_pem: gcb_key_pem(),
    });
    cfg.threshold = 2;
    assert!(matches!(
        ProvenanceVerifier::new(cfg),
        Err(ProvenanceError::Config(_))
    ));
    let mut cfg = config();
    cfg.threshold = 2;
    assert!(matches!(
        ProvenanceVerifier::new(cfg),
        Err(ProvenanceError::Config(_))
    ));
    let strict = json!({"builder_keys": [], "allowed_builder_ids": [], "allowed_source_repositories": [], "thresold": 1});
    assert!(serde_json::from_value::<ProvenanceConfig>(strict).is_err());
}

#[test]
fn repository_names_normalise() {
    assert_eq!(
        normalize_repo("git+https://github.com/khalkie/gcb-prod-prov@refs/heads/main"),
        REPO
    );
    assert_eq!(
        normalize_repo("https://github.com/khalkie/gcb-prod-prov.git/"),
        REPO
    );
    assert_eq!(
        normalize_repo("ssh://git@github.com/o/r.git"),
        "ssh://git@github.com/o/r"
    );
}

/// Every case of the DSSE protocol vectors, accepted or rejected as labelled.
#[test]
fn dsse_protocol_vectors() {
    let doc = read_json("dsse-protocol-vectors/vectors.json");
    let keys = doc["keys"].as_object().unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 9);
    for vector in vectors {
        let id = vector["id"].as_str().unwrap();
        let trusted: Vec<PublicKey> = vector["trustedKeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                let name = k.as_str().unwrap();
                let raw: [u8; 32] = hex::decode(keys[name]["public"].as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap();
                let pem = ed25519_dalek::VerifyingKey::from_bytes(&raw)
                    .unwrap()
                    .to_public_key_pem(Default::default())
                    .unwrap();
                PublicKey::from_pem(name, &pem).unwrap()
            })
            .collect();
        let types: Vec<&str> = vector["supportedPayloadTypes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let env: Envelope = serde_json::from_value(vector["envelope"].clone()).unwrap();
        let threshold = vector["threshold"].as_u64().unwrap() as usize;
        let got = verify_envelope(&env, &trusted, threshold, &types);
        match vector["expect"].as_str().unwrap() {
            "accept" => {
                let ok = got.unwrap_or_else(|e| panic!("{id}: expected accept, got {e}"));
                assert_eq!(ok.payload, env.payload_bytes().unwrap(), "{id}");
                assert!(ok.key_ids.len() >= threshold, "{id}");
            }
            "reject" => assert!(got.is_err(), "{id}: expected reject"),
            other => panic!("{id}: unknown expectation {other}"),
        }
    }
}
