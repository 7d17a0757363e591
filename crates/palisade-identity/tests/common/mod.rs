//! Test harness: an identity service on an in-memory store with a manual clock, test DPoP
//! keys (ES256 and Ed25519) that sign proofs, and enrollment through a join token.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use palisade_core::{IdentityKind, ManualClock, RequestCredentials, SpiffeId};
use palisade_identity::*;
use palisade_store::Store;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const T0_MS: u64 = 1_700_000_000_000;
pub const URL: &str = "https://gw.example/v1/chat/completions";

pub fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

pub enum TestKey {
    P256(p256::ecdsa::SigningKey),
    Ed(ed25519_dalek::SigningKey),
}

impl TestKey {
    pub fn es256() -> Self {
        TestKey::P256(p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng))
    }
    pub fn ed25519() -> Self {
        TestKey::Ed(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng))
    }
    pub fn jwk(&self) -> Value {
        match self {
            TestKey::P256(k) => {
                let p = k.verifying_key().to_encoded_point(false);
                json!({"kty":"EC","crv":"P-256","x":b64(p.x().unwrap()),"y":b64(p.y().unwrap())})
            }
            TestKey::Ed(k) => {
                json!({"kty":"OKP","crv":"Ed25519","x":b64(k.verifying_key().as_bytes())})
            }
        }
    }
    pub fn alg(&self) -> &'static str {
        match self {
            TestKey::P256(_) => "ES256",
            TestKey::Ed(_) => "EdDSA",
        }
    }
    pub fn sign_jws(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = match self {
            TestKey::P256(k) => {
                use p256::ecdsa::signature::Signer;
                let s: p256::ecdsa::Signature = k.sign(input.as_bytes());
                s.to_bytes().to_vec()
            }
            TestKey::Ed(k) => {
                use ed25519_dalek::Signer;
                k.sign(input.as_bytes()).to_bytes().to_vec()
            }
        };
        format!("{input}.{}", b64(&sig))
    }
    /// A DPoP proof with explicit claims.
    pub fn proof_claims(&self, claims: Value) -> String {
        self.sign_jws(
            &json!({"typ":"dpop+jwt","alg":self.alg(),"jwk":self.jwk()}),
            &claims,
        )
    }
    /// A normal resource-request proof.
    pub fn proof(&self, htm: &str, htu: &str, iat_s: u64, token: Option<&str>) -> String {
        let mut c =
            json!({"jti": b64(&rand::random::<[u8; 12]>()), "htm": htm, "htu": htu, "iat": iat_s});
        if let Some(t) = token {
            c["ath"] = json!(b64(&Sha256::digest(t.as_bytes())));
        }
        self.proof_claims(c)
    }
}

pub struct H {
    pub clock: Arc<ManualClock>,
    pub svc: IdentityService,
    pub cfg: IdentityConfig,
}

/// The tests' config. Server nonces are off here so each test builds one proof; the nonce
/// (on by default) has its own tests in `authenticate.rs`.
pub fn cfg() -> IdentityConfig {
    IdentityConfig {
        require_dpop_nonce: false,
        trust_domain: "lab.example".into(),
        issuer: "https://gw.example".into(),
        audience: "palisade".into(),
        ..IdentityConfig::default()
    }
}

impl H {
    pub fn new() -> Self {
        Self::with_cfg(cfg())
    }
    pub fn with_cfg(cfg: IdentityConfig) -> Self {
        Self::with_store(cfg, Arc::new(Store::open_in_memory().unwrap()))
    }
    pub fn with_store(cfg: IdentityConfig, store: Arc<Store>) -> Self {
        let clock = Arc::new(ManualClock::new(T0_MS));
        let svc = IdentityService::with_parts(
            cfg.clone(),
            store,
            Arc::new(SigningKeys::generate()),
            AdminCredential::from_secret("pak_test"),
            clock.clone(),
        )
        .unwrap();
        Self { clock, svc, cfg }
    }
    pub fn now_s(&self) -> u64 {
        use palisade_core::Clock;
        self.clock.now_secs()
    }
    pub fn create_with(&self, name: &str, requirements: &[&str], legacy: bool) -> SpiffeId {
        let id: SpiffeId = format!("spiffe://lab.example/{name}").parse().unwrap();
        self.svc
            .registry
            .create(
                NewIdentity {
                    id: id.clone(),
                    kind: IdentityKind::Agent,
                    owner: "team-research".into(),
                    scopes: vec!["gpt-4o".into()],
                    max_ttl_secs: 3600,
                    requirements: requirements.iter().map(|s| s.to_string()).collect(),
                    legacy_bearer: legacy,
                },
                "test",
            )
            .unwrap();
        id
    }
    pub fn create(&self, name: &str) -> SpiffeId {
        self.create_with(name, &["join_token"], false)
    }
    /// Full enrollment request with a fresh challenge and a join token.
    pub fn enroll_request(&self, id: &SpiffeId, key: &TestKey) -> EnrollRequest {
        let nonce = self.svc.enrollment.challenge(&id.to_string()).unwrap();
        let jt = self.svc.registry.join_token(id, 600).unwrap();
        let proof = key.proof_claims(json!({"jti":b64(&rand::random::<[u8; 12]>()),"htm":"POST","htu":"https://gw.example/v1/enroll","iat":self.now_s(),"nonce":nonce.nonce}));
        serde_json::from_value(json!({
            "identity": id.to_string(), "nonce": nonce.nonce, "jwk": key.jwk(), "proof": proof,
            "evidence": [{"kind": "join_token", "token": jt.token}]
        }))
        .unwrap()
    }
    pub fn enroll(&self, id: &SpiffeId, key: &TestKey) -> IssuedToken {
        let req = self.enroll_request(id, key);
        self.svc.enrollment.enroll(&req).unwrap()
    }
    pub fn auth(
        &self,
        authz: &str,
        dpop: Option<&str>,
    ) -> Result<palisade_core::Identity, palisade_core::AuthFailure> {
        use palisade_core::Authenticator;
        let creds = RequestCredentials {
            method: "POST",
            url: URL,
            authorization: Some(authz),
            dpop,
            client_cert_sha256: None,
            api_key: None,
        };
        self.svc.authenticator.authenticate(&creds)
    }
    /// Authenticates `token` with a fresh valid proof by `key`.
    pub fn call(
        &self,
        token: &str,
        key: &TestKey,
    ) -> Result<palisade_core::Identity, palisade_core::AuthFailure> {
        let proof = key.proof("POST", URL, self.now_s(), Some(token));
        self.auth(&format!("DPoP {token}"), Some(&proof))
    }
}

pub fn code<T: std::fmt::Debug>(r: Result<T, palisade_core::AuthFailure>) -> (u16, String) {
    let e = r.unwrap_err();
    (e.status, e.code)
}
