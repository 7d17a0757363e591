//! Crash safety: a torn final record (partial write) is reported by `verify` and, on open,
//! truncated with a recorded `audit_recovery` entry, unless it lies under a signed checkpoint,
//! in which case open refuses (that would be lost acknowledged data or a rollback).

mod common;

use common::*;
use palisade_audit::{verify, AuditLog, EntryProblem, LogReader, VerifyError};
use std::io::Write;

#[test]
fn torn_record_after_the_last_checkpoint_is_reported_then_truncated_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 12);
    let last = seg_files(dir.path()).pop().unwrap();
    let good_len = std::fs::metadata(&last).unwrap().len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap();
    // A length prefix promising 500 bytes, then only 100 of them: a write cut by a crash.
    f.write_all(&500u32.to_be_bytes()).unwrap();
    f.write_all(&[b'{'; 100]).unwrap();
    drop(f);
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, VerifyError::Entry { index: 12, problem: EntryProblem::Torn { offset, .. } } if *offset == good_len),
        "{err}"
    );
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    assert_eq!(log.recovery_notes().len(), 1);
    assert!(
        log.recovery_notes()[0].contains("index 12"),
        "{:?}",
        log.recovery_notes()
    );
    log.close().unwrap();
    drop(log);
    assert_eq!(verify(dir.path(), None).unwrap().entries, 13);
    let shown = LogReader::open(dir.path(), Some(&v))
        .unwrap()
        .show(12)
        .unwrap();
    assert_eq!(shown.entry.event.event_type, "audit_recovery");
    assert!(shown
        .sensitive
        .unwrap()
        .detail
        .unwrap()
        .contains("truncated a torn record"));
}

#[test]
fn torn_record_under_a_signed_checkpoint_is_refused_on_open() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 12);
    let last = seg_files(dir.path()).pop().unwrap();
    let len = std::fs::metadata(&last).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&last)
        .unwrap()
        .set_len(len - 10)
        .unwrap();
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::Entry {
                index: 11,
                problem: EntryProblem::Torn { .. }
            }
        ),
        "{err}"
    );
    let v = vault(dir.path());
    let err = AuditLog::open(dir.path(), &config(), &v).unwrap_err();
    assert!(
        err.to_string().contains("latest checkpoint covers 12"),
        "{err}"
    );
    assert_eq!(
        std::fs::metadata(&last).unwrap().len(),
        len - 10,
        "a refused open changes nothing"
    );
    assert!(matches!(
        verify(dir.path(), None),
        Err(VerifyError::Entry { index: 11, .. })
    ));
}

const CHILD_ENV: &str = "PALISADE_AUDIT_CRASH_CHILD";

/// Child half: appends in sync mode from 4 threads forever, printing `ack <index> <request id>`
/// only after the callback reported the entry durable. The parent SIGKILLs it.
fn crash_child(dir: &str) {
    use std::sync::Arc;
    let dir = std::path::PathBuf::from(dir);
    let v = vault(&dir);
    let log = Arc::new(AuditLog::open(&dir, &config(), &v).unwrap());
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                for i in 0.. {
                    let mut ev = event(i);
                    ev.request_id = format!("t{t}-{i}");
                    let rid = ev.request_id.clone();
                    let idx = log.append_blocking(ev).unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ack {idx} {rid}").unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[cfg(unix)]
#[test]
fn sigkill_during_sync_appends_loses_no_acknowledged_entry() {
    use std::io::BufRead;
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        crash_child(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "sigkill_during_sync_appends_loses_no_acknowledged_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acked = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("ack ") {
                let (idx, rid) = rest.split_once(' ').unwrap();
                acked.push((idx.parse::<u64>().unwrap(), rid.to_string()));
            }
        }
        acked
    });
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().unwrap(); // SIGKILL on unix
    child.wait().unwrap();
    let acked = reader.join().unwrap();
    assert!(
        acked.len() > 10,
        "the child acknowledged only {} appends",
        acked.len()
    );
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    log.close().unwrap();
    drop(log);
    let report = verify(dir.path(), None).unwrap();
    let r = LogReader::open(dir.path(), None).unwrap();
    for (idx, rid) in &acked {
        assert!(
            *idx < report.entries,
            "acknowledged entry {idx} is missing ({} entries)",
            report.entries
        );
        assert_eq!(
            &r.show(*idx).unwrap().entry.event.request_id,
            rid,
            "entry {idx}"
        );
    }
}

/// The writer fsyncs only the segment per group commit; the last segment's index may lag after
/// a power cut. Simulated here by cutting the last index short (and, worse, emptying it): open
/// must rebuild it from the segment, with every entry still provable and `verify` clean.
#[test]
fn last_index_behind_its_segment_is_rebuilt_on_open() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 30);
    let segs = seg_files(dir.path());
    assert!(segs.len() > 1, "the test needs several segments");
    let last_idx = segs.last().unwrap().with_extension("idx");
    for cut_to in [40u64, 0] {
        let len = std::fs::metadata(&last_idx).unwrap().len();
        assert!(len > cut_to, "index of {len} bytes");
        std::fs::OpenOptions::new()
            .write(true)
            .open(&last_idx)
            .unwrap()
            .set_len(cut_to)
            .unwrap();
        // Offline verify sees the lagging index (nothing has repaired it yet) ...
        assert!(verify(dir.path(), None).is_err());
        // ... and open repairs it from the fsynced segment, without a recovery note (no entry
        // was lost) and without losing entries.
        let v = vault(dir.path());
        let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
        assert!(
            log.recovery_notes().is_empty(),
            "{:?}",
            log.recovery_notes()
        );
        assert_eq!(std::fs::metadata(&last_idx).unwrap().len(), len);
        log.close().unwrap();
        drop(log);
        assert_eq!(verify(dir.path(), None).unwrap().entries, 30);
        let r = LogReader::open(dir.path(), Some(&v)).unwrap();
        assert_eq!(r.show(29).unwrap().entry.event.request_id, "req-29");
    }
}
