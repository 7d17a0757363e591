//! Renderings (table, JSON, SARIF 2.1.0), exit codes, baselines, the CLI handlers, and the
//! attestation path end to end: scan → sign with `--attest` → verify as enrollment would.

mod support;

use palisade_core::dsse::Envelope;
use palisade_scan::cli::{run_advisories_import, run_scan, ScanArgs};
use palisade_scan::{
    exit_code, generate_attest_key, render_json, render_sarif, render_table, rules,
    sign_scan_attestation, verify_scan_attestation, AdvisoryDb, AttestKey, Baseline, OutputFormat,
    ScanAttestError, Severity,
};
use palisade_store::Store;
use support::*;

const NOW: u64 = 1_790_000_000_000;

fn dirty_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        ".github/workflows/ci.yml",
        b"on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n",
    );
    write(tmp.path(), "requirements.txt", b"litellm==1.82.8\n");
    tmp
}

#[test]
fn table_json_and_sarif_carry_the_findings() {
    let tmp = dirty_tree();
    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    let table = render_table(&r);
    assert!(table.starts_with("MEDIUM (1)"), "{table}");
    assert!(
        table.contains("ci.yml:5") && table.contains(rules::GHA_UNPINNED),
        "{table}"
    );
    assert!(table.contains("LOW (1)"));
    let j: serde_json::Value = serde_json::from_str(&render_json(&r).unwrap()).unwrap();
    assert_eq!(j["summary"]["medium"], 1);
    assert_eq!(j["findings"][0]["rule_id"], rules::GHA_UNPINNED);
    assert_eq!(j["findings"][0]["line"], 5);
    assert_eq!(j["tree_digest"]["sha256"].as_str().unwrap().len(), 64);

    let s: serde_json::Value = serde_json::from_str(&render_sarif(&r).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    let rules_arr = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules_arr.len(), rules::RULES.len());
    assert!(rules_arr
        .iter()
        .all(|r| r["id"].is_string() && r["help"]["text"].as_str().is_some_and(|t| !t.is_empty())));
    let res = &run["results"][0];
    assert_eq!(res["ruleId"], rules::GHA_UNPINNED);
    assert_eq!(res["level"], "warning");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    assert!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with(".github/workflows/ci.yml")
    );
    let idx = res["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules_arr[idx]["id"], rules::GHA_UNPINNED);
}

#[test]
fn exit_codes_and_baseline() {
    let tmp = dirty_tree();
    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    assert_eq!(exit_code(&r, Severity::High), 0);
    assert_eq!(exit_code(&r, Severity::Medium), 1);
    assert_eq!(exit_code(&r, Severity::Low), 1);

    let base = tmp.path().join("baseline.json");
    Baseline::from_report(&r).save(&base).unwrap();
    // Re-scan: same findings accepted; the digest changes because baseline.json is in the tree,
    // the findings do not.
    let mut r2 = scan_dir(tmp.path(), &AdvisoryDb::empty());
    Baseline::load(&base).unwrap().apply(&mut r2);
    assert!(r2.findings.is_empty(), "{}", dump(&r2));
    assert_eq!(r2.suppressed.medium, 1);
    // A new finding on another line is not covered by the baseline.
    write(tmp.path(), ".github/workflows/ci.yml", b"on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/cache@v3\n");
    let mut r3 = scan_dir(tmp.path(), &AdvisoryDb::empty());
    Baseline::load(&base).unwrap().apply(&mut r3);
    assert_eq!(r3.findings.len(), 1, "{}", dump(&r3));
    assert!(r3.findings[0].reason.contains("actions/cache"));
    std::fs::write(&base, "{\"version\":1}").unwrap();
    assert!(Baseline::load(&base)
        .unwrap_err()
        .to_string()
        .contains("baseline"));
}

#[test]
fn cli_handlers_import_scan_and_attest_end_to_end() {
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();
    let mut out = Vec::new();
    let stats = run_advisories_import(
        &store,
        &palisade_core::fixtures::fixture("osv-malicious"),
        &mut out,
    )
    .unwrap();
    assert_eq!(stats.malicious, 12);
    assert!(String::from_utf8(out)
        .unwrap()
        .starts_with("imported 12 advisory files"));

    let keys = tempfile::tempdir().unwrap();
    let key_path = keys.path().join("scan.pem");
    let vk = generate_attest_key(&key_path).unwrap();
    let pub_path = keys.path().join("scan.pub.pem");
    std::fs::write(&pub_path, palisade_scan::verifying_key_pem(&vk).unwrap()).unwrap();
    assert_eq!(palisade_scan::load_verifying_key(&pub_path).unwrap(), vk);
    assert!(
        generate_attest_key(&key_path).is_err(),
        "never overwrites a key"
    );

    // A dirty tree: litellm 1.82.8 pinned → critical, exit 1, attestation says critical.
    let dirty = dirty_tree();
    let mut args = ScanArgs::new(vec![dirty.path().to_path_buf()]);
    args.format = OutputFormat::Json;
    args.attest_key = Some(key_path.clone());
    args.attest_out = Some(keys.path().join("dirty.dsse.json"));
    let mut out = Vec::new();
    let o = run_scan(&args, Some(&store), NOW, &mut out).unwrap();
    assert_eq!(o.exit_code, 1);
    assert_eq!(o.report.counts().critical, 1);
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(j["summary"]["critical"], 1);
    let env_json = std::fs::read_to_string(keys.path().join("dirty.dsse.json")).unwrap();
    let err =
        verify_scan_attestation(&env_json, &[vk], 3600, Severity::Medium, NOW + 1000).unwrap_err();
    assert_eq!(
        err,
        ScanAttestError::SeverityExceeded {
            found: "critical",
            allowed: "medium"
        }
    );

    // A clean tree: exit 0, attestation verifies and names the tree digest.
    let clean = tempfile::tempdir().unwrap();
    write(
        clean.path(),
        "requirements.txt",
        b"requests==2.32.3 --hash=sha256:00\n",
    );
    let mut args = ScanArgs::new(vec![clean.path().to_path_buf()]);
    args.attest_key = Some(key_path.clone());
    args.attest_out = Some(keys.path().join("clean.dsse.json"));
    let o = run_scan(&args, Some(&store), NOW, &mut Vec::new()).unwrap();
    assert_eq!(o.exit_code, 0);
    let env_json = std::fs::read_to_string(keys.path().join("clean.dsse.json")).unwrap();
    let sum = verify_scan_attestation(&env_json, &[vk], 3600, Severity::Low, NOW + 5_000).unwrap();
    assert_eq!(sum.tree_digest, o.report.tree_digest);
    assert_eq!(sum.findings.total(), 0);
    assert_eq!(sum.time_ms, NOW);
    assert_eq!(
        sum.signer_keyid,
        AttestKey::load(&key_path).unwrap().keyid()
    );

    // Stale, from the future, untrusted key, tampered payload.
    assert!(matches!(
        verify_scan_attestation(&env_json, &[vk], 60, Severity::Low, NOW + 61_000),
        Err(ScanAttestError::Stale {
            age_secs: 61,
            max_secs: 60
        })
    ));
    assert_eq!(
        verify_scan_attestation(&env_json, &[vk], 60, Severity::Low, NOW - 120_000),
        Err(ScanAttestError::FromFuture)
    );
    let other = generate_attest_key(&keys.path().join("other.pem")).unwrap();
    assert_eq!(
        verify_scan_attestation(&env_json, &[other], 3600, Severity::Low, NOW),
        Err(ScanAttestError::Untrusted)
    );
    let mut env: Envelope = serde_json::from_str(&env_json).unwrap();
    let mut stmt: serde_json::Value =
        serde_json::from_slice(&env.payload_bytes().unwrap()).unwrap();
    assert_eq!(stmt["predicateType"], "https://palisade.dev/scan-result/v1");
    assert_eq!(stmt["_type"], "https://in-toto.io/Statement/v1");
    stmt["predicate"]["timeMs"] = serde_json::json!(NOW + 3_000_000);
    env.payload = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        serde_json::to_vec(&stmt).unwrap(),
    );
    let tampered = serde_json::to_string(&env).unwrap();
    assert_eq!(
        verify_scan_attestation(&tampered, &[vk], 3600, Severity::Low, NOW),
        Err(ScanAttestError::Untrusted)
    );
}

#[test]
fn baselined_criticals_still_fail_attestation_policy() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "x.pth",
        b"import base64; exec(base64.b64decode('cHJpbnQoMSk='))\n",
    );
    let mut r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    Baseline::from_report(&r).apply(&mut r);
    assert!(r.findings.is_empty());
    let key = AttestKey::from_signing_key(ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]));
    let env = sign_scan_attestation(&r, &key, NOW).unwrap();
    let err = verify_scan_attestation(
        &serde_json::to_string(&env).unwrap(),
        &[key.verifying_key()],
        60,
        Severity::High,
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        err,
        ScanAttestError::SeverityExceeded {
            found: "critical",
            allowed: "high"
        }
    );
    assert!(
        !format!("{key:?}").contains("0707"),
        "debug output hides the key"
    );
}

#[test]
fn key_files_raw_hex_and_bad() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("raw"), [9u8; 32]).unwrap();
    std::fs::write(d.path().join("hex"), hex_of(&[9u8; 32])).unwrap();
    std::fs::write(
        d.path().join("bad"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let a = AttestKey::load(&d.path().join("raw")).unwrap();
    let b = AttestKey::load(&d.path().join("hex")).unwrap();
    assert_eq!(a.keyid(), b.keyid());
    let e = AttestKey::load(&d.path().join("bad"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not a pkcs#8 ed25519 private key") && !e.contains("AAAA"),
        "{e}"
    );
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
