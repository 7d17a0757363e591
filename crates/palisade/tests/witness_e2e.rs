//! End to end on 127.0.0.1 with real processes: two `palisade witness serve`, a
//! `palisade serve` whose `[audit] witnesses` name both with quorum 2. The gateway publishes
//! its checkpoint at start; `palisade audit verify --witness-key A --witness-key B --quorum 2`
//! passes. Then the attacker rolls the log back to an older copy (and deletes the cosigned
//! record): verification with the witness keys fails, and the gateway refuses to start
//! because a witness holds a larger checkpoint.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A child process that is killed when the test ends, whatever the outcome.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `args` and waits (bounded) for a stderr line containing `marker`; returns the rest
/// of that line after the marker.
fn spawn_until(args: &[&str], marker: &str) -> (Running, String) {
    let mut child = Running(
        palisade()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                if let Some((_, rest)) = line.split_once(marker) {
                    return (child, rest.trim().to_string());
                }
                seen.push(line);
            }
            Err(_) => panic!("no {marker:?} from {args:?}; stderr: {seen:?}"),
        }
    }
}

fn witness(dir: &Path, name: &str, log_key: &str) -> (Running, String, String) {
    let out = run(&[
        "witness",
        "init",
        "--name",
        name,
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let vkey = text(&out.stdout).trim().to_string();
    std::fs::write(
        dir.join("witness.toml"),
        format!("[[log]]\norigin = \"palisade.test/audit\"\nkey = \"{log_key}\"\n"),
    )
    .unwrap();
    let (child, addr) = spawn_until(
        &[
            "witness",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        "listening on ",
    );
    (child, vkey, addr)
}

fn gateway_config(data: &Path, witnesses: &[(&str, &str)]) -> PathBuf {
    let list: Vec<String> = witnesses
        .iter()
        .map(|(url, key)| format!("{{ url = \"{url}\", key = \"{key}\" }}"))
        .collect();
    let path = data.with_extension("toml");
    std::fs::write(
        &path,
        format!(
            r#"
[server]
listen = "127.0.0.1:0"
data_dir = "{data}"

[[upstreams]]
name = "local"
kind = "openai-compatible"
base_url = "http://127.0.0.1:9"
destination = "internal"
segment = "research"

[[models]]
name = "m"
upstream = "local"

[auth]
mode = "none"

[audit]
origin = "palisade.test/audit"
checkpoint_every_entries = 10
segment_max_bytes = 4096
witnesses = [{list}]
witness_quorum = 2
"#,
            data = data.display(),
            list = list.join(", ")
        ),
    )
    .unwrap();
    path
}

fn copy_flat(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn gateway_and_two_witnesses_then_rollback_is_caught() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("gw");
    let snapshot = root.path().join("snapshot");
    append_log(&data, 0, 20);
    copy_flat(&data.join("audit"), &snapshot);
    append_log(&data, 20, 40);
    let log_key = text(&run_in(&["audit", "key"], &data).stdout)
        .trim()
        .to_string();
    let (wa_dir, wb_dir) = (root.path().join("wa"), root.path().join("wb"));
    let (_wa, ka, addr_a) = witness(&wa_dir, "witness.test/a", &log_key);
    let (_wb, kb, addr_b) = witness(&wb_dir, "witness.test/b", &log_key);
    let config = gateway_config(&data, &[(&addr_a, &ka), (&addr_b, &kb)]);
    let cfg = config.to_str().unwrap();
    {
        let (_gw, _) = spawn_until(&["serve", "--config", cfg], "listening on ");
    }
    let cosigned = std::fs::read_to_string(data.join("audit/cosigned.latest")).unwrap();
    assert!(cosigned.contains("\n40\n"), "{cosigned}");
    let verify = |data: &Path, extra: &[&str]| {
        let mut args = vec!["audit", "verify", "--verifier-key", &log_key];
        args.extend_from_slice(extra);
        run_in(&args, data)
    };
    let both = ["--witness-key", &ka, "--witness-key", &kb, "--quorum", "2"];
    let ok = verify(&data, &both);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}{}",
        text(&ok.stdout),
        text(&ok.stderr)
    );

    // The attacker restores the 20-entry copy and deletes the cosigned record.
    std::fs::remove_dir_all(data.join("audit")).unwrap();
    copy_flat(&snapshot, &data.join("audit"));
    let local = run_in(&["audit", "verify", "--self-consistency-only"], &data);
    assert_eq!(
        local.status.code(),
        Some(0),
        "self-consistency cannot see it"
    );
    let bad = verify(&data, &both);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stdout));
    // With the witness's own record the verifier names the rollback.
    let state = std::fs::read_dir(wa_dir.join("state"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "checkpoint"))
        .unwrap();
    // (It carries that witness's cosignature only, so it counts at quorum 1 of that key.)
    let with_record = [
        "--trusted-checkpoint",
        state.to_str().unwrap(),
        "--witness-key",
        &ka,
        "--quorum",
        "1",
    ];
    let named = verify(&data, &with_record);
    assert_eq!(named.status.code(), Some(1));
    assert!(
        text(&named.stderr).contains("40"),
        "{}",
        text(&named.stderr)
    );
    // The gateway refuses to start on the rolled-back log.
    let refused = palisade()
        .args(["serve", "--config", cfg])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("rolled back"),
        "{}",
        text(&refused.stderr)
    );
}
