//! Enrollment: challenge/response, nonce lifecycle, evidence binding, requirements, expiry caps.

mod common;
use common::*;
use palisade_identity::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A stand-in for a binding-carrying TEE verifier (the real ones live in palisade-attest):
/// accepts `{"kind":"test_tee","report_data": hex}` iff report_data is the binding.
struct BindingTee {
    ttl_ms: u64,
}

impl EvidenceVerifier for BindingTee {
    fn kind(&self) -> &str {
        "test_tee"
    }
    fn verify(
        &self,
        e: &Value,
        binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, EvidenceError> {
        if e["report_data"].as_str() != Some(hex::encode(binding).as_str()) {
            return Err(EvidenceError::new(
                "test_tee",
                "evidence_binding_mismatch",
                "report_data does not bind nonce and key",
            ));
        }
        Ok(Appraisal {
            kind: "test_tee".into(),
            expires_at_ms: now_ms + self.ttl_ms,
            claims: BTreeMap::new(),
        })
    }
}

fn h_with_tee(ttl_ms: u64) -> H {
    let mut h = H::new();
    h.svc.add_verifier(Arc::new(BindingTee { ttl_ms }));
    h
}

fn tee_request(
    h: &H,
    id: &palisade_core::SpiffeId,
    key: &TestKey,
    bind_nonce: Option<&str>,
) -> EnrollRequest {
    let nonce = h.svc.enrollment.challenge(&id.to_string()).unwrap().nonce;
    let jkt = jose::PublicJwk::from_json(&key.jwk()).unwrap().thumbprint();
    let b = binding(bind_nonce.unwrap_or(&nonce), &jkt);
    let proof = key.proof_claims(json!({"jti":b64(&rand::random::<[u8; 12]>()),"htm":"POST","htu":"https://gw.example/v1/enroll","iat":h.now_s(),"nonce":nonce}));
    serde_json::from_value(
        json!({"identity": id.to_string(), "nonce": nonce, "jwk": key.jwk(), "proof": proof,
        "evidence": [{"kind":"test_tee","report_data": hex::encode(b)}]}),
    )
    .unwrap()
}

fn ecode(r: Result<IssuedToken, EnrollError>) -> String {
    r.unwrap_err().code()
}

#[test]
fn join_token_enrollment_issues_bound_token() {
    let h = H::new();
    let id = h.create("research/a");
    let key = TestKey::es256();
    let t = h.enroll(&id, &key);
    assert_eq!(t.token_type, "DPoP");
    assert_eq!(t.expires_in, 300);
    assert_eq!(t.appraisals[0].kind, "join_token");
    assert!(
        !format!("{t:?}").contains(&t.access_token),
        "debug hides the token"
    );
}

#[test]
fn nonce_reused() {
    let h = H::new();
    let id = h.create("research/a");
    let key = TestKey::es256();
    let req = h.enroll_request(&id, &key);
    h.svc.enrollment.enroll(&req).unwrap();
    assert_eq!(ecode(h.svc.enrollment.enroll(&req)), "nonce_reused");
}

#[test]
fn nonce_expired() {
    let h = H::new();
    let id = h.create("research/a");
    let key = TestKey::es256();
    let req = h.enroll_request(&id, &key);
    h.clock.advance(Duration::from_secs(301));
    assert_eq!(ecode(h.svc.enrollment.enroll(&req)), "nonce_expired");
}

#[test]
fn nonce_unknown_and_for_another_identity() {
    let h = H::new();
    let a = h.create("research/a");
    let b = h.create("research/b");
    let key = TestKey::es256();
    let mut req = h.enroll_request(&a, &key);
    req.nonce = "made-up".into();
    assert_eq!(ecode(h.svc.enrollment.enroll(&req)), "nonce_unknown");
    let mut req = h.enroll_request(&a, &key);
    req.identity = b.to_string();
    assert_eq!(
        ecode(h.svc.enrollment.enroll(&req)),
        "nonce_identity_mismatch"
    );
}

#[test]
fn evidence_bound_to_another_nonce() {
    let h = h_with_tee(600_000);
    let id = h.create_with("research/tee", &["test_tee"], false);
    let key = TestKey::es256();
    let ok = tee_request(&h, &id, &key, None);
    assert!(h.svc.enrollment.enroll(&ok).is_ok());
    let other = h.svc.enrollment.challenge(&id.to_string()).unwrap().nonce;
    let bad = tee_request(&h, &id, &key, Some(&other));
    assert_eq!(
        ecode(h.svc.enrollment.enroll(&bad)),
        "evidence_binding_mismatch"
    );
}

#[test]
fn evidence_bound_to_another_key() {
    let h = h_with_tee(600_000);
    let id = h.create_with("research/tee", &["test_tee"], false);
    let key = TestKey::es256();
    let mut req = tee_request(&h, &id, &key, None);
    // Swap in another key with its own valid proof: the evidence still binds the first key.
    let k2 = TestKey::es256();
    req.jwk = Some(k2.jwk());
    req.proof = Some(k2.proof_claims(json!({"jti":"q","htm":"POST","htu":"https://gw.example/v1/enroll","iat":h.now_s(),"nonce":req.nonce})));
    assert_eq!(
        ecode(h.svc.enrollment.enroll(&req)),
        "evidence_binding_mismatch"
    );
}

#[test]
fn token_never_outlives_appraisal() {
    let h = h_with_tee(42_000);
    let id = h.create_with("research/tee", &["test_tee"], false);
    let key = TestKey::es256();
    let t = h
        .svc
        .enrollment
        .enroll(&tee_request(&h, &id, &key, None))
        .unwrap();
    assert_eq!(t.expires_in, 42);
}

#[test]
fn token_capped_by_identity_max() {
    let h = H::new();
    let id: palisade_core::SpiffeId = "spiffe://lab.example/research/short".parse().unwrap();
    h.svc
        .registry
        .create(
            NewIdentity {
                id: id.clone(),
                kind: palisade_core::IdentityKind::Workload,
                owner: "o".into(),
                scopes: vec![],
                max_ttl_secs: 60,
                requirements: vec!["join_token".into()],
                legacy_bearer: false,
            },
            "t",
        )
        .unwrap();
    assert_eq!(h.enroll(&id, &TestKey::ed25519()).expires_in, 60);
}

#[test]
fn missing_required_evidence() {
    let h = h_with_tee(600_000);
    let id = h.create_with("research/both", &["join_token", "test_tee"], false);
    let key = TestKey::es256();
    let req = h.enroll_request(&id, &key);
    let e = h.svc.enrollment.enroll(&req).unwrap_err();
    assert_eq!(e.code(), "evidence_missing");
    assert!(e.to_string().contains("test_tee"));
}

#[test]
fn unsupported_evidence_kind() {
    let h = H::new();
    let id = h.create("research/a");
    let key = TestKey::es256();
    let mut req = h.enroll_request(&id, &key);
    req.evidence.push(json!({"kind": "sample_tee"}));
    assert_eq!(
        ecode(h.svc.enrollment.enroll(&req)),
        "evidence_kind_unsupported"
    );
}

#[test]
fn join_token_of_another_identity() {
    let h = H::new();
    let a = h.create("research/a");
    let b = h.create("research/b");
    let key = TestKey::es256();
    let mut req = h.enroll_request(&a, &key);
    let jt_b = h.svc.registry.join_token(&b, 60).unwrap();
    req.evidence = vec![json!({"kind":"join_token","token": jt_b.token})];
    assert_eq!(
        ecode(h.svc.enrollment.enroll(&req)),
        "evidence_identity_mismatch"
    );
}

#[test]
fn join_token_used_and_expired() {
    let h = H::new();
    let id = h.create("research/a");
    let key = TestKey::es256();
    let req = h.enroll_request(&id, &key);
    h.svc.enrollment.enroll(&req).unwrap();
    let mut again = h.enroll_request(&id, &key);
    again.evidence = req.evidence.clone();
    assert_eq!(ecode(h.svc.enrollment.enroll(&again)), "join_token_used");
    let jt = h.svc.registry.join_token(&id, 10).unwrap();
    h.clock.advance(Duration::from_secs(11));
    let mut late = h.enroll_request(&id, &key);
    late.evidence = vec![json!({"kind":"join_token","token": jt.token})];
    assert_eq!(ecode(h.svc.enrollment.enroll(&late)), "join_token_expired");
}

#[test]
fn proof_of_possession_required_and_checked() {
    let h = H::new();
    let id = h.create("research/a");
    let key = TestKey::es256();
    let mut req = h.enroll_request(&id, &key);
    req.proof = None;
    assert_eq!(ecode(h.svc.enrollment.enroll(&req)), "proof_missing");
    let mut req = h.enroll_request(&id, &key);
    req.proof = Some(key.proof_claims(json!({"jti":"x","htm":"POST","htu":"https://gw.example/v1/enroll","iat":h.now_s(),"nonce":"other"})));
    assert_eq!(ecode(h.svc.enrollment.enroll(&req)), "key_binding_invalid");
    let mut req = h.enroll_request(&id, &key);
    req.proof =
        Some(TestKey::es256().proof_claims(
            json!({"jti":"y","htm":"POST","htu":"u","iat":h.now_s(),"nonce":req.nonce}),
        ));
    assert_eq!(ecode(h.svc.enrollment.enroll(&req)), "key_binding_invalid");
}

#[test]
fn disabled_identity_cannot_enroll() {
    let h = H::new();
    let id = h.create("research/a");
    let key = TestKey::es256();
    let req = h.enroll_request(&id, &key);
    h.svc
        .registry
        .set_status(&id, StatusAction::Quarantine, "ops", "why")
        .unwrap();
    let e = h.svc.enrollment.enroll(&req).unwrap_err();
    assert_eq!(
        (e.status(), e.code()),
        (403, "identity_quarantined".to_string())
    );
    assert_eq!(
        h.svc
            .enrollment
            .challenge(&id.to_string())
            .unwrap_err()
            .code(),
        "identity_quarantined"
    );
}

#[test]
fn http_handlers_round_trip() {
    let h = H::new();
    let id = h.create("research/http");
    let key = TestKey::ed25519();
    let (s, v) = h.svc.enrollment.handle_enroll_http(
        "/v1/enroll/challenge",
        json!({"identity": id.to_string()}).to_string().as_bytes(),
    );
    assert_eq!(s, 200);
    let nonce = v["nonce"].as_str().unwrap().to_owned();
    assert_eq!(v["expires_at"].as_u64().unwrap(), h.now_s() + 300);
    let jt = h.svc.registry.join_token(&id, 60).unwrap();
    let proof = key.proof_claims(json!({"jti":"h","htm":"POST","htu":"https://gw.example/v1/enroll","iat":h.now_s(),"nonce":nonce}));
    let body = json!({"identity": id.to_string(), "nonce": nonce, "jwk": key.jwk(), "proof": proof,
        "evidence": [{"kind":"join_token","token": jt.token}]});
    let (s, v) = h
        .svc
        .enrollment
        .handle_enroll_http("/v1/enroll", body.to_string().as_bytes());
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["token_type"], "DPoP");
    let tok = v["access_token"].as_str().unwrap();
    assert!(h.call(tok, &key).is_ok());
    let (s, v) = h
        .svc
        .enrollment
        .handle_enroll_http("/v1/enroll", body.to_string().as_bytes());
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (401, "nonce_reused")
    );
    let (s, v) = h
        .svc
        .enrollment
        .handle_enroll_http("/v1/enroll", b"{not json");
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (400, "invalid_request")
    );
    let (s, v) = h
        .svc
        .enrollment
        .handle_enroll_http("/.well-known/jwks.json", b"");
    assert_eq!(s, 200);
    assert_eq!(v["keys"][0]["alg"], "EdDSA");
    assert_eq!(h.svc.enrollment.handle_enroll_http("/v1/other", b"").0, 404);
}

#[test]
fn mtls_enrollment_checks_certificate() {
    let h = H::new();
    let id = h.create("research/m");
    let cert = [9u8; 32];
    let mk = |h: &H| {
        let nonce = h.svc.enrollment.challenge(&id.to_string()).unwrap().nonce;
        let jt = h.svc.registry.join_token(&id, 60).unwrap();
        serde_json::from_value::<EnrollRequest>(
            json!({"identity": id.to_string(), "nonce": nonce, "x5t#S256": b64(&cert),
            "evidence": [{"kind":"join_token","token": jt.token}]}),
        )
        .unwrap()
    };
    let t = h
        .svc
        .enrollment
        .enroll_with_cert(&mk(&h), Some(cert))
        .unwrap();
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(
        ecode(h.svc.enrollment.enroll_with_cert(&mk(&h), Some([1u8; 32]))),
        "key_binding_invalid"
    );
    assert_eq!(
        ecode(h.svc.enrollment.enroll(&mk(&h))),
        "key_binding_invalid"
    );
}

#[test]
fn errors_and_debug_never_echo_secrets() {
    let h = H::new();
    let id = h.create("research/a");
    let key = TestKey::es256();
    let req = h.enroll_request(&id, &key);
    let secret = req.evidence[0]["token"].as_str().unwrap().to_owned();
    assert!(!format!("{req:?}").contains(&secret));
    // A secret in a place where the schema wants another type must not come back in the error.
    let body = json!({"identity": id.to_string(), "nonce": req.nonce, "jwk": key.jwk(), "evidence": secret});
    let (s, v) = h
        .svc
        .enrollment
        .handle_enroll_http("/v1/enroll", body.to_string().as_bytes());
    assert_eq!(s, 400);
    assert!(!v.to_string().contains(&secret), "{v}");
}

#[test]
fn keyless_enrollment_only_for_legacy_bearer_identities() {
    let h = H::new();
    let strict = h.create("research/strict");
    let legacy = h.create_with("research/legacy", &["join_token"], true);
    let keyless = |id: &palisade_core::SpiffeId| {
        let mut r = h.enroll_request(id, &TestKey::es256());
        r.jwk = None;
        r.proof = None;
        r
    };
    assert_eq!(
        ecode(h.svc.enrollment.enroll(&keyless(&strict))),
        "key_binding_invalid"
    );
    let t = h.svc.enrollment.enroll(&keyless(&legacy)).unwrap();
    assert_eq!(t.token_type, "Bearer");
    let ident = h.auth(&format!("Bearer {}", t.access_token), None).unwrap();
    assert!(ident
        .attestation_kinds
        .contains(&LEGACY_BEARER_MARK.to_string()));
}
