//! The running log's memory does not grow with the log: after 100,000 appends (and after a
//! reopen) it holds only the Merkle frontier, one hash per set bit of the size, never more
//! than 64, and the roots it signs still equal the full tree's.

use crate::config::{AuditConfig, DurabilityMode};
use crate::frontier::MAX_HASHES;
use crate::log::AuditLog;
use crate::reader::LogReader;
use crate::Checkpoint;
use palisade_core::{AuditEvent, AuditSink};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn event(i: u64) -> AuditEvent {
    crate::test_support::event(format!("r{i}"), 1_700_000_000_000 + i, i)
}

fn config() -> AuditConfig {
    AuditConfig {
        mode: DurabilityMode::Batch,
        checkpoint_every_entries: 10_000,
        // 1 MiB segments: about 40 rotations over the run.
        segment_max_bytes: 1 << 20,
        origin: "palisade.test/memory".into(),
        ..AuditConfig::default()
    }
}

const N: u64 = 100_000;
const ROUND: u64 = 10_000;

#[test]
fn live_log_holds_at_most_64_hashes_after_100k_appends_and_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let vault = crate::test_support::vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &vault).unwrap();
    let ok = Arc::new(AtomicU64::new(0));
    let mut note = None;
    for round in 0..N / ROUND {
        for i in round * ROUND..(round + 1) * ROUND {
            let ok = ok.clone();
            log.append(
                event(i),
                Box::new(move |r| {
                    assert!(r.is_ok(), "{r:?}");
                    ok.fetch_add(1, Ordering::Relaxed);
                }),
            );
        }
        note = log.flush().unwrap();
        let size = log.size();
        assert_eq!(size, (round + 1) * ROUND);
        assert_eq!(log.held_hashes() as u32, size.count_ones(), "size {size}");
        assert!(log.held_hashes() <= MAX_HASHES);
    }
    assert_eq!(ok.load(Ordering::Relaxed), N);
    // 100,000 = 0b1_1000_0110_1010_0000: six subtrees, where the full tree held ~200,000.
    assert_eq!(log.held_hashes(), 6);
    // The checkpoint signed from the frontier carries the full tree's root.
    let verifier = crate::NoteVerifier::parse(&log.verifier_key()).unwrap();
    let cp = Checkpoint::verify_note(&note.unwrap(), &verifier).unwrap();
    assert_eq!(cp.size, N);
    let full = LogReader::open(dir.path(), None).unwrap();
    assert_eq!(Some(cp.root), full.tree().root(N));
    assert_eq!(log.root(N).unwrap(), cp.root);
    drop(full);
    log.close().unwrap();
    drop(log);

    // Reopen replays 100,000 index records through a frontier and checks the signed root.
    let log = AuditLog::open(dir.path(), &config(), &vault).unwrap();
    assert_eq!(log.size(), N);
    assert_eq!(log.held_hashes(), 6);
    assert_eq!(log.append_blocking(event(N)).unwrap(), N);
    assert_eq!(log.held_hashes() as u32, (N + 1).count_ones());
    log.close().unwrap();
    drop(log);
    let report = crate::verify(dir.path(), None).unwrap();
    assert_eq!(report.entries, N + 1);
    assert_eq!(report.latest_checkpoint_size, Some(N + 1));
}
