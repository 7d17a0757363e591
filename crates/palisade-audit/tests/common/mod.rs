//! Shared helpers for the audit log tests: events, a vault-backed log in a temp dir, and a
//! fast test configuration.
#![allow(dead_code)]

use palisade_audit::{AuditConfig, AuditLog, DurabilityMode};
use palisade_core::{AuditEvent, AuditOutcome, Effect};
use palisade_vault::Vault;
use std::path::Path;
use zeroize::Zeroizing;

pub const DETAIL_SECRET: &str = "operator note: rotated key for alice@example.com";

pub fn event(i: u64) -> AuditEvent {
    let denied = i.is_multiple_of(3);
    AuditEvent {
        time_ms: 1_700_000_000_000 + i,
        request_id: format!("req-{i}"),
        event_type: "request".into(),
        identity: Some("spiffe://palisade.test/agent/a".into()),
        segment: Some("research".into()),
        action: "invoke_model".into(),
        resource: Some("gpt-test".into()),
        upstream: Some("openai".into()),
        destination: Some("external".into()),
        decision: if denied { Effect::Deny } else { Effect::Allow },
        policy_ids: vec!["p1".into()],
        findings: Vec::new(),
        anomaly_score: Some(1.5),
        bytes_in: 100 + i,
        bytes_out: 200,
        latency_us: 1234,
        status: if denied { 403 } else { 200 },
        outcome: if denied {
            AuditOutcome::Denied
        } else {
            AuditOutcome::Completed
        },
        request_sha256: Some("ab".repeat(32)),
        response_sha256: None,
        detail: if i.is_multiple_of(5) {
            Some(format!("{DETAIL_SECRET} #{i}"))
        } else {
            None
        },
    }
}

pub fn config() -> AuditConfig {
    AuditConfig {
        mode: DurabilityMode::Sync,
        batch_interval_ms: 5,
        checkpoint_every_entries: 10,
        checkpoint_every_ms: 60_000,
        segment_max_bytes: 4096,
        capture_bodies: true,
        origin: "palisade.test/audit".into(),
        max_queue: palisade_audit::config::DEFAULT_MAX_QUEUE,
        ..AuditConfig::default()
    }
}

pub fn vault(dir: &Path) -> Vault {
    Vault::open_with_master_key(&dir.join("vault"), Zeroizing::new([9u8; 32])).unwrap()
}

/// A log with `n` entries appended, flushed and closed.
pub fn write_log(dir: &Path, n: u64) {
    let v = vault(dir);
    let log = AuditLog::open(dir, &config(), &v).unwrap();
    for i in 0..n {
        assert_eq!(log.append_blocking(event(i)).unwrap(), i);
    }
    log.close().unwrap();
}

pub fn seg_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("audit"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "log")
                && p.file_name().unwrap().to_str().unwrap().starts_with("seg-")
        })
        .collect();
    v.sort();
    v
}
