//! SEV-SNP verifier against the real fixtures in tests/fixtures/amd-sev-snp (see PROVENANCE.md).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use palisade_attest::snp::{
    MinTcb, Product, ReportDataRest, SnpConfig, SnpError, SnpPolicy, SnpVerifier,
};
use palisade_attest::x509::CertError;
use palisade_core::fixtures::fixture;
use std::collections::BTreeMap;

/// 2025-06-01T00:00:00Z: inside every fixture certificate's validity (the VLEK expires 2025-12-10).
const T_2025_06_01: u64 = 1_748_736_000_000;

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(&format!("amd-sev-snp/{rel}"))).unwrap()
}
fn read_str(rel: &str) -> String {
    String::from_utf8(read(rel)).unwrap()
}

struct Case {
    report: Vec<u8>,
    vcek: Vec<u8>,
    product: Product,
}

fn virtee() -> Case {
    Case {
        report: hex::decode(read_str("virtee-sev/report_milan.hex").trim()).unwrap(),
        vcek: read("virtee-sev/vcek_milan.der"),
        product: Product::Milan,
    }
}
fn go_sev_guest() -> Case {
    Case {
        report: read("go-sev-guest/attestation.bin"),
        vcek: read("go-sev-guest/vcek.testcer"),
        product: Product::Milan,
    }
}
fn trustee() -> Case {
    Case {
        report: read("trustee/test-report.bin"),
        vcek: read("trustee/test-vcek.der"),
        product: Product::Milan,
    }
}
fn trustee_vlek() -> Case {
    Case {
        report: read("trustee/test-vlek-report.bin"),
        vcek: read("trustee/test-vlek.der"),
        product: Product::Milan,
    }
}
fn genoa() -> Case {
    Case {
        report: read("trustee/DERIVED-genoa-report-from-e2e-evidence.bin"),
        vcek: read("trustee/DERIVED-genoa-vcek-from-e2e-evidence.der"),
        product: Product::Genoa,
    }
}

fn chains() -> BTreeMap<String, String> {
    [
        ("milan", "trustee/milan_ask_ark_asvk.pem"),
        ("genoa", "trustee/genoa_ask_ark_asvk.pem"),
        ("turin", "trustee/turin_ask_ark_asvk.pem"),
    ]
    .into_iter()
    .map(|(p, f)| (p.to_owned(), read_str(f)))
    .collect()
}

fn measurement(report: &[u8]) -> String {
    hex::encode(&report[0x90..0xC0])
}
fn binding(report: &[u8]) -> [u8; 32] {
    report[0x50..0x70].try_into().unwrap()
}

/// A policy that accepts exactly this case's measurement, with everything else at defaults.
fn policy_for(c: &Case) -> SnpPolicy {
    SnpPolicy {
        reference_measurements: vec![measurement(&c.report)],
        allow_debug: false,
        min_tcb: MinTcb::default(),
        allowed_vmpls: vec![0],
        min_guest_svn: 0,
        host_data: None,
        report_data_rest: ReportDataRest::Zero,
        appraisal_ttl_secs: 600,
    }
}

fn verifier(policy: SnpPolicy) -> SnpVerifier {
    SnpVerifier::new(SnpConfig {
        amd_chains: chains(),
        policy,
    })
    .unwrap()
}

fn run(c: &Case, policy: SnpPolicy) -> Result<palisade_attest::Appraisal, SnpError> {
    verifier(policy).verify_raw(
        &c.report,
        &c.vcek,
        c.product,
        &binding(&c.report),
        T_2025_06_01,
    )
}

#[test]
fn virtee_milan_report_verifies() {
    let c = virtee();
    // virtee's guest put 64 bytes of its own data in REPORT_DATA: only the first 32 are bound.
    let mut p = policy_for(&c);
    p.report_data_rest = ReportDataRest::Ignore;
    let a = run(&c, p).unwrap();
    assert_eq!(a.kind, "sev_snp");
    assert_eq!(
        a.claims["snp.measurement"],
        "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f"
    );
    assert_eq!(
        a.claims["snp.reported_tcb"],
        "fmc=0 bootloader=3 tee=0 snp=8 microcode=115"
    );
    assert_eq!(a.expires_at_ms, T_2025_06_01 + 600_000);
}

#[test]
fn virtee_report_data_rest_must_be_zero_by_default() {
    let c = virtee();
    assert_eq!(run(&c, policy_for(&c)), Err(SnpError::ReportDataNotZero));
}

#[test]
fn trustee_milan_vcek_report_verifies() {
    let c = trustee();
    let a = run(&c, policy_for(&c)).unwrap();
    assert_eq!(a.claims["snp.policy"], "0x3001f");
    assert_eq!(a.claims["snp.guest_svn"], "4");
}

#[test]
fn trustee_vlek_report_verifies_at_fixed_time() {
    let c = trustee_vlek();
    let mut p = policy_for(&c);
    p.allowed_vmpls = vec![1];
    p.report_data_rest = ReportDataRest::Ignore;
    let a = run(&c, p).unwrap();
    assert_eq!(a.claims["snp.signing_key"], "vlek");
    assert_eq!(a.claims["snp.report_version"], "3");
}

#[test]
fn expired_vlek_is_refused_today() {
    let c = trustee_vlek();
    let mut p = policy_for(&c);
    p.allowed_vmpls = vec![1];
    p.report_data_rest = ReportDataRest::Ignore;
    let now_2026_01_01 = 1_767_225_600_000;
    let err = verifier(p)
        .verify_raw(
            &c.report,
            &c.vcek,
            c.product,
            &binding(&c.report),
            now_2026_01_01,
        )
        .unwrap_err();
    assert_eq!(
        err,
        SnpError::Cert(CertError::Expired {
            which: "vlek".into()
        })
    );
}

#[test]
fn genoa_report_verifies() {
    let c = genoa();
    let mut p = policy_for(&c);
    p.report_data_rest = ReportDataRest::Ignore; // trustee's e2e guest fills all 64 bytes
    let a = run(&c, p).unwrap();
    assert_eq!(a.claims["snp.product"], "genoa");
}

#[test]
fn go_sev_guest_debug_policy_is_refused_by_default() {
    let c = go_sev_guest();
    assert_eq!(run(&c, policy_for(&c)), Err(SnpError::DebugNotAllowed));
}

#[test]
fn go_sev_guest_verifies_when_debug_is_allowed() {
    let c = go_sev_guest();
    let mut p = policy_for(&c);
    p.allow_debug = true;
    let a = run(&c, p).unwrap();
    assert_eq!(
        a.claims["snp.reported_tcb"],
        "fmc=0 bootloader=2 tee=0 snp=5 microcode=68"
    );
}

#[test]
fn byte_flipped_report_fails_signature() {
    let mut c = virtee();
    c.report[21] ^= 0x80; // upstream virtee `milan_report_invalid`
    let mut p = policy_for(&c);
    p.report_data_rest = ReportDataRest::Ignore;
    assert_eq!(run(&c, p), Err(SnpError::ReportSignature));
}

#[test]
fn trustee_byte_42_changed_fails_signature() {
    let mut c = trustee();
    c.report[42] = c.report[42].wrapping_add(1);
    assert_eq!(run(&c, policy_for(&c)), Err(SnpError::ReportSignature));
}

#[test]
fn reported_tcb_changed_mismatches_vcek_extensions() {
    let mut c = trustee();
    c.report[384] += 1; // upstream trustee: bytes[384] + 1 (REPORTED_TCB bootloader)
    assert_eq!(
        run(&c, policy_for(&c)),
        Err(SnpError::VcekTcbMismatch {
            component: "bootloader",
            report: 4,
            cert: 3
        })
    );
}

#[test]
fn broken_chain_is_refused() {
    let mut c = virtee();
    c.vcek[40] ^= 0xff; // upstream virtee `milan_chain_invalid`
    let mut p = policy_for(&c);
    p.report_data_rest = ReportDataRest::Ignore;
    let err = run(&c, p).unwrap_err();
    assert!(matches!(err, SnpError::Cert(_)), "{err:?}");
}

#[test]
fn trustee_invalid_vceks_do_not_chain() {
    let c = trustee();
    for f in [
        "trustee/test-vcek-invalid-legacy.der",
        "trustee/test-vcek-invalid-new.der",
    ] {
        let vcek = read(f);
        let err = verifier(policy_for(&c))
            .verify_raw(
                &c.report,
                &vcek,
                c.product,
                &binding(&c.report),
                T_2025_06_01,
            )
            .unwrap_err();
        assert!(matches!(err, SnpError::Cert(_)), "{f}: {err:?}");
    }
}

#[test]
fn vcek_of_another_chip_is_refused() {
    let mut c = trustee();
    c.vcek = read("virtee-sev/vcek_milan.der");
    // Same TCB (0x7308000000000003) but another chip; the signature check never runs.
    assert_eq!(run(&c, policy_for(&c)), Err(SnpError::ChipIdMismatch));
}

#[test]
fn wrong_product_chain_is_refused() {
    let mut c = trustee();
    c.product = Product::Genoa;
    let err = run(&c, policy_for(&c)).unwrap_err();
    assert!(
        matches!(err, SnpError::Cert(CertError::IssuerName { .. })),
        "{err:?}"
    );
}

#[test]
fn wrong_measurement_is_refused() {
    let c = trustee();
    let mut p = policy_for(&c);
    p.reference_measurements = vec![measurement(&virtee().report)];
    assert!(
        matches!(run(&c, p), Err(SnpError::MeasurementNotAllowed(m)) if m == measurement(&c.report))
    );
}

#[test]
fn binding_mismatch_is_refused() {
    let c = trustee();
    let mut other = binding(&c.report);
    other[31] ^= 1;
    let err = verifier(policy_for(&c))
        .verify_raw(&c.report, &c.vcek, c.product, &other, T_2025_06_01)
        .unwrap_err();
    assert_eq!(err, SnpError::BindingMismatch);
}

#[test]
fn min_tcb_too_high_is_refused() {
    let c = trustee();
    let mut p = policy_for(&c);
    p.min_tcb.microcode = 116; // reported 115
    assert_eq!(
        run(&c, p),
        Err(SnpError::TcbTooLow {
            component: "microcode",
            got: 115,
            min: 116
        })
    );
    let mut p = policy_for(&c);
    p.min_tcb = MinTcb {
        bootloader: 3,
        tee: 0,
        snp: 8,
        microcode: 115,
        fmc: 0,
    };
    assert!(run(&c, p).is_ok(), "equal to the minimum is enough");
}

#[test]
fn vmpl_and_svn_and_host_data_rules_apply() {
    let c = trustee_vlek(); // vmpl 1
    assert_eq!(run(&c, policy_for(&c)), Err(SnpError::VmplNotAllowed(1)));
    let c = trustee(); // guest_svn 4
    let mut p = policy_for(&c);
    p.min_guest_svn = 5;
    assert_eq!(run(&c, p), Err(SnpError::GuestSvnTooLow { got: 4, min: 5 }));
    let mut p = policy_for(&c);
    p.host_data = Some("11".repeat(32));
    assert_eq!(run(&c, p), Err(SnpError::HostDataMismatch));
}

#[test]
fn json_evidence_round_trip_and_malformed() {
    let c = trustee();
    let v = verifier(policy_for(&c));
    let ev = serde_json::json!({
        "report": STANDARD.encode(&c.report),
        "vcek": STANDARD.encode(&c.vcek),
        "product": "milan",
    });
    assert_eq!(v.kind(), "sev_snp");
    assert!(v.verify(&ev, &binding(&c.report), T_2025_06_01).is_ok());
    let short = serde_json::json!({"report": STANDARD.encode(&c.report[..100]), "vcek": STANDARD.encode(&c.vcek), "product": "milan"});
    assert_eq!(
        v.verify(&short, &binding(&c.report), T_2025_06_01),
        Err(SnpError::ReportLength(100))
    );
    let extra = serde_json::json!({"report": "", "vcek": "", "product": "milan", "x": 1});
    assert!(matches!(
        v.verify(&extra, &[0; 32], T_2025_06_01),
        Err(SnpError::Evidence(_))
    ));
    let bad_product = serde_json::json!({"report": "", "vcek": "", "product": "naples"});
    assert!(matches!(
        v.verify(&bad_product, &[0; 32], T_2025_06_01),
        Err(SnpError::UnknownProduct(_))
    ));
}

#[test]
fn other_products_bundle_is_refused_at_config_time() {
    let mut chains = chains();
    chains.insert("milan".into(), read_str("trustee/genoa_ask_ark_asvk.pem"));
    let err = SnpVerifier::new(SnpConfig {
        amd_chains: chains,
        policy: policy_for(&trustee()),
    })
    .unwrap_err();
    assert!(matches!(err, SnpError::Config(_)), "{err:?}");
}

#[test]
fn ark_not_matching_the_pin_is_refused_at_config_time() {
    // A certificate named ARK-Milan whose bytes differ (last signature byte flipped) parses
    // fine but is not AMD's root: the fingerprint pin rejects it before any signature check.
    let ark_pem = read_str("amd-roots-virtee/milan_ark.pem");
    let b64: String = ark_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let mut der = STANDARD.decode(b64).unwrap();
    *der.last_mut().unwrap() ^= 1;
    let forged = format!(
        "{}-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        read_str("amd-roots-virtee/milan_ask.pem"),
        STANDARD
            .encode(&der)
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let err = palisade_attest::snp::ProductRoots::from_pem(Product::Milan, &forged).unwrap_err();
    assert_eq!(err, SnpError::UntrustedRoot("milan".into()));
}

#[test]
fn turin_vcek_chains_to_turin_roots() {
    let roots = palisade_attest::snp::ProductRoots::from_pem(
        Product::Turin,
        &read_str("virtee-sev/cert_chain_turin"),
    )
    .unwrap();
    let leaf = palisade_attest::x509::from_der(&read("virtee-sev/vcek_turin.der"), "vcek").unwrap();
    assert!(roots
        .verify_chain(&leaf, palisade_attest::snp::SigningKey::Vcek, T_2025_06_01)
        .is_ok());
}

#[test]
fn config_is_strict() {
    let bad = serde_json::json!({"amd_chains": {}, "policy": {"reference_measurements": [], "allow_debugg": true}});
    assert!(serde_json::from_value::<SnpConfig>(bad).is_err());
    let bad_hex = SnpVerifier::new(SnpConfig {
        amd_chains: BTreeMap::new(),
        policy: SnpPolicy {
            reference_measurements: vec!["zz".into()],
            ..policy_for(&trustee())
        },
    });
    assert!(matches!(bad_hex, Err(SnpError::Config(_))));
}

#[test]
fn appraisal_never_outlives_the_vcek() {
    let c = trustee();
    let mut p = policy_for(&c);
    p.appraisal_ttl_secs = 100 * 365 * 24 * 3600;
    let a = run(&c, p).unwrap();
    let leaf = palisade_attest::x509::from_der(&c.vcek, "vcek").unwrap();
    let (_, not_after) = palisade_attest::x509::validity_ms(&leaf);
    assert_eq!(a.expires_at_ms, not_after);
    assert!(not_after < T_2025_06_01 + 100 * 365 * 24 * 3600 * 1000);
}

#[test]
fn ask_not_signed_by_the_ark_is_refused_at_config_time() {
    let ask_pem = read_str("amd-roots-virtee/milan_ask.pem");
    let b64: String = ask_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let mut der = STANDARD.decode(b64).unwrap();
    *der.last_mut().unwrap() ^= 1; // inside the ASK's signature
    let body = STANDARD
        .encode(&der)
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let bundle = format!(
        "-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n{}",
        read_str("amd-roots-virtee/milan_ark.pem")
    );
    let err = palisade_attest::snp::ProductRoots::from_pem(Product::Milan, &bundle).unwrap_err();
    assert!(
        matches!(err, SnpError::Cert(CertError::Signature { ref which, .. }) if which == "ask"),
        "{err:?}"
    );
}

#[test]
fn vlek_evidence_may_name_its_field_vlek() {
    let c = trustee_vlek();
    let mut p = policy_for(&c);
    p.allowed_vmpls = vec![1];
    p.report_data_rest = ReportDataRest::Ignore;
    let ev = serde_json::json!({
        "report": STANDARD.encode(&c.report),
        "vlek": STANDARD.encode(&c.vcek),
        "product": "Milan",
    });
    let a = verifier(p)
        .verify(&ev, &binding(&c.report), T_2025_06_01)
        .unwrap();
    assert_eq!(a.claims["snp.signing_key"], "vlek");
}
