//! Sync mode under concurrency: groups are made durable by overlapping `fdatasync`s (syncer
//! pool) while the writer goes on writing, across segment rotations. Every acknowledged index
//! is unique, already counted by the log (its Merkle frontier) when acknowledged, holds the
//! acknowledged event, and the log verifies after close.

mod common;

use common::*;
use palisade_audit::{verify, AuditLog, LogReader};
use std::collections::HashMap;
use std::sync::Mutex;

#[test]
fn concurrent_sync_appends_across_rotations_are_ordered_and_complete() {
    const THREADS: u64 = 16;
    const EACH: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    // 4 KiB segments: many rotations while groups are in flight.
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    let acked = Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (log, acked) = (&log, &acked);
            s.spawn(move || {
                for k in 0..EACH {
                    let mut ev = event(t * EACH + k);
                    ev.request_id = format!("t{t}-k{k}");
                    let rid = ev.request_id.clone();
                    let index = log.append_blocking(ev).unwrap();
                    // The log (its frontier) already counts the entry when it is acknowledged.
                    assert!(log.size() > index, "index {index}, size {}", log.size());
                    assert!(acked.lock().unwrap().insert(index, rid).is_none());
                }
            });
        }
    });
    let acked = acked.into_inner().unwrap();
    let n = THREADS * EACH;
    assert_eq!(acked.len() as u64, n);
    assert!(acked.keys().all(|i| *i < n), "indices are dense");
    assert!(seg_files(dir.path()).len() > 3, "rotations happened");
    log.close().unwrap();
    drop(log);
    let report = verify(dir.path(), None).unwrap();
    assert_eq!(report.entries, n);
    let r = LogReader::open(dir.path(), Some(&v)).unwrap();
    for (index, rid) in &acked {
        assert_eq!(&r.show(*index).unwrap().entry.event.request_id, rid);
    }
}
