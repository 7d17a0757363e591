//! Shared helpers for the CLI tests: the built `palisade` binary with a clean environment, run
//! with arguments, with a data dir, or fed stdin, and lossy text of its output.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

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
