//! Criterion benches of issue 6's targets: appends/s in batch mode (≥ 100k/s), appends/s in
//! sync mode with 64 concurrent appenders each waiting for its fsync (the audit side of the
//! gateway's ≥ 10,000 req/s at concurrency 64: group commit), full verification of 1,000,000 entries (≤ 3 s; the log is generated once, here), and one
//! inclusion proof in a 1,000,000-entry tree (≤ 50 µs). Figures go to docs/bench-audit.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use palisade_audit::{verify, AuditConfig, AuditLog, DurabilityMode, LogReader};
use palisade_core::{AuditEvent, AuditOutcome, AuditSink, Effect};
use palisade_vault::Vault;
use std::path::Path;
use std::time::{Duration, Instant};

const MILLION: u64 = 1_000_000;
const BATCH: u64 = 10_000;

fn event(i: u64) -> AuditEvent {
    AuditEvent {
        time_ms: 1_700_000_000_000 + i,
        request_id: format!("01J0000000000000000{i:07}"),
        event_type: "request".into(),
        identity: Some("spiffe://palisade.example/vendor/cleaner".into()),
        segment: Some("vendor".into()),
        action: "invoke_model".into(),
        resource: Some("gpt-4o-mini".into()),
        upstream: Some("openai".into()),
        destination: Some("external".into()),
        decision: Effect::Allow,
        policy_ids: vec!["vendor-may-use-public-models".into()],
        findings: Vec::new(),
        anomaly_score: Some(3.2),
        bytes_in: 812,
        bytes_out: 2301,
        latency_us: 41_250,
        status: 200,
        outcome: AuditOutcome::Completed,
        request_sha256: Some("9f".repeat(32)),
        response_sha256: Some("4c".repeat(32)),
        detail: None,
    }
}

fn config() -> AuditConfig {
    AuditConfig {
        mode: DurabilityMode::Batch,
        batch_interval_ms: 50,
        checkpoint_every_entries: 100_000,
        checkpoint_every_ms: 5_000,
        segment_max_bytes: 64 * 1024 * 1024,
        capture_bodies: false,
        origin: "palisade.bench/audit".into(),
        max_queue: palisade_audit::config::DEFAULT_MAX_QUEUE,
        ..AuditConfig::default()
    }
}

fn open(dir: &Path) -> (Vault, AuditLog) {
    open_with(dir, &config())
}

fn open_with(dir: &Path, cfg: &AuditConfig) -> (Vault, AuditLog) {
    let vault = Vault::open_with_master_key(&dir.join("vault"), zeroize::Zeroizing::new([7u8; 32]))
        .unwrap();
    let log = AuditLog::open(dir, cfg, &vault).unwrap();
    (vault, log)
}

/// Concurrent appenders in the sync-mode bench (the gateway's concurrency 64).
const APPENDERS: u64 = 64;
/// Appends per appender per iteration.
const PER_APPENDER: u64 = 50;

/// Sync mode, closed loop: `APPENDERS` threads each append and wait until the entry is
/// fsynced before appending the next, like 64 gateway clients each waiting for its answer.
fn sync_appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = AuditConfig {
        mode: DurabilityMode::Sync,
        ..config()
    };
    let (_vault, log) = open_with(dir.path(), &cfg);
    let next = std::sync::atomic::AtomicU64::new(0);
    let mut g = c.benchmark_group("audit_append");
    g.sample_size(10);
    g.throughput(Throughput::Elements(APPENDERS * PER_APPENDER));
    g.bench_function(
        BenchmarkId::new("sync_mode_64_appenders", APPENDERS * PER_APPENDER),
        |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::thread::scope(|s| {
                        for _ in 0..APPENDERS {
                            s.spawn(|| {
                                for _ in 0..PER_APPENDER {
                                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                    log.append_blocking(event(i)).unwrap();
                                }
                            });
                        }
                    });
                }
                start.elapsed()
            })
        },
    );
    g.finish();
}

fn append_n(log: &AuditLog, start: u64, n: u64) {
    for i in start..start + n {
        log.append(event(i), Box::new(|r| assert!(r.is_ok())));
    }
    log.flush().unwrap();
}

fn appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (_vault, log) = open(dir.path());
    let mut next = 0;
    let mut g = c.benchmark_group("audit_append");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function(BenchmarkId::new("batch_mode", BATCH), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                append_n(&log, next, BATCH);
                next += BATCH;
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn million(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    {
        let (_vault, log) = open(dir.path());
        for k in 0..MILLION / BATCH {
            append_n(&log, k * BATCH, BATCH);
        }
        log.close().unwrap();
    }
    eprintln!("generated {MILLION} entries in {:?}", t.elapsed());
    let mut g = c.benchmark_group("audit_1m");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("verify_full", |b| {
        b.iter(|| {
            let r = verify(dir.path(), None).unwrap();
            assert_eq!(r.entries, MILLION);
        })
    });
    let reader = LogReader::open(dir.path(), None).unwrap();
    let mut i = 0u64;
    g.sample_size(100);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("inclusion_proof", |b| {
        b.iter(|| {
            i = (i + 7919) % MILLION;
            reader.inclusion_proof(i, MILLION).unwrap()
        })
    });
    g.bench_function("inclusion_proof_and_verify", |b| {
        b.iter(|| {
            i = (i + 7919) % MILLION;
            reader
                .inclusion_proof(i, MILLION)
                .unwrap()
                .verify()
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, appends, sync_appends, million);
criterion_main!(benches);
