//! Shared helpers for the CLI tests: the built `palisade` binary with a clean environment, run
//! with arguments, with a data dir, or fed stdin, and lossy text of its output; audit logs written
//! through palisade_audit with the data dir's own vault.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use palisade_audit::{AuditConfig, AuditLog, DurabilityMode};
use palisade_core::{AuditEvent, AuditOutcome, Effect};
use palisade_vault::Vault;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The built binary, never inheriting a master key from the caller's environment.
pub fn palisade() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_palisade"));
    c.env_remove("PALISADE_MASTER_KEY");
    c
}

/// Runs the binary with `args` and waits for it.
pub fn run(args: &[&str]) -> Output {
    palisade().args(args).output().unwrap()
}

/// Runs the binary with `args` followed by `--data-dir dir`.
pub fn run_in(args: &[&str], dir: &Path) -> Output {
    palisade()
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

/// Spawns `cmd` with piped stdio, writes `input` to its stdin and waits for it.
pub fn feed(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs the binary with `args` and `input` on stdin.
pub fn with_stdin(args: &[&str], input: &str) -> Output {
    feed(palisade().args(args), input.as_bytes())
}

/// Output bytes as text (lossy: a test failure must still print).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts the `--format json` report on `stdout` has a finding of `data_class`.
pub fn assert_finding_class(stdout: &[u8], data_class: &str) {
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["finding"]["data_class"] == data_class),
        "{v}"
    );
}

pub const DETAIL: &str = "operator note: rotated the key of alice";

pub fn event(i: u64) -> AuditEvent {
    AuditEvent {
        time_ms: 1_700_000_000_000 + i,
        request_id: format!("req-{i}"),
        event_type: "request".into(),
        identity: Some("spiffe://palisade.test/research/a".into()),
        segment: Some("research".into()),
        action: "invoke_model".into(),
        resource: Some("gpt-test".into()),
        upstream: Some("openai".into()),
        destination: Some("external".into()),
        decision: if i.is_multiple_of(3) {
            Effect::Deny
        } else {
            Effect::Allow
        },
        policy_ids: vec!["own-segment".into()],
        findings: Vec::new(),
        anomaly_score: Some(1.0),
        bytes_in: 100,
        bytes_out: 200,
        latency_us: 1000,
        status: 200,
        outcome: AuditOutcome::Completed,
        request_sha256: None,
        response_sha256: None,
        detail: Some(format!("{DETAIL} #{i}")),
    }
}

/// A closed log of `n` entries in small segments (so tampering lands mid-log), sealed with the
/// vault that `Vault::open` creates in the data dir, exactly as `palisade serve` does.
pub fn write_log(dir: &Path, n: u64) {
    append_log(dir, 0, n);
}

/// Appends entries `from..to` to the log in `dir` (created on first use) and closes it.
pub fn append_log(dir: &Path, from: u64, to: u64) {
    let vault = Vault::open(dir).unwrap();
    let cfg = AuditConfig {
        mode: DurabilityMode::Sync,
        checkpoint_every_entries: 10,
        segment_max_bytes: 4096,
        origin: "palisade.test/audit".into(),
        ..AuditConfig::default()
    };
    let log = AuditLog::open(dir, &cfg, &vault).unwrap();
    for i in from..to {
        assert_eq!(log.append_blocking(event(i)).unwrap(), i);
    }
    log.close().unwrap();
}
