//! `palisade scan-key generate` and `palisade protect records` as an operator runs them: the
//! generated key signs a verdict the enrollment verifier accepts with the printed public key,
//! and records loaded from `[inspect.edm]` are recognized offline with no plaintext kept.

mod common;

use common::*;

#[test]
fn generated_scan_key_signs_a_verdict_its_printed_public_key_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("scan.key");
    let out = palisade()
        .args(["scan-key", "generate", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let public_pem = text(&out.stdout);
    assert!(public_pem.contains("BEGIN PUBLIC KEY"), "{public_pem}");
    assert!(
        !public_pem.contains("PRIVATE"),
        "only the public key is printed"
    );
    // A second generate never overwrites the key.
    let again = palisade()
        .args(["scan-key", "generate", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));

    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(
        tree.join("requirements.txt"),
        "requests==2.32.3 --hash=sha256:aa\n",
    )
    .unwrap();
    let env_out = dir.path().join("verdict.json");
    let out = palisade()
        .args([
            "scan",
            tree.to_str().unwrap(),
            "--attest",
            key.to_str().unwrap(),
        ])
        .args(["--attest-out", env_out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let pub_file = dir.path().join("scan.pub.pem");
    std::fs::write(&pub_file, &public_pem).unwrap();
    let vk = palisade_scan::load_verifying_key(&pub_file).unwrap();
    let envelope = std::fs::read_to_string(&env_out).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let summary = palisade_scan::verify_scan_attestation(
        &envelope,
        &[vk],
        3600,
        palisade_core::Severity::Low,
        now,
    )
    .unwrap();
    assert!(!summary.tree_digest.is_empty());
}

#[test]
fn protect_records_loads_the_edm_csv_as_hashes_and_inspect_finds_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("staff.csv");
    std::fs::write(
        &csv,
        "employee_id,name,salary\nE-104233,Maren Okafor,187500\nE-104234,Tobias Lindqvist,142000\n",
    )
    .unwrap();
    let cfg = dir.path().join("palisade.toml");
    std::fs::write(
        &cfg,
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[auth]\nmode = \"none\"\n\n\
         [inspect.edm]\ncsv = \"staff.csv\"\n\n[inspect.edm.columns]\nemployee_id = \"primary\"\n\
         name = \"corroborating\"\nsalary = \"corroborating\"\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();

    // Without --config there is nothing to load: a precise refusal.
    std::fs::create_dir_all(dir.path().join("bare")).unwrap();
    let out = palisade()
        .args(["protect", "records", "--data-dir"])
        .arg(dir.path().join("bare"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("[inspect.edm]"),
        "{}",
        text(&out.stderr)
    );

    let out = palisade()
        .args(["protect", "records", "--config", cfg])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("indexed 2 records"),
        "{}",
        text(&out.stdout)
    );
    // Only keyed hashes are stored.
    let stored = std::fs::read_to_string(dir.path().join("data/inspect/edm.json")).unwrap();
    for plain in ["Maren", "Okafor", "E-104233", "187500"] {
        assert!(!stored.contains(plain), "plaintext `{plain}` stored");
    }

    let out = with_stdin(
        &["inspect", "-", "--format", "json", "--config", cfg],
        "please format: E-104233 Maren Okafor 187500\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_finding_class(&out.stdout, "payroll");
}
