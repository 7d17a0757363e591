//! Helpers shared by the crate's unit-test modules: a minimal request event and a vault with a
//! fixed master key in a temp dir.

use palisade_core::{AuditEvent, AuditOutcome, Effect};
use palisade_vault::Vault;
use std::path::Path;

/// An allowed, completed `invoke_model` event; `bytes_in` lets a test tell entries apart.
pub(crate) fn event(request_id: String, time_ms: u64, bytes_in: u64) -> AuditEvent {
    AuditEvent {
        time_ms,
        request_id,
        event_type: "request".into(),
        identity: Some("spiffe://palisade.test/agent/a".into()),
        segment: None,
        action: "invoke_model".into(),
        resource: None,
        upstream: None,
        destination: None,
        decision: Effect::Allow,
        policy_ids: Vec::new(),
        findings: Vec::new(),
        anomaly_score: None,
        bytes_in,
        bytes_out: 2,
        latency_us: 3,
        status: 200,
        outcome: AuditOutcome::Completed,
        detail: None,
        request_sha256: None,
        response_sha256: None,
    }
}

/// A vault in `dir/vault` under a fixed test master key.
pub(crate) fn vault(dir: &Path) -> Vault {
    Vault::open_with_master_key(&dir.join("vault"), zeroize::Zeroizing::new([5u8; 32])).unwrap()
}
