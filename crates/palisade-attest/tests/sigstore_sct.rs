//! Embedded SCT checks of Fulcio leaves, from the real conformance fixtures: the happy path's
//! SCT verifies, and a flipped signature / timestamp / TBS byte, a stripped extension, an
//! unknown log, a moved validity window, a wrong or unsupported algorithm and malformed lists
//! each fail with their own error.

use base64::Engine as _;
use palisade_attest::sigstore::cert::verify_chain;
use palisade_attest::sigstore::ctlog::CtKey;
use palisade_attest::sigstore::sct::{
    embedded_scts, parse_sct_list, precert_tbs, verify_embedded_scts, verify_sct, SctError,
    OID_SCT_LIST,
};
use palisade_attest::sigstore::{
    CertIdentity, SigstoreConfig, SigstoreError, SigstoreVerifier, TrustedRoot,
};
use palisade_core::fixtures::fixtures_dir;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

const NOW: u64 = 1_793_491_200_000;
/// happy-path-v0.3's SET-backed integratedTime.
const SIGNED_AT: u64 = 1_710_869_186_000;
const CT_2022: &str = "https://ctfe.sigstore.dev/2022";
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join("sigstore").join(rel)).unwrap()
}

fn production_json() -> serde_json::Value {
    serde_json::from_str(&read("trusted_root.production.json")).unwrap()
}

fn bundle() -> serde_json::Value {
    serde_json::from_str(&read("conformance/happy-path-v0.3/bundle.sigstore.json")).unwrap()
}

fn leaf_der() -> Vec<u8> {
    let b = bundle();
    let raw = b["verificationMaterial"]["certificate"]["rawBytes"]
        .as_str()
        .unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(raw)
        .unwrap()
}

fn leaf(der: &[u8]) -> Certificate {
    palisade_attest::x509::from_der(der, "leaf").unwrap()
}

/// Verifies happy-path-v0.3 end to end with a (possibly edited) production root.
fn verify_with_root(root: serde_json::Value) -> Result<(), SigstoreError> {
    let v = SigstoreVerifier::new(SigstoreConfig {
        trusted_root_json: root.to_string(),
        identities: vec![CertIdentity {
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: IDENTITY.into(),
        }],
        managed_keys: vec![],
        appraisal_ttl_secs: 60,
    })?;
    let a_txt = std::fs::read(fixtures_dir().join("sigstore/conformance/a.txt")).unwrap();
    let digest: [u8; 32] = Sha256::digest(a_txt).into();
    v.verify_bundle(&bundle(), &digest, NOW).map(|_| ())
}

/// The production root's entry for the 2022 CT log.
fn ctlog_2022(root: &mut serde_json::Value) -> &mut serde_json::Value {
    root["ctlogs"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|l| l["baseUrl"] == CT_2022)
        .unwrap()
}

/// Checks the (possibly altered) leaf's SCTs against the production root, with the issuer
/// the genuine leaf chains to.
fn check(der: &[u8]) -> Result<String, SctError> {
    let root = TrustedRoot::from_json(&read("trusted_root.production.json")).unwrap();
    let issuer = verify_chain(&leaf(&leaf_der()), &root, SIGNED_AT).unwrap();
    verify_embedded_scts(&leaf(der), issuer, &root.ctlogs).map(|l| l.base_url.clone())
}

/// `der` with one byte flipped at the first occurrence of `needle` plus `offset`.
fn flip_in(der: &[u8], needle: &[u8], offset: usize) -> Vec<u8> {
    let pos = der.windows(needle.len()).position(|w| w == needle).unwrap();
    let mut bad = der.to_vec();
    bad[pos + offset] ^= 0x01;
    bad
}

#[test]
fn genuine_sct_verifies_under_the_2022_log() {
    assert_eq!(check(&leaf_der()).unwrap(), CT_2022);
    let scts = embedded_scts(&leaf(&leaf_der())).unwrap();
    assert_eq!(scts.len(), 1);
    let sct = scts[0].clone().unwrap();
    assert_eq!(sct.timestamp_ms, 1_710_869_186_470);
    assert!(sct.extensions.is_empty());
    // The precert TBS is the leaf's TBS minus exactly the SCT extension.
    let full = palisade_attest::x509::tbs_der(&leaf(&leaf_der()), "leaf").unwrap();
    let pre = precert_tbs(&leaf(&leaf_der())).unwrap();
    assert!(pre.len() < full.len() && full.len() - pre.len() > sct.signature.len());
}

#[test]
fn flipped_sct_signature_is_refused() {
    let der = leaf_der();
    let sct = embedded_scts(&leaf(&der)).unwrap()[0].clone().unwrap();
    // Inside r of the DER ECDSA signature (past SEQUENCE/INTEGER headers).
    let bad = flip_in(&der, &sct.signature, 10);
    assert_eq!(check(&bad), Err(SctError::Signature(CT_2022.into())));
}

#[test]
fn flipped_sct_timestamp_or_tbs_byte_is_refused() {
    let der = leaf_der();
    let sct = embedded_scts(&leaf(&der)).unwrap()[0].clone().unwrap();
    // Last timestamp byte: still inside the log's window, but no longer what it signed.
    let bad = flip_in(&der, &sct.timestamp_ms.to_be_bytes(), 7);
    assert_eq!(check(&bad), Err(SctError::Signature(CT_2022.into())));
    // A byte of the SAN (the identity), part of the precertificate the log signed.
    let bad = flip_in(&der, b"extremely-dangerous", 0);
    assert_eq!(check(&bad), Err(SctError::Signature(CT_2022.into())));
}

#[test]
fn stripped_sct_extension_is_missing() {
    let mut cert = leaf(&leaf_der());
    if let Some(exts) = cert.tbs_certificate.extensions.as_mut() {
        exts.retain(|e| e.extn_id != OID_SCT_LIST);
    }
    let der = der::Encode::to_der(&cert).unwrap();
    assert_eq!(check(&der), Err(SctError::Missing));
}

#[test]
fn unknown_ct_log_is_refused() {
    let mut root = production_json();
    root["ctlogs"]
        .as_array_mut()
        .unwrap()
        .retain(|l| l["baseUrl"] != CT_2022);
    assert_eq!(
        verify_with_root(root),
        Err(SigstoreError::Sct(SctError::UnknownLog))
    );
    // The untouched root verifies, so the failure above is the removed log.
    assert_eq!(verify_with_root(production_json()), Ok(()));
}

#[test]
fn sct_outside_log_window_is_refused() {
    for window in [
        serde_json::json!({"start": "2024-03-20T00:00:00Z"}),
        serde_json::json!({"start": "2022-10-20T00:00:00Z", "end": "2024-03-19T00:00:00Z"}),
    ] {
        let mut root = production_json();
        ctlog_2022(&mut root)["publicKey"]["validFor"] = window;
        assert_eq!(
            verify_with_root(root),
            Err(SigstoreError::Sct(SctError::OutsideWindow(CT_2022.into())))
        );
    }
}

#[test]
fn unsupported_ct_key_kind_is_refused() {
    let mut root = production_json();
    ctlog_2022(&mut root)["publicKey"]["keyDetails"] = "PKIX_ED25519".into();
    let err = verify_with_root(root).unwrap_err();
    assert!(
        matches!(&err, SigstoreError::Sct(SctError::Algorithm { log, what })
            if log == CT_2022 && what.contains("PKIX_ED25519")),
        "{err:?}"
    );
}

#[test]
fn sct_declaring_another_algorithm_is_refused() {
    let root = TrustedRoot::from_json(&read("trusted_root.production.json")).unwrap();
    let l = leaf(&leaf_der());
    let issuer = verify_chain(&l, &root, SIGNED_AT).unwrap();
    let hash: [u8; 32] = Sha256::digest(
        der::Encode::to_der(&issuer.tbs_certificate.subject_public_key_info).unwrap(),
    )
    .into();
    let tbs = precert_tbs(&l).unwrap();
    let mut sct = embedded_scts(&l).unwrap()[0].clone().unwrap();
    assert!(verify_sct(&sct, &hash, &tbs, &root.ctlogs).is_ok());
    sct.sig_alg = 1; // rsa, but the 2022 log key is ECDSA
    assert!(matches!(
        verify_sct(&sct, &hash, &tbs, &root.ctlogs),
        Err(SctError::Algorithm { .. })
    ));
}

#[test]
fn malformed_sct_lists_are_refused() {
    let der = leaf_der();
    let l = leaf(&der);
    let ext = l
        .tbs_certificate
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == OID_SCT_LIST)
        .unwrap();
    // Extension value = OCTET STRING header (2 bytes here) + TLS list.
    let tls = &ext.extn_value.as_bytes()[2..];
    assert_eq!(parse_sct_list(tls).unwrap().len(), 1);
    assert!(matches!(
        parse_sct_list(&tls[..tls.len() - 1]),
        Err(SctError::Malformed(_))
    ));
    let mut trailing = tls.to_vec();
    trailing.push(0);
    assert!(matches!(
        parse_sct_list(&trailing),
        Err(SctError::Malformed(_))
    ));
    assert_eq!(parse_sct_list(&[0, 0]), Err(SctError::Missing));
    // A v2 SCT is skipped by length and reported as such.
    assert_eq!(
        parse_sct_list(&[0, 3, 0, 1, 1]).unwrap(),
        vec![Err(SctError::Version(1))]
    );
}

#[test]
fn every_fixture_root_loads_its_ct_logs() {
    let staging = TrustedRoot::from_json(&read("trusted_root.staging.json")).unwrap();
    assert_eq!(staging.ctlogs.len(), 4);
    // The retired staging log is RSA with a PKCS#1 key; the others ECDSA P-256.
    assert!(matches!(staging.ctlogs[0].key, CtKey::RsaSha256(_)));
    assert!(staging.ctlogs[1..]
        .iter()
        .all(|l| matches!(l.key, CtKey::EcdsaP256(_))));
    let prod = TrustedRoot::from_json(&read("trusted_root.production.json")).unwrap();
    assert_eq!(prod.ctlogs.len(), 2);
    // A key that is not what keyDetails says refuses the whole root.
    let mut bad = production_json();
    ctlog_2022(&mut bad)["publicKey"]["keyDetails"] = "PKCS1_RSA_PKCS1V5".into();
    assert!(matches!(
        TrustedRoot::from_json(&bad.to_string()),
        Err(SigstoreError::TrustedRoot(_))
    ));
}

/// The staging root's retired RSA log kind (PKCS#1 key, PKCS#1 v1.5/SHA-256): no real RSA SCT
/// is among the fixtures, so a generated key signs a synthetic precert entry.
#[test]
fn rsa_ct_log_signature_is_checked() {
    use palisade_attest::sigstore::ctlog::CtLog;
    use palisade_attest::sigstore::sct::{signed_data, Sct};
    use palisade_attest::sigstore::trusted_root::Window;
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs1v15::Pkcs1v15Sign;
    let sk = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let pk_der = sk.to_public_key().to_pkcs1_der().unwrap();
    let log_id: [u8; 32] = Sha256::digest(pk_der.as_bytes()).into();
    let log = CtLog {
        base_url: "rsa-log".into(),
        log_id: log_id.to_vec(),
        key: CtKey::load("rsa-log", "PKCS1_RSA_PKCS1V5", pk_der.as_bytes()).unwrap(),
        valid_for: Window {
            start_ms: 0,
            end_ms: None,
        },
    };
    let mut sct = Sct {
        version: 0,
        log_id,
        timestamp_ms: 1_650_000_000_000,
        extensions: vec![],
        hash_alg: 4,
        sig_alg: 1,
        signature: vec![],
    };
    let (issuer_hash, tbs) = ([7u8; 32], b"\x30\x03\x02\x01\x01".to_vec());
    let digest = Sha256::digest(signed_data(&sct, &issuer_hash, &tbs).unwrap());
    sct.signature = sk.sign(Pkcs1v15Sign::new::<Sha256>(), &digest).unwrap();
    let logs = [log];
    assert_eq!(
        verify_sct(&sct, &issuer_hash, &tbs, &logs)
            .unwrap()
            .base_url,
        "rsa-log"
    );
    sct.signature[100] ^= 1;
    assert_eq!(
        verify_sct(&sct, &issuer_hash, &tbs, &logs).err(),
        Some(SctError::Signature("rsa-log".into()))
    );
}
