//! Proofs from the running log (`AuditLog::root`, `inclusion_proof`, `consistency_proof`) come
//! from the index files, not from memory: they verify after a reopen, after live appends that
//! were never flushed, across segment rotations, and while another thread keeps appending
//! (new segments appear without their index yet, and index files end mid-record).

mod common;

use common::*;
use palisade_audit::{verify, AuditError, AuditLog, Checkpoint, LogReader, NoteVerifier};
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn proofs_after_reopen_and_after_unflushed_live_appends_verify() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 25);
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    assert!(seg_files(dir.path()).len() > 2, "4 KiB segments rotate");
    let verifier = NoteVerifier::parse(&log.verifier_key()).unwrap();
    let cp = Checkpoint::verify_note(&log.latest_checkpoint().unwrap(), &verifier).unwrap();
    assert_eq!(cp.size, 25);
    assert_eq!(log.root(25).unwrap(), cp.root, "the signed root, read back");
    for i in 0..25 {
        let p = log.inclusion_proof(i, 25).unwrap();
        p.verify().unwrap();
        assert_eq!(p.root, cp.root);
    }
    // Live appends, acknowledged (sync mode) but not flushed: no checkpoint covers them yet.
    for i in 25..37 {
        assert_eq!(log.append_blocking(event(i)).unwrap(), i);
    }
    assert_eq!(log.size(), 37);
    let root37 = log.root(37).unwrap();
    for i in 0..37 {
        let p = log.inclusion_proof(i, 37).unwrap();
        p.verify().unwrap();
        assert_eq!(p.root, root37);
    }
    for size1 in 1..=37 {
        let c = log.consistency_proof(size1, 37).unwrap();
        c.verify().unwrap();
        assert_eq!(c.root1, log.root(size1).unwrap());
        assert_eq!(c.root2, root37);
    }
    // Sizes past the log are refused with the range in the message.
    let out = |r: Result<_, AuditError>| match r {
        Err(AuditError::OutOfRange(m)) => m,
        other => panic!("expected out of range, got {other:?}"),
    };
    assert_eq!(out(log.root(38).map(|_| ())), "size 38 exceeds the log");
    assert!(out(log.inclusion_proof(37, 37).map(|_| ())).contains("need index < size <= 37"));
    assert!(out(log.consistency_proof(0, 5).map(|_| ())).contains("need 0 < size1"));
    assert!(out(log.consistency_proof(5, 38).map(|_| ())).contains("<= 37, got 5 and 38"));
    // The close checkpoint signs the same root the files gave while the log was live.
    log.close().unwrap();
    let cp = Checkpoint::verify_note(&log.latest_checkpoint().unwrap(), &verifier).unwrap();
    assert_eq!((cp.size, cp.root), (37, root37));
    drop(log);
    assert_eq!(verify(dir.path(), None).unwrap().root, root37);
}

#[test]
fn proofs_while_another_thread_appends_across_rotations() {
    const TOTAL: u64 = 150;
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    let done = AtomicBool::new(false);
    let mut seen = Vec::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..TOTAL {
                assert_eq!(log.append_blocking(event(i)).unwrap(), i);
            }
            done.store(true, Ordering::Release);
        });
        while !done.load(Ordering::Acquire) {
            let n = log.size();
            if n == 0 {
                std::thread::yield_now();
                continue;
            }
            let p = log.inclusion_proof(n - 1, n).unwrap();
            p.verify().unwrap();
            let c = log.consistency_proof(n.div_ceil(2), n).unwrap();
            c.verify().unwrap();
            assert_eq!(c.root2, p.root);
            seen.push((n, p.root));
        }
    });
    assert!(
        seen.len() >= 5,
        "only {} proofs during the appends",
        seen.len()
    );
    assert!(seen.iter().any(|(n, _)| *n < TOTAL), "proofs taken mid-run");
    log.close().unwrap();
    drop(log);
    assert!(seg_files(dir.path()).len() > 10, "rotations happened");
    let full = LogReader::open(dir.path(), None).unwrap();
    for (n, root) in seen {
        assert_eq!(full.tree().root(n), Some(root), "root at size {n}");
    }
    assert_eq!(verify(dir.path(), None).unwrap().entries, TOTAL);
}

#[test]
fn reading_a_prefix_ignores_what_a_writer_is_still_writing() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 20);
    let root20 = verify(dir.path(), None).unwrap().root;
    let last_idx = seg_files(dir.path()).pop().unwrap().with_extension("idx");
    // An index record being appended: 17 of its 40 bytes written so far.
    let mut idx = std::fs::read(&last_idx).unwrap();
    idx.extend_from_slice(&[0xab; 17]);
    std::fs::write(&last_idx, idx).unwrap();
    // A rotation in progress: the next segment's `.log` exists, its `.idx` not yet.
    let next_seg = dir.path().join(format!("audit/seg-{:020}.log", 20));
    std::fs::write(&next_seg, b"").unwrap();
    let r = LogReader::open_upto(dir.path(), None, 20).unwrap();
    assert_eq!(r.size(), 20);
    assert_eq!(r.tree().root(20), Some(root20));
    r.inclusion_proof(19, 20).unwrap().verify().unwrap();
    assert_eq!(r.show(19).unwrap().entry.event.request_id, "req-19");
    // Past the prefix the reader does go on, and the missing index is an error ...
    assert!(LogReader::open_upto(dir.path(), None, 21).is_err());
    // ... as is a size the index files do not reach.
    std::fs::remove_file(&next_seg).unwrap();
    let err = LogReader::open_upto(dir.path(), None, 21).unwrap_err();
    assert!(
        err.to_string()
            .contains("the log has 20 indexed entries, fewer than 21"),
        "{err}"
    );
}
