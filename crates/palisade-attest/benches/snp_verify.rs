//! Full SEV-SNP evidence verification (JSON decode, report parse, ARK->ASK->VCEK chain with three
//! RSA-4096 PSS checks, VCEK/TCB binding, ECDSA P-384 report signature, policy) on the trustee
//! Milan fixture, plus DSSE provenance verification on the GCB SLSA v1 fixture.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion};
use palisade_attest::provenance::{BuilderKeyConfig, ProvenanceConfig, ProvenanceVerifier};
use palisade_attest::snp::{MinTcb, ReportDataRest, SnpConfig, SnpPolicy, SnpVerifier};
use palisade_core::fixtures::fixture;
use std::collections::BTreeMap;

const T_2025_06_01: u64 = 1_748_736_000_000;

fn snp(c: &mut Criterion) {
    let report = std::fs::read(fixture("amd-sev-snp/trustee/test-report.bin")).unwrap();
    let vcek = std::fs::read(fixture("amd-sev-snp/trustee/test-vcek.der")).unwrap();
    let chain =
        std::fs::read_to_string(fixture("amd-sev-snp/trustee/milan_ask_ark_asvk.pem")).unwrap();
    let verifier = SnpVerifier::new(SnpConfig {
        amd_chains: BTreeMap::from([("milan".to_owned(), chain)]),
        policy: SnpPolicy {
            reference_measurements: vec![hex::encode(&report[0x90..0xC0])],
            allow_debug: false,
            min_tcb: MinTcb {
                bootloader: 3,
                tee: 0,
                snp: 8,
                microcode: 115,
                fmc: 0,
            },
            allowed_vmpls: vec![0],
            min_guest_svn: 0,
            host_data: None,
            report_data_rest: ReportDataRest::Zero,
            appraisal_ttl_secs: 300,
        },
    })
    .unwrap();
    let binding: [u8; 32] = report[0x50..0x70].try_into().unwrap();
    let evidence = serde_json::json!({
        "report": STANDARD.encode(&report),
        "vcek": STANDARD.encode(&vcek),
        "product": "milan",
    });
    assert!(verifier.verify(&evidence, &binding, T_2025_06_01).is_ok());
    c.bench_function("snp_full_verify_json", |b| {
        b.iter(|| verifier.verify(&evidence, &binding, T_2025_06_01).unwrap())
    });
}

fn dsse(c: &mut Criterion) {
    let env: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("in-toto-dsse/gcb-slsa-v1/DERIVED-single.dsse.json")).unwrap(),
    )
    .unwrap();
    let pem = std::fs::read_to_string(fixture(
        "in-toto-dsse/gcb-slsa-v1/global-pae-google-hosted-worker_1.pub.pem",
    ))
    .unwrap();
    let v = ProvenanceVerifier::new(ProvenanceConfig {
        builder_keys: vec![BuilderKeyConfig {
            id: "gcb".into(),
            public_key_pem: pem,
        }],
        threshold: 1,
        allowed_builder_ids: vec!["https://cloudbuild.googleapis.com/GoogleHostedWorker".into()],
        allowed_source_repositories: vec!["https://github.com/khalkie/gcb-prod-prov".into()],
        appraisal_ttl_secs: 300,
    })
    .unwrap();
    let ev = serde_json::json!({
        "envelope": env,
        "artifact_digest": "sha256:7e9b6e7ba2842c91cf49f3e214d04a7a496f8214356f41d81a6e6dcad11f11e3",
    });
    assert!(v.verify(&ev, &[0; 32], 0).is_ok());
    c.bench_function("dsse_provenance_verify_json", |b| {
        b.iter(|| v.verify(&ev, &[0; 32], 0).unwrap())
    });
}

criterion_group!(benches, snp, dsse);
criterion_main!(benches);
