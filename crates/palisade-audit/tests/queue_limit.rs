//! The pending-append bound through the public API: `max_queue` config (default, validation,
//! strictness) and appends racing a real writer with `max_queue = 1` — every answer is either
//! in the log exactly once or a counted "audit queue full" refusal. (The deterministic
//! held-writer tests are unit tests in `src/queue_limit_tests.rs`.)

mod common;

use common::*;
use palisade_audit::config::DEFAULT_MAX_QUEUE;
use palisade_audit::{verify, AuditConfig, AuditLog, LogReader};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

#[test]
fn max_queue_defaults_to_65536_and_zero_is_refused() {
    assert_eq!(DEFAULT_MAX_QUEUE, 65_536);
    let c: AuditConfig = serde_json::from_str(r#"{"mode":"sync"}"#).unwrap();
    assert_eq!(c.max_queue, 65_536);
    c.validate().unwrap();
    let c: AuditConfig = serde_json::from_str(r#"{"max_queue":1}"#).unwrap();
    assert_eq!(c.max_queue, 1);
    c.validate().unwrap();
    let zero: AuditConfig = serde_json::from_str(r#"{"max_queue":0}"#).unwrap();
    let err = zero.validate().unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid audit config: max_queue must be at least 1 (0 would refuse every append)"
    );
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let open = AuditLog::open(dir.path(), &zero, &v)
        .unwrap_err()
        .to_string();
    assert!(open.contains("max_queue must be at least 1"), "{open}");
    // Strict fields: a misspelt bound is an error, not a silent default.
    let typo = serde_json::from_str::<AuditConfig>(r#"{"max_queu":1}"#).unwrap_err();
    assert!(
        typo.to_string().contains("unknown field `max_queu`"),
        "{typo}"
    );
    assert!(serde_json::from_str::<AuditConfig>(r#"{"max_queue":-1}"#).is_err());
}

/// Every answer: request id and index or refusal message.
type Results = Arc<Mutex<Vec<(String, Result<u64, String>)>>>;

#[test]
fn racing_appends_with_max_queue_one_are_recorded_once_or_refused_and_counted() {
    const THREADS: usize = 4;
    const EACH: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let cfg = AuditConfig {
        max_queue: 1,
        ..config()
    };
    let log = AuditLog::open(dir.path(), &cfg, &v).unwrap();
    let results: Results = Arc::default();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (log, results) = (&log, &results);
            s.spawn(move || {
                // A tight loop: callbacks only record, nobody waits for an answer.
                for k in 0..EACH {
                    let rid = format!("t{t}-k{k}");
                    let mut ev = event(k as u64);
                    ev.request_id = rid.clone();
                    let out = results.clone();
                    log.append_with_capture(
                        ev,
                        None,
                        Box::new(move |r| out.lock().unwrap().push((rid, r.map_err(|e| e.0)))),
                    );
                }
            });
        }
    });
    log.flush().unwrap();
    assert_eq!(log.pending(), 0, "nothing pending after flush");
    let results = std::mem::take(&mut *results.lock().unwrap());
    assert_eq!(results.len(), THREADS * EACH, "every append answered");
    let rids: HashSet<&str> = results.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(rids.len(), results.len(), "every append answered once");
    let mut oks = HashMap::new();
    let mut errs = 0u64;
    for (rid, r) in &results {
        match r {
            Ok(i) => assert!(oks.insert(*i, rid.clone()).is_none(), "index {i} twice"),
            Err(m) => {
                assert_eq!(
                    m,
                    "audit queue full (1 pending appends): the call is refused rather than left unrecorded"
                );
                errs += 1;
            }
        }
    }
    assert!(
        !oks.is_empty(),
        "the log kept accepting as the writer drained"
    );
    assert_eq!(log.rejected(), errs);
    assert_eq!(log.size(), oks.len() as u64);
    assert!(oks.keys().all(|i| (*i as usize) < oks.len()), "dense");
    log.close().unwrap();
    drop(log);
    assert_eq!(verify(dir.path(), None).unwrap().entries, oks.len() as u64);
    let reader = LogReader::open(dir.path(), Some(&v)).unwrap();
    for (i, rid) in &oks {
        assert_eq!(&reader.show(*i).unwrap().entry.event.request_id, rid);
    }
}
