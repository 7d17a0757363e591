//! The Kubernetes projected service-account token attestor, against a generated cluster key.

mod common;
use common::*;
use palisade_identity::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ISS: &str = "https://kubernetes.default.svc.cluster.local";

fn setup() -> (K8sSaVerifier, TestKey) {
    let key = TestKey::es256();
    let mut jwk = key.jwk();
    jwk["kid"] = json!("cluster-key-1");
    jwk["alg"] = json!("ES256");
    let mut accounts = BTreeMap::new();
    accounts.insert(
        "system:serviceaccount:ml:trainer".to_owned(),
        "spiffe://lab.example/training/trainer".to_owned(),
    );
    let cfg = K8sConfig {
        issuer: ISS.into(),
        audience: "palisade".into(),
        jwks_file: "unused".into(),
        service_accounts: accounts,
    };
    (
        K8sSaVerifier::new(&cfg, &json!({"keys": [jwk]})).unwrap(),
        key,
    )
}

fn sat(key: &TestKey, patch: impl FnOnce(&mut Value)) -> Value {
    let now = T0_MS / 1000;
    let mut c = json!({"iss": ISS, "sub": "system:serviceaccount:ml:trainer", "aud": ["palisade"], "iat": now, "nbf": now,
        "exp": now + 600, "kubernetes.io": {"namespace": "ml", "pod": {"name": "trainer-0", "uid": "u"},
        "serviceaccount": {"name": "trainer", "uid": "s"}}});
    patch(&mut c);
    json!({"kind": "k8s_sat", "token": key.sign_jws(&json!({"alg":"ES256","kid":"cluster-key-1"}), &c)})
}

fn code(v: &K8sSaVerifier, e: &Value) -> String {
    v.verify(e, &[0; 32], T0_MS).unwrap_err().code
}

#[test]
fn valid_token_maps_service_account_to_identity() {
    let (v, key) = setup();
    let a = v.verify(&sat(&key, |_| {}), &[0; 32], T0_MS).unwrap();
    assert_eq!(a.kind, "k8s_sat");
    assert_eq!(
        a.claims[BOUND_IDENTITY],
        "spiffe://lab.example/training/trainer"
    );
    assert_eq!(a.claims["pod"], "trainer-0");
    assert_eq!(a.expires_at_ms, T0_MS + 600_000);
}

#[test]
fn wrong_issuer_audience_expiry_account_and_key() {
    let (v, key) = setup();
    assert_eq!(
        code(&v, &sat(&key, |c| c["iss"] = json!("https://other"))),
        "k8s_wrong_issuer"
    );
    assert_eq!(
        code(&v, &sat(&key, |c| c["aud"] = json!(["vault"]))),
        "k8s_wrong_audience"
    );
    assert_eq!(
        code(&v, &sat(&key, |c| c["exp"] = json!(T0_MS / 1000 - 10))),
        "k8s_token_expired"
    );
    assert_eq!(
        code(&v, &sat(&key, |c| c["nbf"] = json!(T0_MS / 1000 + 60))),
        "k8s_token_not_yet_valid"
    );
    assert_eq!(
        code(
            &v,
            &sat(&key, |c| c["sub"] = json!("system:serviceaccount:ml:other"))
        ),
        "k8s_unmapped_account"
    );
    assert_eq!(
        code(&v, &sat(&TestKey::es256(), |_| {})),
        "k8s_bad_signature"
    );
}

#[test]
fn alg_confusion_refused() {
    let (v, key) = setup();
    let good = sat(&key, |_| {});
    let tok = good["token"].as_str().unwrap();
    let (_, rest) = tok.split_once('.').unwrap();
    let forged = format!(
        "{}.{rest}",
        b64(json!({"alg":"none","kid":"cluster-key-1"})
            .to_string()
            .as_bytes())
    );
    assert_eq!(
        code(&v, &json!({"kind":"k8s_sat","token": forged})),
        "k8s_alg_rejected"
    );
}

#[test]
fn enrollment_with_k8s_requirement() {
    let mut h = H::new();
    let (v, key) = setup();
    h.svc.add_verifier(std::sync::Arc::new(v));
    let id: palisade_core::SpiffeId = "spiffe://lab.example/training/trainer".parse().unwrap();
    h.svc
        .registry
        .create(
            NewIdentity {
                id: id.clone(),
                kind: palisade_core::IdentityKind::Workload,
                owner: "ml".into(),
                scopes: vec![],
                max_ttl_secs: 3600,
                requirements: vec!["k8s_sat".into()],
                legacy_bearer: false,
            },
            "t",
        )
        .unwrap();
    let dkey = TestKey::es256();
    let mut req = h.enroll_request(&id, &dkey);
    req.evidence = vec![sat(&key, |_| {})];
    let t = h.svc.enrollment.enroll(&req).unwrap();
    assert!(h
        .call(&t.access_token, &dkey)
        .unwrap()
        .attestation_kinds
        .contains(&"k8s_sat".to_string()));
    // The same SA token cannot enroll another identity.
    let other = h.create_with("training/other", &["k8s_sat"], false);
    let mut req = h.enroll_request(&other, &dkey);
    req.evidence = vec![sat(&key, |_| {})];
    assert_eq!(
        h.svc.enrollment.enroll(&req).unwrap_err().code(),
        "evidence_identity_mismatch"
    );
}

#[test]
fn rs256_cluster_key_from_jwks_file() {
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding, Signer};
    use rsa::traits::PublicKeyParts;
    let sk = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let pk = sk.to_public_key();
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
        "n": b64(&pk.n().to_bytes_be()), "e": b64(&pk.e().to_bytes_be())}]});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks.to_string()).unwrap();
    let mut accounts = BTreeMap::new();
    accounts.insert(
        "system:serviceaccount:ml:trainer".to_owned(),
        "spiffe://lab.example/training/trainer".to_owned(),
    );
    let kcfg = K8sConfig {
        issuer: ISS.into(),
        audience: "palisade".into(),
        jwks_file: path,
        service_accounts: accounts,
    };
    let v = K8sSaVerifier::from_config(&kcfg).unwrap();
    let now = T0_MS / 1000;
    let claims = json!({"iss": ISS, "sub": "system:serviceaccount:ml:trainer", "aud": "palisade", "exp": now + 60, "iat": now});
    let input = format!(
        "{}.{}",
        b64(json!({"alg":"RS256","kid":"rsa-1"}).to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = SigningKey::<sha2::Sha256>::new(sk)
        .sign(input.as_bytes())
        .to_vec();
    let tok = format!("{input}.{}", b64(&sig));
    let a = v
        .verify(&json!({"kind":"k8s_sat","token": tok}), &[0; 32], T0_MS)
        .unwrap();
    assert_eq!(
        a.claims[BOUND_IDENTITY],
        "spiffe://lab.example/training/trainer"
    );
    // Same key, token claiming ES256: refused by the key's pinned algorithm.
    let forged = format!(
        "{}.{}.{}",
        b64(json!({"alg":"ES256","kid":"rsa-1"}).to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(&[0u8; 64])
    );
    assert_eq!(
        code(&v, &json!({"kind":"k8s_sat","token": forged})),
        "k8s_alg_rejected"
    );
    // The service wires the attestor from config.
    let mut c = cfg();
    c.k8s = Some(cfg_k8s(&dir));
    let h = H::with_cfg(c);
    assert!(h.svc.enrollment.kinds().contains(&"k8s_sat".to_string()));
}

fn cfg_k8s(dir: &tempfile::TempDir) -> K8sConfig {
    K8sConfig {
        issuer: ISS.into(),
        audience: "palisade".into(),
        jwks_file: dir.path().join("jwks.json"),
        service_accounts: BTreeMap::new(),
    }
}
