//! Stage 3 negatives and positives, each its own case with its precise code.

mod common;
use common::*;
use hmac::{Hmac, Mac};
use palisade_core::ManualClock;
use palisade_core::{Authenticator, RequestCredentials};
use palisade_identity::StatusAction;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn setup() -> (H, palisade_core::SpiffeId, TestKey, String) {
    let h = H::new();
    let id = h.create("research/agent-1");
    let key = TestKey::es256();
    let tok = h.enroll(&id, &key).access_token;
    (h, id, key, tok)
}

fn claims(h: &H, id: &palisade_core::SpiffeId, key: &TestKey) -> serde_json::Value {
    let now = h.now_s();
    json!({"iss": h.cfg.issuer, "sub": id.to_string(), "aud": h.cfg.audience, "iat": now, "nbf": now,
           "exp": now + 300, "jti": "j1", "segment": "research", "scopes": [], "att": ["join_token"],
           "cnf": {"jkt": palisade_identity::jose::PublicJwk::from_json(&key.jwk()).unwrap().thumbprint()}})
}

#[test]
fn valid_es256_dpop_call_passes_with_identity_details() {
    let (h, id, key, tok) = setup();
    h.clock.advance(Duration::from_secs(7));
    let ident = h.call(&tok, &key).unwrap();
    assert_eq!(ident.id, id);
    assert_eq!(ident.attestation_kinds, vec!["join_token".to_string()]);
    assert_eq!(ident.token_age_secs, 7);
    assert_eq!(ident.scopes, vec!["gpt-4o".to_string()]);
}

#[test]
fn valid_ed25519_dpop_call_passes() {
    let h = H::new();
    let id = h.create("research/agent-ed");
    let key = TestKey::ed25519();
    let tok = h.enroll(&id, &key).access_token;
    assert!(h.call(&tok, &key).is_ok());
}

#[test]
fn expired_token() {
    let (h, _, key, tok) = setup();
    h.clock.advance(Duration::from_secs(300 + 5));
    assert_eq!(code(h.call(&tok, &key)), (401, "token_expired".into()));
}

#[test]
fn expiry_within_leeway_still_passes() {
    let (h, _, key, tok) = setup();
    h.clock.advance(Duration::from_secs(300 + 4));
    assert!(h.call(&tok, &key).is_ok());
}

#[test]
fn not_yet_valid_token() {
    let (h, id, key, _) = setup();
    let mut c = claims(&h, &id, &key);
    c["nbf"] = json!(h.now_s() + 60);
    let tok = h.svc.keys.sign_jwt(&c);
    assert_eq!(
        code(h.call(&tok, &key)),
        (401, "token_not_yet_valid".into())
    );
}

#[test]
fn wrong_audience() {
    let (h, id, key, _) = setup();
    let mut c = claims(&h, &id, &key);
    c["aud"] = json!("another-gateway");
    assert_eq!(
        code(h.call(&h.svc.keys.sign_jwt(&c), &key)),
        (401, "wrong_audience".into())
    );
}

#[test]
fn wrong_issuer() {
    let (h, id, key, _) = setup();
    let mut c = claims(&h, &id, &key);
    c["iss"] = json!("https://evil.example");
    assert_eq!(
        code(h.call(&h.svc.keys.sign_jwt(&c), &key)),
        (401, "wrong_issuer".into())
    );
}

#[test]
fn alg_none_refused() {
    let (h, id, key, _) = setup();
    let kid = h.svc.keys.current_kid();
    let tok = format!(
        "{}.{}.",
        b64(json!({"alg":"none","kid":kid}).to_string().as_bytes()),
        b64(claims(&h, &id, &key).to_string().as_bytes())
    );
    assert_eq!(code(h.call(&tok, &key)), (401, "token_alg_rejected".into()));
}

#[test]
fn hs256_with_public_key_refused() {
    let (h, id, key, _) = setup();
    let kid = h.svc.keys.current_kid();
    let input = format!(
        "{}.{}",
        b64(json!({"alg":"HS256","kid":kid}).to_string().as_bytes()),
        b64(claims(&h, &id, &key).to_string().as_bytes())
    );
    // The classic confusion attack: HMAC keyed with the published public key.
    let jwks = h.svc.keys.jwks();
    let pubkey = jwks["keys"][0]["x"].as_str().unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(pubkey.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    let tok = format!("{input}.{}", b64(&mac.finalize().into_bytes()));
    assert_eq!(code(h.call(&tok, &key)), (401, "token_alg_rejected".into()));
}

#[test]
fn wrong_alg_es256_token_refused() {
    let (h, id, key, _) = setup();
    let kid = h.svc.keys.current_kid();
    let tok = key.sign_jws(&json!({"alg":"ES256","kid":kid}), &claims(&h, &id, &key));
    assert_eq!(code(h.call(&tok, &key)), (401, "token_alg_rejected".into()));
}

#[test]
fn tampered_signature() {
    let (h, _, key, tok) = setup();
    let (head, sig) = tok.rsplit_once('.').unwrap();
    let mut s = sig.as_bytes().to_vec();
    s[5] = if s[5] == b'A' { b'B' } else { b'A' };
    let bad = format!("{head}.{}", String::from_utf8(s).unwrap());
    assert_eq!(code(h.call(&bad, &key)), (401, "bad_signature".into()));
}

#[test]
fn token_of_a_with_proof_key_of_b() {
    let (h, _, _key_a, tok_a) = setup();
    let id_b = h.create("research/agent-b");
    let key_b = TestKey::es256();
    let _tok_b = h.enroll(&id_b, &key_b);
    assert_eq!(
        code(h.call(&tok_a, &key_b)),
        (401, "dpop_key_mismatch".into())
    );
}

#[test]
fn replayed_dpop_proof() {
    let (h, _, key, tok) = setup();
    let proof = key.proof("POST", URL, h.now_s(), Some(&tok));
    let authz = format!("DPoP {tok}");
    assert!(h.auth(&authz, Some(&proof)).is_ok());
    assert_eq!(
        code(h.auth(&authz, Some(&proof))),
        (401, "dpop_replay".into())
    );
}

#[test]
fn wrong_htm() {
    let (h, _, key, tok) = setup();
    let proof = key.proof("GET", URL, h.now_s(), Some(&tok));
    assert_eq!(
        code(h.auth(&format!("DPoP {tok}"), Some(&proof))),
        (401, "dpop_htm_mismatch".into())
    );
}

#[test]
fn wrong_htu() {
    let (h, _, key, tok) = setup();
    let proof = key.proof(
        "POST",
        "https://gw.example/v1/embeddings",
        h.now_s(),
        Some(&tok),
    );
    assert_eq!(
        code(h.auth(&format!("DPoP {tok}"), Some(&proof))),
        (401, "dpop_htu_mismatch".into())
    );
}

#[test]
fn htu_compared_normalized_without_query() {
    let (h, _, key, tok) = setup();
    let proof = key.proof(
        "POST",
        "HTTPS://GW.example:443/v1/chat/completions?x=1#f",
        h.now_s(),
        Some(&tok),
    );
    assert!(h.auth(&format!("DPoP {tok}"), Some(&proof)).is_ok());
}

#[test]
fn proof_outside_iat_window() {
    let (h, _, key, tok) = setup();
    let proof = key.proof("POST", URL, h.now_s() - 61, Some(&tok));
    assert_eq!(
        code(h.auth(&format!("DPoP {tok}"), Some(&proof))),
        (401, "dpop_iat_window".into())
    );
    let future = key.proof("POST", URL, h.now_s() + 61, Some(&tok));
    assert_eq!(
        code(h.auth(&format!("DPoP {tok}"), Some(&future))),
        (401, "dpop_iat_window".into())
    );
}

#[test]
fn missing_ath() {
    let (h, _, key, tok) = setup();
    let proof = key.proof("POST", URL, h.now_s(), None);
    assert_eq!(
        code(h.auth(&format!("DPoP {tok}"), Some(&proof))),
        (401, "dpop_ath_missing".into())
    );
}

#[test]
fn ath_of_another_token() {
    let (h, _, key, tok) = setup();
    let proof = key.proof("POST", URL, h.now_s(), Some("other-token"));
    assert_eq!(
        code(h.auth(&format!("DPoP {tok}"), Some(&proof))),
        (401, "dpop_ath_mismatch".into())
    );
}

#[test]
fn missing_dpop_header() {
    let (h, _, _, tok) = setup();
    assert_eq!(
        code(h.auth(&format!("DPoP {tok}"), None)),
        (401, "dpop_missing".into())
    );
}

#[test]
fn dpop_bound_token_with_bearer_scheme() {
    let (h, _, key, tok) = setup();
    let proof = key.proof("POST", URL, h.now_s(), Some(&tok));
    assert_eq!(
        code(h.auth(&format!("Bearer {tok}"), Some(&proof))),
        (401, "dpop_scheme_required".into())
    );
}

#[test]
fn revoked_identity() {
    let (h, id, key, tok) = setup();
    h.svc
        .registry
        .set_status(&id, StatusAction::Revoke, "ops", "key leaked")
        .unwrap();
    assert_eq!(code(h.call(&tok, &key)), (403, "identity_revoked".into()));
}

#[test]
fn quarantined_identity_then_released() {
    let (h, id, key, tok) = setup();
    assert!(h.call(&tok, &key).is_ok(), "warms the status cache");
    h.svc
        .registry
        .set_status(&id, StatusAction::Quarantine, "behavior", "exfil pattern")
        .unwrap();
    assert_eq!(
        code(h.call(&tok, &key)),
        (403, "identity_quarantined".into())
    );
    h.svc
        .registry
        .set_status(&id, StatusAction::Release, "alice", "investigated")
        .unwrap();
    assert!(h.call(&tok, &key).is_ok());
}

#[test]
fn suspended_identity() {
    let (h, id, key, tok) = setup();
    assert!(h.call(&tok, &key).is_ok());
    h.svc
        .registry
        .set_status(&id, StatusAction::Suspend, "ops", "maintenance")
        .unwrap();
    assert_eq!(code(h.call(&tok, &key)), (403, "identity_suspended".into()));
}

#[test]
fn static_api_keys_refused() {
    let (h, _, _, _) = setup();
    assert_eq!(
        code(h.auth("Bearer sk-proj-abc123", None)),
        (401, "static_api_key_refused".into())
    );
    let creds = RequestCredentials {
        method: "POST",
        url: URL,
        authorization: None,
        dpop: None,
        client_cert_sha256: None,
        api_key: Some("sk-ant-xyz"),
    };
    let e = h.svc.authenticator.authenticate(&creds).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (401, "static_api_key_refused"));
    assert!(!e.message.contains("sk-ant"), "never echo the key");
}

#[test]
fn no_credential() {
    let h = H::new();
    use palisade_core::Authenticator;
    let creds = RequestCredentials {
        method: "GET",
        url: URL,
        authorization: None,
        dpop: None,
        client_cert_sha256: None,
        api_key: None,
    };
    assert_eq!(
        h.svc.authenticator.authenticate(&creds).unwrap_err().code,
        "missing_credential"
    );
}

#[test]
fn unbound_bearer_refused_unless_legacy_and_then_marked() {
    let h = H::new();
    let strict = h.create("research/strict");
    let legacy = h.create_with("research/legacy", &["join_token"], true);
    let mk = |id: &palisade_core::SpiffeId| {
        let now = h.now_s();
        h.svc.keys.sign_jwt(&json!({"iss": h.cfg.issuer, "sub": id.to_string(), "aud": h.cfg.audience,
            "iat": now, "nbf": now, "exp": now + 60, "jti": "u", "segment": "research", "scopes": [], "att": []}))
    };
    assert_eq!(
        code(h.auth(&format!("Bearer {}", mk(&strict)), None)),
        (401, "unbound_token".into())
    );
    let ident = h.auth(&format!("Bearer {}", mk(&legacy)), None).unwrap();
    assert!(ident
        .attestation_kinds
        .contains(&palisade_identity::LEGACY_BEARER_MARK.to_string()));
}

#[test]
fn mtls_bound_token() {
    let h = H::new();
    let id = h.create("research/mtls");
    let cert = [7u8; 32];
    let now = h.now_s();
    let tok = h.svc.keys.sign_jwt(&json!({"iss": h.cfg.issuer, "sub": id.to_string(), "aud": h.cfg.audience,
        "iat": now, "nbf": now, "exp": now + 60, "jti": "m", "segment": "research", "scopes": [], "att": [],
        "cnf": {"x5t#S256": b64(&cert)}}));
    let authz = format!("Bearer {tok}");
    let mut creds = RequestCredentials {
        method: "POST",
        url: URL,
        authorization: Some(&authz),
        dpop: None,
        client_cert_sha256: Some(cert),
        api_key: None,
    };
    assert!(h.svc.authenticator.authenticate(&creds).is_ok());
    creds.client_cert_sha256 = Some([8u8; 32]);
    assert_eq!(
        h.svc.authenticator.authenticate(&creds).unwrap_err().code,
        "mtls_cert_mismatch"
    );
    creds.client_cert_sha256 = None;
    assert_eq!(
        h.svc.authenticator.authenticate(&creds).unwrap_err().code,
        "mtls_cert_missing"
    );
}

#[test]
fn rotated_key_still_verifies_previous_tokens() {
    let (h, _, key, tok) = setup();
    h.svc.keys.rotate().unwrap();
    assert!(h.call(&tok, &key).is_ok());
    h.svc.keys.rotate().unwrap();
    assert_eq!(
        code(h.call(&tok, &key)),
        (401, "unknown_signing_key".into())
    );
}

#[test]
fn server_nonce_required_then_accepted() {
    let mut c = cfg();
    c.require_dpop_nonce = true;
    let h = H::with_cfg(c);
    let id = h.create("research/nonce");
    let key = TestKey::es256();
    let tok = h.enroll(&id, &key).access_token;
    let e = h.call(&tok, &key).unwrap_err();
    assert_eq!(e.code, "use_dpop_nonce");
    let nonce = e.dpop_nonce.expect("fresh nonce offered");
    let proof = key.proof_claims(json!({"jti":"n1","htm":"POST","htu":URL,"iat":h.now_s(),
        "ath": b64(&<sha2::Sha256 as sha2::Digest>::digest(tok.as_bytes())), "nonce": nonce}));
    assert!(h.auth(&format!("DPoP {tok}"), Some(&proof)).is_ok());
}

#[test]
fn server_nonce_is_on_by_default() {
    assert!(palisade_identity::IdentityConfig::default().require_dpop_nonce);
}

/// The attack: capture a proof + token, wait for the gateway to restart, replay it. The replay
/// cache lives in the state database, so the restarted gateway still knows the proof; the nonce
/// key is the sealed one, so the proof's nonce is still valid and only the cache refuses it.
#[test]
fn restart_replay_of_a_dpop_proof() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg();
    c.require_dpop_nonce = true;
    let nonce_key = [5u8; 32];
    let open = || {
        let store = Arc::new(palisade_store::Store::open(dir.path()).unwrap());
        let clock: palisade_core::SharedClock = Arc::new(ManualClock::new(T0_MS));
        palisade_identity::IdentityService::open(c.clone(), store, dir.path(), nonce_key, clock)
            .unwrap()
    };
    let svc = open();
    let id: palisade_core::SpiffeId = "spiffe://lab.example/research/replay".parse().unwrap();
    svc.registry
        .create(
            palisade_identity::NewIdentity {
                id: id.clone(),
                kind: palisade_core::IdentityKind::Agent,
                owner: "o".into(),
                scopes: vec![],
                max_ttl_secs: 3600,
                requirements: vec!["join_token".into()],
                legacy_bearer: false,
            },
            "test",
        )
        .unwrap();
    let key = TestKey::es256();
    let n = svc.enrollment.challenge(&id.to_string()).unwrap();
    let now_s = T0_MS / 1000;
    let pop = key.proof_claims(json!({"jti":"e1","htm":"POST","htu":"https://gw.example/v1/enroll","iat":now_s,"nonce":n.nonce}));
    let body = json!({"identity": id.to_string(), "nonce": n.nonce, "jwk": key.jwk(), "proof": pop,
        "evidence": [{"kind": "join_token", "token": svc.registry.join_token(&id, 600).unwrap().token}]});
    let (status, out) = svc
        .enrollment
        .handle_enroll_http("/v1/enroll", body.to_string().as_bytes());
    assert_eq!(status, 200, "{out}");
    let tok = out["access_token"].as_str().unwrap().to_owned();
    let nonce = svc.authenticator.dpop_nonce();
    let proof = key.proof_claims(json!({"jti":"captured","htm":"POST","htu":URL,"iat":now_s,
        "ath": b64(&<sha2::Sha256 as sha2::Digest>::digest(tok.as_bytes())), "nonce": nonce}));
    let authz = format!("DPoP {tok}");
    let creds = RequestCredentials {
        method: "POST",
        url: URL,
        authorization: Some(&authz),
        dpop: Some(&proof),
        client_cert_sha256: None,
        api_key: None,
    };
    svc.authenticator
        .authenticate_detailed(&creds)
        .expect("first use passes");
    drop(svc);
    let svc = open();
    let e = svc.authenticator.authenticate_detailed(&creds).unwrap_err();
    assert_eq!(e.code(), "dpop_replay");
}

#[test]
fn expired_after_cached_use() {
    let (h, _, key, tok) = setup();
    assert!(h.call(&tok, &key).is_ok(), "signature now cached");
    h.clock.advance(Duration::from_secs(305));
    assert_eq!(code(h.call(&tok, &key)), (401, "token_expired".into()));
}
