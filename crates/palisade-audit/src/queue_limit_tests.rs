//! Unit tests of the pending-append bound (`max_queue`): they hold the writer through a
//! crate-private hook so the queue fills deterministically, then check that refused appends
//! fail with "audit queue full", are counted, and that every accepted append is in the log
//! exactly once.

use crate::config::{AuditConfig, DurabilityMode};
use crate::log::AuditLog;
use crate::reader::LogReader;
use crate::test_support::vault;
use palisade_core::AuditEvent;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

fn event(rid: &str) -> AuditEvent {
    crate::test_support::event(rid.to_string(), 1_700_000_000_000, 1)
}

fn config(max_queue: usize) -> AuditConfig {
    AuditConfig {
        mode: DurabilityMode::Sync,
        // Small segments: rotations happen while the bound is being exercised.
        segment_max_bytes: 4096,
        max_queue,
        ..AuditConfig::default()
    }
}

type Results = Arc<Mutex<Vec<(String, Result<u64, String>)>>>;

/// Rounds of `per_round` appends fired from a tight loop while the writer is held, then a
/// flush. Deterministic: exactly the first `max_queue` of each round are accepted.
fn held_rounds(max_queue: usize, rounds: usize, per_round: usize) {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(max_queue), &v).unwrap();
    assert!(
        log.recovery_notes().is_empty(),
        "fresh log, no recovery entries"
    );
    let results: Results = Arc::default();
    for r in 0..rounds {
        log.hold_writer(true);
        for k in 0..per_round {
            let rid = format!("r{r}-k{k}");
            let out = results.clone();
            let id = rid.clone();
            log.append_with_capture(
                event(&rid),
                None,
                Box::new(move |res| out.lock().unwrap().push((id, res.map_err(|e| e.0)))),
            );
        }
        assert_eq!(log.pending(), max_queue.min(per_round), "round {r}");
        log.hold_writer(false);
        log.flush().unwrap();
        assert_eq!(log.pending(), 0, "round {r}: pending drains after flush");
    }
    let results = Arc::try_unwrap(results).unwrap().into_inner().unwrap();
    assert_eq!(results.len(), rounds * per_round, "every callback ran once");
    let rids: HashSet<&str> = results.iter().map(|(rid, _)| rid.as_str()).collect();
    assert_eq!(rids.len(), results.len(), "no callback ran twice");
    let expected_msg = format!(
        "audit queue full ({max_queue} pending appends): the call is refused rather than left unrecorded"
    );
    let mut oks = Vec::new();
    let mut errs = 0u64;
    for (rid, res) in &results {
        let k: usize = rid.split("-k").nth(1).unwrap().parse().unwrap();
        match res {
            Ok(index) => {
                assert!(k < max_queue, "{rid} accepted past the bound");
                oks.push((*index, rid.clone()));
            }
            Err(msg) => {
                assert!(k >= max_queue, "{rid} refused below the bound: {msg}");
                assert_eq!(msg, &expected_msg);
                errs += 1;
            }
        }
    }
    let accepted = rounds * max_queue.min(per_round);
    assert_eq!(oks.len(), accepted);
    assert_eq!(errs, (rounds * per_round - accepted) as u64);
    assert!(errs > 0, "some appends were refused");
    assert_eq!(log.rejected(), errs);
    assert_eq!(
        log.size(),
        oks.len() as u64,
        "only accepted appends are in the log"
    );
    let indices: HashSet<u64> = oks.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        indices,
        (0..oks.len() as u64).collect(),
        "indices dense, unique"
    );
    log.close().unwrap();
    drop(log);
    let report = crate::verify::verify(dir.path(), None).unwrap();
    assert_eq!(report.entries, oks.len() as u64);
    let reader = LogReader::open(dir.path(), Some(&v)).unwrap();
    for (index, rid) in &oks {
        assert_eq!(&reader.show(*index).unwrap().entry.event.request_id, rid);
    }
}

#[test]
fn max_queue_one_refuses_appends_while_one_is_pending() {
    held_rounds(1, 25, 160);
}

#[test]
fn max_queue_seven_accepts_exactly_seven_per_held_round() {
    held_rounds(7, 10, 300);
}

#[test]
fn flush_is_not_refused_when_the_queue_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(1), &v).unwrap();
    log.hold_writer(true);
    let (tx, rx) = std::sync::mpsc::channel();
    log.append_with_capture(
        event("only"),
        None,
        Box::new(move |r| tx.send(r.map_err(|e| e.0)).unwrap()),
    );
    assert_eq!(log.pending(), 1);
    // A full queue refuses appends but still takes the flush that drains it.
    let refused = log.append_blocking(event("refused")).unwrap_err();
    assert!(
        refused.0.starts_with("audit queue full (1 pending"),
        "{}",
        refused.0
    );
    let flusher = std::thread::scope(|s| {
        let h = s.spawn(|| log.flush());
        // The flush is queued behind the held writer; releasing it lets both complete.
        while log.queued_items() < 2 {
            std::thread::yield_now();
        }
        log.hold_writer(false);
        h.join().unwrap()
    });
    assert!(flusher.unwrap().is_some(), "flush returned a checkpoint");
    assert_eq!(rx.recv().unwrap(), Ok(0));
    assert_eq!((log.pending(), log.rejected(), log.size()), (0, 1, 1));
}

#[test]
fn internal_recovery_appends_bypass_the_bound_but_still_count_as_pending() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(1), &v).unwrap();
    log.hold_writer(true);
    let (tx, rx) = std::sync::mpsc::channel();
    for (rid, bounded) in [("caller", true), ("recovery", false), ("refused", true)] {
        let tx = tx.clone();
        log.enqueue(
            event(rid),
            None,
            Box::new(move |r| tx.send((rid, r.map_err(|e| e.0))).unwrap()),
            bounded,
        );
    }
    // The unbounded append went in past the bound; the next caller is refused.
    assert_eq!((log.pending(), log.rejected()), (2, 1));
    log.hold_writer(false);
    log.flush().unwrap();
    drop(tx);
    let mut got: Vec<_> = rx.iter().collect();
    got.sort();
    assert_eq!(got[0], ("caller", Ok(0)));
    assert_eq!(got[1], ("recovery", Ok(1)));
    assert!(got[2]
        .1
        .as_ref()
        .unwrap_err()
        .starts_with("audit queue full"));
    assert_eq!((log.pending(), log.size()), (0, 2));
}
