//! `palisade inspect` (and `canary mint`, `protect add` feeding it) as a user runs it: masked
//! output never holds a full secret in any format, SARIF is 2.1.0 JSON, exit codes follow
//! `--fail-on`, stdin and JSONL work, binaries are skipped with a note, and canaries and
//! protected documents recorded in a data dir are found offline.

mod common;

use common::*;

use std::path::Path;

// A well-formed AWS key pair in the documented format (AWS's own documentation example
// shape, random characters): real enough for every detector, valid nowhere.
const KEY_ID: &str = "AKIAQYLPMN5HHHFPZAM2";
const SECRET: &str = "1tUm636uS1yOEcfP5pvfqJ/ml36mF7AkyHsEU0IM";

const DOC: &str = "Project Falcon roadmap. In the third quarter the Llama-5 pretraining run moves to the \
Helsinki cluster with forty thousand accelerators and a rebuilt tokenizer. The data team finishes \
deduplication of the multilingual crawl before August, and the safety group delivers the red-team \
evaluation harness in September.\n\nIn the fourth quarter we distill Llama-5 into the compact Kestrel \
family for on-device inference, negotiate the Aurora power contract and open the Toronto research \
office. Budget for compute rises to 412 million dollars, approved by the board in Vancouver.";

fn key_file(dir: &Path) -> String {
    let p = dir.join("settings.env");
    std::fs::write(
        &p,
        format!("# deploy\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    p.to_str().unwrap().to_owned()
}

fn assert_masked(out: &str) {
    assert!(!out.contains(KEY_ID), "full key id leaked: {out}");
    assert!(!out.contains(SECRET), "full secret leaked: {out}");
}

#[test]
fn a_fake_aws_key_is_found_masked_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let f = key_file(dir.path());

    let table = run(&["inspect", &f]);
    assert_eq!(table.status.code(), Some(1), "{}", text(&table.stderr));
    let t = text(&table.stdout);
    assert!(
        t.contains("aws-access-key-id") && t.contains("settings.env:2:"),
        "{t}"
    );
    assert_masked(&t);
    assert_masked(&text(&table.stderr));

    let json = run(&["inspect", &f, "--format", "json"]);
    let j = text(&json.stdout);
    assert_masked(&j);
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(findings.len() >= 2, "{v}");
    assert!(findings
        .iter()
        .all(|f| f["finding"]["data_class"] == "secret"));

    let sarif = run(&["inspect", &f, "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(1));
    let s = text(&sarif.stdout);
    assert_masked(&s);
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(!v["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn fail_on_threshold_clean_input_stdin_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("notes.md");
    std::fs::write(&clean, "Meeting notes: ship the release on Tuesday.\n").unwrap();
    let out = run(&["inspect", clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("0 finding(s)"));

    let out = with_stdin(
        &["inspect", "-"],
        &format!("key {KEY_ID} secret {SECRET}\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out.stdout);
    assert!(t.contains("-:1:"), "{t}");
    assert_masked(&t);

    // An e-mail address is a (medium) finding: exit 1 by default, 0 with `--fail-on critical`.
    let mail = "write to jane.doe@northwind-labs.net\n";
    assert_eq!(with_stdin(&["inspect", "-"], mail).status.code(), Some(1));
    let out = with_stdin(
        &["inspect", "-", "--fail-on", "critical"],
        "write to jane.doe@northwind-labs.net\n",
    );
    let t = text(&out.stdout);
    assert!(t.contains("pii"), "{t}");
    assert_eq!(out.status.code(), Some(0), "{t}");

    let jsonl = format!(
        "{{\"id\":\"clean-1\",\"text\":\"nothing here\"}}\n{{\"id\":\"leak-2\",\"text\":\"k={KEY_ID} s={SECRET}\"}}\n"
    );
    let out = with_stdin(&["inspect", "-", "--jsonl", "--format", "json"], &jsonl);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"].as_str().unwrap())
        .collect();
    assert!(
        !sources.is_empty() && sources.iter().all(|s| *s == "leak-2"),
        "{sources:?}"
    );

    let out = with_stdin(&["inspect", "-", "--jsonl"], "{\"id\":1}\nnot json\n");
    assert_eq!(out.status.code(), Some(2), "bad JSONL lines are errors");
}

#[test]
fn binaries_and_oversized_files_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut bin = b"\x7fELF\x00\x00".to_vec();
    bin.extend_from_slice(KEY_ID.as_bytes());
    std::fs::write(dir.path().join("tool.bin"), bin).unwrap();
    std::fs::write(dir.path().join("big.txt"), "x".repeat(5000)).unwrap();
    let out = run(&[
        "inspect",
        dir.path().to_str().unwrap(),
        "--max-file-size",
        "4096",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.contains("skipped") && t.contains("tool.bin") && t.contains("binary"),
        "{t}"
    );
    assert!(
        t.contains("big.txt") && t.contains("larger than 4096"),
        "{t}"
    );
}

#[test]
fn canaries_and_protected_documents_from_the_data_dir_apply_offline() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    // A mistyped data dir is refused rather than started afresh.
    let typo = run(&["inspect", "-", "--data-dir", data_s]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(text(&typo.stderr).contains("does not exist"));
    assert!(!data.exists());
    std::fs::create_dir(&data).unwrap();

    let minted = run(&[
        "canary",
        "mint",
        "--kind",
        "doc-id",
        "--note",
        "roadmap v3",
        "--data-dir",
        data_s,
    ]);
    assert!(minted.status.success(), "{}", text(&minted.stderr));
    let m = text(&minted.stdout);
    let id = m.split_whitespace().nth(1).unwrap().to_owned();
    let token = m.lines().nth(1).unwrap().trim().to_owned();
    assert!(id.starts_with("cnr_") && token.starts_with("DOC-"), "{m}");
    let listed = text(&run(&["canary", "list", "--data-dir", data_s]).stdout);
    assert!(listed.contains(&id) && !listed.contains(&token), "{listed}");

    let doc = dir.path().join("roadmap.md");
    std::fs::write(&doc, DOC).unwrap();
    let added = run(&[
        "protect",
        "add",
        doc.to_str().unwrap(),
        "--data-dir",
        data_s,
    ]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(text(&added.stdout).contains("protected roadmap.md"));

    let leak = dir.path().join("chat.txt");
    let excerpt = DOC.split("\n\n").nth(1).unwrap();
    std::fs::write(&leak, format!("see {token}\n\n{excerpt}\n")).unwrap();
    let leak_s = leak.to_str().unwrap();

    let out = run(&["inspect", leak_s, "--format", "json", "--data-dir", data_s]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["finding"]["detector"].as_str().unwrap().to_owned(),
                f["finding"]["data_class"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        found
            .iter()
            .any(|(d, c)| *d == format!("canary:{id}") && c == "canary"),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(_, c)| c == "protected_document"),
        "{found:?}"
    );

    // Without the data dir neither is known.
    let bare = run(&["inspect", leak_s, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&bare.stdout).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["finding"]["data_class"] != "canary"
            && f["finding"]["data_class"] != "protected_document"));
}

#[test]
fn the_configs_inspect_section_applies_offline() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("palisade.toml");
    std::fs::write(
        &cfg,
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[auth]\nmode = \"none\"\n\n\
         [inspect]\ncode_names = [\"Kestrel-9\"]\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let input = "the Kestrel-9 launch slips to May\n";
    let out = with_stdin(
        &["inspect", "-", "--format", "json", "--config", cfg],
        input,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_finding_class(&out.stdout, "confidential");
    // Without the config the code name means nothing.
    let out = with_stdin(&["inspect", "-"], input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}
