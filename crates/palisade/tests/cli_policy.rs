//! `palisade policy validate|test|explain` on the shipped pack in examples/policies and on
//! broken copies of it: valid sets exit 0, invalid policies and failing cases exit 1 naming
//! the file and line or the case, unreadable input exits 2.

mod common;

use common::*;

use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies")
}

/// A copy of the shipped pack to break.
fn copy_pack() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(examples()).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    dir
}

#[test]
fn validate_accepts_the_shipped_pack_and_names_file_and_line_of_a_bad_policy() {
    let ex = examples();
    let out = run(&["policy", "validate", ex.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("valid ("),
        "{}",
        text(&out.stdout)
    );

    let json = run(&["policy", "validate", ex.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v["policies"].as_array().unwrap().len() > 5);

    let bad = copy_pack();
    std::fs::write(
        bad.path().join("60-broken.cedar"),
        "@id(\"broken\")\npermit(principal, action, resource)\nwhen { context.no_such_field };\n",
    )
    .unwrap();
    let out = run(&["policy", "validate", bad.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("60-broken.cedar:3:"), "file and line: {err}");
    assert!(err.contains("no_such_field"), "{err}");

    let missing = run(&["policy", "validate", "/nonexistent/policies"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
}

#[test]
fn test_runs_the_case_file_and_exits_1_on_a_wrong_expectation() {
    let cases = examples().join("cases.toml");
    let out = run(&["policy", "test", cases.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains(" passed, 0 failed"), "{s}");

    let bad = copy_pack();
    let original = std::fs::read_to_string(bad.path().join("cases.toml")).unwrap();
    // Flip the first expected decision of the incident case.
    let flipped = original.replacen(
        "resource = \"training-checkpoint\"\nexpect = \"allow\"",
        "resource = \"training-checkpoint\"\nexpect = \"deny\"",
        1,
    );
    assert_ne!(
        flipped, original,
        "the case file changed shape; update this test"
    );
    std::fs::write(bad.path().join("cases.toml"), flipped).unwrap();
    let out = run(&[
        "policy",
        "test",
        bad.path().join("cases.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("FAIL"), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("1 of "), "{}", text(&out.stderr));
}

#[test]
fn explain_names_the_deciding_policy_and_config_supplies_the_dir() {
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("req.toml");
    std::fs::write(
        &req,
        "action = \"invoke_model\"\n\
         [principal]\nid = \"spiffe://lab.example/research/summariser\"\nkind = \"agent\"\n\
         attestation_kinds = [\"sev_snp\"]\n\
         [resource]\nname = \"gpt-4o\"\nupstream = \"openai\"\nsegment = \"shared\"\n\
         destination = \"external\"\n\
         [context]\ndata_classes = [\"confidential\"]\n",
    )
    .unwrap();
    let ex = examples();
    let out = run(&[
        "policy",
        "explain",
        "--request",
        req.to_str().unwrap(),
        "--dir",
        ex.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let decision = &v["evaluation"]["decision"];
    assert_eq!(decision["effect"], "deny", "{v}");
    assert!(!v["deciding"].as_array().unwrap().is_empty(), "{v}");

    // The same through a gateway config's [policy] section.
    let cfg = dir.path().join("palisade.toml");
    std::fs::write(
        &cfg,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[auth]\nmode = \"none\"\n\n\
             [policy]\ndir = \"{}\"\n",
            ex.display()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let out = run(&[
        "policy",
        "explain",
        "--request",
        req.to_str().unwrap(),
        "--config",
        cfg,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).to_lowercase().contains("deny"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["policy", "test", "--config", cfg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["policy", "validate", "--config", cfg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
