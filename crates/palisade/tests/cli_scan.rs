//! `palisade advisories import` of the real OSV malicious-package records, then `palisade scan`
//! of a project pinning the poisoned LiteLLM release (MAL-2026-2144): found as critical with
//! exit 1, SARIF 2.1.0, baselines accept it, and `--attest` signs a verdict that the
//! enrollment-side verifier accepts.

mod common;

use common::*;

use palisade_core::{fixtures::fixture, Clock, Severity, SystemClock};
use std::path::Path;

fn project(dir: &Path, pin: &str) -> String {
    let p = dir.join("project");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("requirements.txt"), format!("{pin}\n")).unwrap();
    p.to_str().unwrap().to_owned()
}

fn imported(dir: &Path) -> String {
    let data = dir.join("data");
    let data_s = data.to_str().unwrap().to_owned();
    std::fs::create_dir(&data).unwrap();
    let osv = fixture("osv-malicious");
    let out = run(&[
        "advisories",
        "import",
        osv.to_str().unwrap(),
        "--data-dir",
        &data_s,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.starts_with("imported ") && s.contains("malicious"), "{s}");
    data_s
}

#[test]
fn poisoned_litellm_pin_is_critical_after_importing_osv() {
    let dir = tempfile::tempdir().unwrap();
    let data = imported(dir.path());
    let proj = project(dir.path(), "litellm==1.82.8");

    let out = run(&["scan", &proj, "--data-dir", &data]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("CRITICAL") && t.contains("MAL-2026-2144"), "{t}");
    assert!(t.contains("requirements.txt:1"), "{t}");

    let sarif = run(&["scan", &proj, "--data-dir", &data, "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let rules: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"PAL-ADV-MALICIOUS"), "{rules:?}");

    let json = run(&["scan", &proj, "--data-dir", &data, "--format", "json"]);
    let _: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();

    // A clean release of the same package is not flagged as malicious.
    let clean = tempfile::tempdir().unwrap();
    let proj2 = project(clean.path(), "litellm==1.82.6");
    let out = run(&["scan", &proj2, "--data-dir", &data]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(!text(&out.stdout).contains("MAL-2026-2144"));
}

#[test]
fn without_advisories_fail_on_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let proj = project(dir.path(), "litellm==1.82.8");
    // No data dir: only structural checks (a missing --hash is low), so the default
    // `--fail-on high` passes and `--fail-on low` does not.
    let out = run(&["scan", &proj]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("advisories are not checked"));
    assert!(!text(&out.stdout).contains("MAL-2026-2144"));
    let out = run(&["scan", &proj, "--fail-on", "low"]);
    assert_eq!(out.status.code(), Some(1));

    let missing = run(&["scan", "/nonexistent/project"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    let bad = run(&[
        "advisories",
        "import",
        "/nonexistent/osv",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_written_baseline_accepts_known_findings() {
    let dir = tempfile::tempdir().unwrap();
    let data = imported(dir.path());
    let proj = project(dir.path(), "litellm==1.82.8");
    let base = dir.path().join("baseline.json");
    let base_s = base.to_str().unwrap();
    let out = run(&[
        "scan",
        &proj,
        "--data-dir",
        &data,
        "--write-baseline",
        base_s,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the run that writes it still reports"
    );
    assert!(base.is_file());
    let out = run(&["scan", &proj, "--data-dir", &data, "--baseline", base_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(!text(&out.stdout).contains("MAL-2026-2144"));
}

#[test]
fn attest_signs_a_verdict_the_enrollment_verifier_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("scan.key");
    let vk = palisade_scan::generate_attest_key(&key).unwrap();
    let proj = project(dir.path(), "requests==2.32.3 --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6");
    let env = dir.path().join("scan.dsse.json");
    let out = run(&[
        "scan",
        &proj,
        "--attest",
        key.to_str().unwrap(),
        "--attest-out",
        env.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let envelope = std::fs::read_to_string(&env).unwrap();
    let summary = palisade_scan::verify_scan_attestation(
        &envelope,
        &[vk],
        3600,
        Severity::High,
        SystemClock.now_millis(),
    )
    .unwrap();
    assert_eq!(
        summary.findings.critical + summary.findings.high,
        0,
        "{summary:?}"
    );
    let other = palisade_scan::generate_attest_key(&dir.path().join("other.key")).unwrap();
    assert!(
        palisade_scan::verify_scan_attestation(
            &envelope,
            &[other],
            3600,
            Severity::High,
            SystemClock.now_millis()
        )
        .is_err(),
        "a verdict signed by another key is refused"
    );

    let half = run(&["scan", &proj, "--attest", key.to_str().unwrap()]);
    assert_eq!(half.status.code(), Some(2), "--attest needs --attest-out");
}
