//! The sample TEE kind: only with `--features sample-tee`, refused by the default config.
#![cfg(feature = "sample-tee")]

use palisade_attest::sample_tee::{SampleTeeConfig, SampleTeeError, SampleTeeVerifier};
use serde_json::json;

const BINDING: [u8; 32] = [0xab; 32];

fn enabled() -> SampleTeeVerifier {
    SampleTeeVerifier::new(SampleTeeConfig {
        enabled: true,
        reference_measurements: vec!["aa11".into()],
        allow_debug: false,
        appraisal_ttl_secs: 30,
    })
}

fn ev(measurement: &str, debug: bool, rd: &[u8]) -> serde_json::Value {
    json!({"measurement": measurement, "debug": debug, "report_data": hex::encode(rd)})
}

#[test]
fn default_config_refuses_sample_evidence() {
    let v = SampleTeeVerifier::default();
    assert_eq!(
        v.verify(&ev("aa11", false, &BINDING), &BINDING, 0),
        Err(SampleTeeError::Disabled)
    );
    let parsed: SampleTeeConfig = serde_json::from_value(json!({})).unwrap();
    assert!(!parsed.enabled);
}

#[test]
fn enabled_sample_evidence_is_appraised() {
    let a = enabled()
        .verify(&ev("AA11", false, &BINDING), &BINDING, 1_000)
        .unwrap();
    assert_eq!(a.kind, "sample_tee");
    assert_eq!(a.expires_at_ms, 31_000);
    assert_eq!(a.claims["sample_tee.measurement"], "aa11");
}

#[test]
fn sample_rules_fail_closed() {
    let v = enabled();
    assert!(matches!(
        v.verify(&ev("bb22", false, &BINDING), &BINDING, 0),
        Err(SampleTeeError::MeasurementNotAllowed(_))
    ));
    assert_eq!(
        v.verify(&ev("aa11", true, &BINDING), &BINDING, 0),
        Err(SampleTeeError::DebugNotAllowed)
    );
    assert_eq!(
        v.verify(&ev("aa11", false, &[0; 32]), &BINDING, 0),
        Err(SampleTeeError::BindingMismatch)
    );
    assert!(matches!(
        v.verify(&json!({"measurement": "aa11"}), &BINDING, 0),
        Err(SampleTeeError::Evidence(_))
    ));
}
