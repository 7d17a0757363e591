//! Token refresh: same binding, never past the appraisal, refused for disabled identities.

mod common;
use common::*;
use palisade_core::RequestCredentials;
use palisade_identity::StatusAction;
use std::time::Duration;

const REFRESH: &str = "https://gw.example/v1/enroll/refresh";

fn refresh(h: &H, tok: &str, key: &TestKey) -> (u16, serde_json::Value) {
    let proof = key.proof("POST", REFRESH, h.now_s(), Some(tok));
    let authz = format!("DPoP {tok}");
    let creds = RequestCredentials {
        method: "POST",
        url: REFRESH,
        authorization: Some(&authz),
        dpop: Some(&proof),
        client_cert_sha256: None,
        api_key: None,
    };
    let (s, v, _) = h.svc.handle_refresh_http(&creds);
    (s, v)
}

#[test]
fn refresh_extends_until_appraisal_expiry_then_stops() {
    let h = H::new(); // join token appraisal: 3600 s
    let id = h.create("research/r");
    let key = TestKey::es256();
    let mut tok = h.enroll(&id, &key).access_token;
    for _ in 0..12 {
        h.clock.advance(Duration::from_secs(290));
        let (s, v) = refresh(&h, &tok, &key);
        assert_eq!(s, 200, "{v}");
        tok = v["access_token"].as_str().unwrap().to_owned();
        assert!(
            h.call(&tok, &key).is_ok(),
            "refreshed token keeps the DPoP binding"
        );
    }
    // 12 * 290 = 3480 s after enrollment: the next token is capped at the appraisal (3600 s).
    h.clock.advance(Duration::from_secs(100));
    let (s, v) = refresh(&h, &tok, &key);
    assert_eq!((s, v["expires_in"].as_u64().unwrap()), (200, 20));
    let tok = v["access_token"].as_str().unwrap().to_owned();
    h.clock.advance(Duration::from_secs(20));
    let (s, v) = refresh(&h, &tok, &key);
    // Within the 5 s leeway the token still authenticates, but nothing is left to grant.
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (401, "appraisal_expired")
    );
    h.clock.advance(Duration::from_secs(5));
    let (s, v) = refresh(&h, &tok, &key);
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (401, "token_expired")
    );
}

#[test]
fn refresh_needs_the_bound_key_and_an_active_identity() {
    let h = H::new();
    let id = h.create("research/r");
    let key = TestKey::es256();
    let tok = h.enroll(&id, &key).access_token;
    let (s, v) = refresh(&h, &tok, &TestKey::es256());
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (401, "dpop_key_mismatch")
    );
    h.svc
        .registry
        .set_status(&id, StatusAction::Suspend, "ops", "pause")
        .unwrap();
    let (s, v) = refresh(&h, &tok, &key);
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (403, "identity_suspended")
    );
}
