//! Criterion bench of stage 3: access-token signature + DPoP proof (ES256) + status lookup per
//! request; also the status lookup alone and per-call percentiles (p50/p99) printed at the end.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use palisade_core::{Authenticator, IdentityKind, ManualClock, RequestCredentials};
use palisade_identity::*;
use palisade_store::Store;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

const URL: &str = "https://gw.example/v1/chat/completions";
const NOW_MS: u64 = 1_700_000_000_000;

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

enum Key {
    Es256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

struct Setup {
    svc: IdentityService,
    key: Key,
    jwk: serde_json::Value,
    token: String,
}

fn setup(ed: bool) -> Setup {
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let cfg = IdentityConfig {
        trust_domain: "lab.example".into(),
        ..IdentityConfig::default()
    };
    let svc = IdentityService::with_parts(
        cfg,
        Arc::new(Store::open_in_memory().expect("store")),
        Arc::new(SigningKeys::generate()),
        AdminCredential::from_secret("x"),
        clock,
    )
    .expect("service");
    let id: palisade_core::SpiffeId = "spiffe://lab.example/research/bench".parse().expect("id");
    svc.registry
        .create(
            NewIdentity {
                id: id.clone(),
                kind: IdentityKind::Agent,
                owner: "o".into(),
                scopes: vec!["m".into()],
                max_ttl_secs: 3600,
                requirements: vec!["join_token".into()],
                legacy_bearer: false,
            },
            "bench",
        )
        .expect("create");
    let (key, jwk) = if ed {
        let k = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let jwk = json!({"kty":"OKP","crv":"Ed25519","x":b64(k.verifying_key().as_bytes())});
        (Key::Ed25519(k), jwk)
    } else {
        let k = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
        let p = k.verifying_key().to_encoded_point(false);
        let jwk =
            json!({"kty":"EC","crv":"P-256","x":b64(p.x().expect("x")),"y":b64(p.y().expect("y"))});
        (Key::Es256(k), jwk)
    };
    let mut s = Setup {
        svc,
        key,
        jwk,
        token: String::new(),
    };
    let nonce = s
        .svc
        .enrollment
        .challenge(&id.to_string())
        .expect("nonce")
        .nonce;
    let jt = s.svc.registry.join_token(&id, 60).expect("jt");
    let pop = proof(
        &s,
        "POST",
        "https://gw.example/v1/enroll",
        None,
        Some(&nonce),
    );
    let req: EnrollRequest = serde_json::from_value(
        json!({"identity": id.to_string(), "nonce": nonce, "jwk": s.jwk,
        "proof": pop, "evidence": [{"kind":"join_token","token": jt.token}]}),
    )
    .expect("req");
    s.token = s.svc.enrollment.enroll(&req).expect("enroll").access_token;
    s
}

fn proof(s: &Setup, htm: &str, htu: &str, token: Option<&str>, nonce: Option<&str>) -> String {
    use p256::ecdsa::signature::Signer;
    let mut c = json!({"jti": b64(&rand::random::<[u8; 12]>()), "htm": htm, "htu": htu, "iat": NOW_MS / 1000});
    if let Some(t) = token {
        c["ath"] = json!(b64(&Sha256::digest(t.as_bytes())));
    }
    if let Some(n) = nonce {
        c["nonce"] = json!(n);
    }
    let alg = match s.key {
        Key::Es256(_) => "ES256",
        Key::Ed25519(_) => "EdDSA",
    };
    let h = json!({"typ":"dpop+jwt","alg":alg,"jwk":s.jwk});
    let input = format!(
        "{}.{}",
        b64(h.to_string().as_bytes()),
        b64(c.to_string().as_bytes())
    );
    let sig = match &s.key {
        Key::Es256(k) => {
            let sig: p256::ecdsa::Signature = k.sign(input.as_bytes());
            sig.to_bytes().to_vec()
        }
        Key::Ed25519(k) => ed25519_dalek::Signer::sign(k, input.as_bytes())
            .to_bytes()
            .to_vec(),
    };
    format!("{input}.{}", b64(&sig))
}

fn run(c: &mut Criterion, ed: bool) {
    let name = if ed { "eddsa" } else { "es256" };
    let s = setup(ed);
    let authz = format!("DPoP {}", s.token);
    let auth = |p: &str| {
        let creds = RequestCredentials {
            method: "POST",
            url: URL,
            authorization: Some(&authz),
            dpop: Some(p),
            client_cert_sha256: None,
            api_key: None,
        };
        s.svc.authenticator.authenticate(&creds)
    };
    c.bench_function(&format!("authenticate_{name}_dpop"), |b| {
        b.iter_batched(
            || proof(&s, "POST", URL, Some(&s.token), None),
            |p| auth(&p).expect("auth"),
            BatchSize::SmallInput,
        )
    });
    if !ed {
        let sub = "spiffe://lab.example/research/bench";
        c.bench_function("status_lookup_cached", |b| {
            b.iter(|| s.svc.registry.lookup(sub).expect("lookup"))
        });
    }
    // Percentiles over individually timed calls (criterion reports means/medians only).
    let proofs: Vec<String> = (0..20_000)
        .map(|_| proof(&s, "POST", URL, Some(&s.token), None))
        .collect();
    let mut times: Vec<u128> = proofs
        .iter()
        .map(|p| {
            let t = Instant::now();
            auth(p).expect("auth");
            t.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    let pct =
        |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)] as f64 / 1000.0;
    println!(
        "authenticate ({name} DPoP proof) per-call over {} calls: p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, max {:.1} us",
        times.len(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
}

/// mTLS-bound token: the handshake proved the key, so stage 3 is cache hit + thumbprint
/// compare + status, with no per-request signature.
fn mtls(c: &mut Criterion) {
    let s = setup(true);
    let cert = [7u8; 32];
    let now = NOW_MS / 1000;
    let token = s.svc.keys.sign_jwt(&json!({"iss": "https://palisade.local", "sub": "spiffe://lab.example/research/bench",
        "aud": "palisade-gateway", "iat": now, "nbf": now, "exp": now + 300, "jti": "m", "segment": "research",
        "scopes": [], "att": ["join_token"], "cnf": {"x5t#S256": b64(&cert)}}));
    let authz = format!("Bearer {token}");
    let creds = RequestCredentials {
        method: "POST",
        url: URL,
        authorization: Some(&authz),
        dpop: None,
        client_cert_sha256: Some(cert),
        api_key: None,
    };
    s.svc.authenticator.authenticate(&creds).expect("mtls auth");
    c.bench_function("authenticate_mtls_bound", |b| {
        b.iter(|| s.svc.authenticator.authenticate(&creds).expect("auth"))
    });
    // The floor of the DPoP path: one signature verification of a proof-sized message.
    let msg = [0x5au8; 300];
    let ed = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let sig = ed25519_dalek::Signer::sign(&ed, &msg);
    let vk = ed.verifying_key();
    c.bench_function("raw_ed25519_verify_strict", |b| {
        b.iter(|| vk.verify_strict(&msg, &sig).expect("verify"))
    });
}

fn bench(c: &mut Criterion) {
    mtls(c);
    run(c, true);
    run(c, false);
}

criterion_group!(benches, bench);
criterion_main!(benches);
