//! `palisade demo --json` as CI runs it: the built binary replays the whole breach against a
//! real gateway on loopback and must exit 0 with every step as expected, its audit entries
//! named, and the real audit log verifying.
#![cfg(feature = "demo")]

use serde_json::Value;
use std::process::Command;

#[test]
fn breach_replay_refuses_every_link_and_keeps_a_verifiable_log() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("demo-data");
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["demo", "--json", "--keep-dir"])
        .arg(&keep)
        .output()
        .expect("run palisade demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status.code()
    );
    let report: Value = serde_json::from_str(&stdout).expect("the report is JSON");
    assert_eq!(report["all_expected"], true);
    assert_eq!(report["simulated_providers"], true);
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 10);
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["step"], i + 1);
        assert_eq!(s["as_expected"], true, "step {}: {s}", i + 1);
        assert_eq!(s["expected"], s["happened"], "step {}: {s}", i + 1);
        assert!(
            s["audit_index"].is_u64(),
            "step {} has no audit entry: {s}",
            i + 1
        );
        assert!(!s["control"].as_str().unwrap().is_empty());
    }
    // The links are refused by the controls built for them.
    assert!(steps[0]["happened"]
        .as_str()
        .unwrap()
        .contains("static_api_key_refused"));
    assert!(steps[2]["happened"]
        .as_str()
        .unwrap()
        .contains("labeling-never-training"));
    assert!(steps[6]["happened"]
        .as_str()
        .unwrap()
        .contains("quarantined"));
    assert_eq!(report["audit_verification"]["ok"], true);
    // The kept data dir is the one asked for and holds the verifiable log.
    let data_dir = report["data_dir"].as_str().unwrap();
    assert_eq!(std::path::Path::new(data_dir), keep.canonicalize().unwrap());
    assert!(keep.join("audit").is_dir());
    // Link 10 edited a copy, never the kept log: `audit verify` on it still succeeds.
    // Without trust from outside the directory, verify refuses to call the log verified.
    let untrusted = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["audit", "verify", "--data-dir"])
        .arg(&keep)
        .output()
        .unwrap();
    assert!(!untrusted.status.success());
    assert!(String::from_utf8_lossy(&untrusted.stderr).contains("no outside trust"));
    let verify = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["audit", "verify", "--self-consistency-only", "--data-dir"])
        .arg(&keep)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn demo_refuses_a_data_dir_that_is_not_fresh() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("something"), "x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["demo", "--json", "--keep-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}
