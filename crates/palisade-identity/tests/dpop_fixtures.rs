//! RFC 9449 proof vectors (and the DERIVED negatives) from tests/fixtures/jwt-dpop.

use palisade_core::fixtures::fixture;
use palisade_identity::{DpopVerifier, ProofContext};
use serde_json::Value;

fn load() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(fixture("jwt-dpop/rfc9449-dpop-examples.json")).unwrap(),
    )
    .unwrap()
}

fn check(
    v: &Value,
    cw: &Value,
) -> Result<palisade_identity::VerifiedProof, palisade_identity::AuthError> {
    let d = DpopVerifier::new(60, false);
    let ctx = ProofContext {
        method: cw["htm"].as_str().unwrap(),
        url: Some(cw["htu"].as_str().unwrap()),
        access_token: cw["access_token"].as_str(),
        now_s: cw["now"].as_u64().unwrap(),
    };
    d.verify(v["proof"].as_str().unwrap(), &ctx)
}

#[test]
fn rfc9449_vectors_are_valid_with_expected_thumbprint() {
    let f = load();
    for v in f["vectors"].as_array().unwrap() {
        let p = check(v, &v["check_with"]).unwrap_or_else(|e| panic!("{}: {e}", v["id"]));
        assert_eq!(p.jkt, f["jwk_thumbprint_rfc7638_sha256"].as_str().unwrap());
        if let Some(jkt) = v["check_with"]["token_cnf_jkt"].as_str() {
            assert_eq!(p.jkt, jkt);
        }
    }
}

#[test]
fn rfc9449_derived_negatives_each_with_precise_code() {
    let f = load();
    let expected = [
        ("figure2-wrong-htm", Some("dpop_htm_mismatch")),
        ("figure2-wrong-htu", Some("dpop_htu_mismatch")),
        ("figure2-stale-iat", Some("dpop_iat_window")),
        ("figure2-tampered-signature", Some("dpop_bad_signature")),
        ("figure13-wrong-access-token", Some("dpop_ath_mismatch")),
        // Signature and claims are fine; the mismatch is with the token's cnf.jkt.
        ("figure13-wrong-cnf-jkt", None),
    ];
    let negs = f["DERIVED_negative_vectors_not_in_rfc"].as_array().unwrap();
    assert_eq!(negs.len(), expected.len());
    for (v, (id, code)) in negs.iter().zip(expected) {
        assert_eq!(v["id"], id);
        let r = check(v, &v["check_with"]);
        match code {
            Some(c) => assert_eq!(r.unwrap_err().code(), c, "{id}"),
            None => {
                let p = r.unwrap();
                assert_ne!(
                    p.jkt,
                    v["check_with"]["token_cnf_jkt"].as_str().unwrap(),
                    "{id} must not match cnf"
                );
            }
        }
    }
}

#[test]
fn replay_of_rfc_proof_is_refused_within_window() {
    let f = load();
    let v = &f["vectors"][0];
    let d = DpopVerifier::new(60, false);
    let cw = &v["check_with"];
    let ctx = ProofContext {
        method: "POST",
        url: Some(cw["htu"].as_str().unwrap()),
        access_token: None,
        now_s: cw["now"].as_u64().unwrap(),
    };
    d.verify(v["proof"].as_str().unwrap(), &ctx).unwrap();
    assert_eq!(
        d.verify(v["proof"].as_str().unwrap(), &ctx)
            .unwrap_err()
            .code(),
        "dpop_replay"
    );
    assert_eq!(d.replay_len(), 1);
}

#[test]
fn replay_cache_forgets_after_window() {
    let f = load();
    let v = &f["vectors"][0];
    let d = DpopVerifier::new(60, false);
    let now = v["check_with"]["now"].as_u64().unwrap();
    let ctx = ProofContext {
        method: "POST",
        url: Some("https://server.example.com/token"),
        access_token: None,
        now_s: now,
    };
    d.verify(v["proof"].as_str().unwrap(), &ctx).unwrap();
    // Later than iat + window: the proof is refused by the window, and the entry is evicted.
    let later = ProofContext {
        now_s: now + 61,
        ..ctx
    };
    assert_eq!(
        d.verify(v["proof"].as_str().unwrap(), &later)
            .unwrap_err()
            .code(),
        "dpop_iat_window"
    );
    let other = &f["vectors"][1];
    let ctx2 = ProofContext {
        method: "GET",
        url: Some("https://resource.example.org/protectedresource"),
        access_token: Some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        now_s: now + 61,
    };
    d.verify(other["proof"].as_str().unwrap(), &ctx2).unwrap();
    assert_eq!(d.replay_len(), 1, "the first entry was evicted");
}
