//! `palisade audit ...` as an operator runs it, on a log written through palisade_audit with the
//! data dir's own vault: verify passes on the untouched log and exits 1 naming the first bad
//! index on a tampered copy; show/tail decrypt with the vault; proofs, export and key print.

mod common;

use common::*;

use std::path::{Path, PathBuf};

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("audit"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("seg-") && name.ends_with(".log")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn verify_passes_then_a_flipped_byte_exits_1_naming_the_first_bad_index() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 40);
    let ok = run_in(&["audit", "verify", "--self-consistency-only"], dir.path());
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("ok: 40 entries"),
        "{}",
        text(&ok.stdout)
    );

    let segs = segments(dir.path());
    assert!(segs.len() >= 2, "the test needs several segments");
    let seg = &segs[1];
    let name = seg.file_name().unwrap().to_string_lossy().into_owned();
    let first: u64 = name["seg-".len()..name.len() - ".log".len()]
        .parse()
        .unwrap();
    assert!(first > 0);
    let mut bytes = std::fs::read(seg).unwrap();
    bytes[40] ^= 0x01;
    std::fs::write(seg, bytes).unwrap();

    let bad = run_in(&["audit", "verify", "--self-consistency-only"], dir.path());
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    let err = text(&bad.stderr);
    assert!(
        err.contains(&format!("entry {first}"))
            && err.contains(&format!("first bad index: {first}")),
        "{err}"
    );
}

#[test]
fn verify_against_a_trusted_checkpoint_detects_a_rollback() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 30);
    let cp = dir.path().join("trusted.note");
    std::fs::copy(
        dir.path()
            .join("audit")
            .join(palisade_audit::recover::LATEST_CHECKPOINT_FILE),
        &cp,
    )
    .unwrap();
    let key = text(&run_in(&["audit", "key"], dir.path()).stdout);
    let key = key.trim();
    assert!(key.starts_with("palisade.test/audit+"), "{key}");
    let cp_arg = cp.to_str().unwrap();
    let verify_trusted = [
        "audit",
        "verify",
        "--trusted-checkpoint",
        cp_arg,
        "--verifier-key",
        key,
    ];
    let ok = run_in(&verify_trusted, dir.path());
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("consistent with the outside checkpoint of size 30"));

    // Roll back: a shorter log under the same checkpoint key (an operator restoring an old
    // copy). Every checkpoint in it verifies; only the trusted checkpoint tells.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(fresh.path().join("audit")).unwrap();
    for f in ["checkpoint.key.sealed", "checkpoint.vkey"] {
        std::fs::copy(
            dir.path().join("audit").join(f),
            fresh.path().join("audit").join(f),
        )
        .unwrap();
    }
    // The sealed key opens only with the same vault (an operator restoring an old copy).
    for f in ["master.key", "vault.json"] {
        std::fs::copy(dir.path().join(f), fresh.path().join(f)).unwrap();
    }
    write_log(fresh.path(), 5);
    let own = run_in(
        &["audit", "verify", "--self-consistency-only"],
        fresh.path(),
    );
    assert_eq!(own.status.code(), Some(0), "{}", text(&own.stderr));
    let rolled = run_in(&verify_trusted, fresh.path());
    assert_eq!(rolled.status.code(), Some(1), "{}", text(&rolled.stderr));
    let err = text(&rolled.stderr);
    assert!(
        err.contains("rollback") && err.contains("covers 30"),
        "{err}"
    );
}

#[test]
fn show_tail_proofs_export_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 12);

    let show = run_in(&["audit", "show", "7"], dir.path());
    assert!(show.status.success(), "{}", text(&show.stderr));
    let s = text(&show.stdout);
    assert!(s.contains("req-7"), "{s}");
    assert!(
        s.contains(&format!("{DETAIL} #7")),
        "decrypted with the data dir's vault: {s}"
    );

    let tail = run_in(&["audit", "tail", "-n", "3"], dir.path());
    let t = text(&tail.stdout);
    assert!(
        t.contains("req-11") && t.contains("req-9") && !t.contains("req-8"),
        "{t}"
    );

    let missing = run_in(&["audit", "show", "99"], dir.path());
    assert_eq!(missing.status.code(), Some(2));

    let inc = run_in(
        &["audit", "proof", "inclusion", "3", "--size", "10"],
        dir.path(),
    );
    assert!(inc.status.success(), "{}", text(&inc.stderr));
    assert!(!text(&inc.stdout).trim().is_empty());
    let cons = run_in(&["audit", "proof", "consistency", "4", "10"], dir.path());
    assert!(cons.status.success(), "{}", text(&cons.stderr));

    let export = run_in(&["audit", "export", "--format", "ocsf"], dir.path());
    assert!(export.status.success(), "{}", text(&export.stderr));
    let lines: Vec<serde_json::Value> = text(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 12);
    assert!(lines.iter().all(|v| v["class_uid"] == 6003));

    let jsonl = run_in(&["audit", "export", "--format", "jsonl"], dir.path());
    assert!(jsonl.status.success());
    assert!(text(&jsonl.stdout).lines().count() >= 12);

    let no_args = run(&["audit", "verify"]);
    assert_eq!(
        no_args.status.code(),
        Some(2),
        "no location is a usage error"
    );
}
