//! The audit configuration the gateway reads (strict serde: unknown fields are errors, every
//! field has a default). Defined here; palisade-config may re-export it.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// When an append counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DurabilityMode {
    /// The callback runs after the entry is fsynced (group commit shares one fsync).
    #[default]
    Sync,
    /// The callback runs once the entry is written; fsync every `batch_interval_ms`. A crash
    /// may lose at most the entries accepted in the last `batch_interval_ms` (plus the queue).
    Batch,
}

/// Audit log configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Durability mode.
    pub mode: DurabilityMode,
    /// Batch mode: fsync period in milliseconds (the loss window).
    pub batch_interval_ms: u64,
    /// Write a signed checkpoint after this many new entries.
    pub checkpoint_every_entries: u64,
    /// ... or after this many milliseconds with new entries.
    pub checkpoint_every_ms: u64,
    /// Start a new segment file once the current one reaches this size.
    pub segment_max_bytes: u64,
    /// Store an encrypted capture of request and response bodies.
    pub capture_bodies: bool,
    /// The checkpoint origin line (the log's unique name), e.g. `palisade.example/audit`.
    pub origin: String,
    /// Most appends that may be pending at once: accepted but not yet answered (queued for the
    /// writer, being written, or waiting for their fsync). This bounds the log's memory when
    /// the disk cannot keep up. When it is full, a new append is refused at once with an
    /// `AuditFailure` ("audit queue full ...") and counted in `AuditLog::rejected`; the
    /// gateway then denies the call rather than leave it unrecorded. Nothing is dropped
    /// silently and no caller waits. Must be at least 1.
    pub max_queue: usize,
    /// Witnesses (C2SP tlog-witness) every new checkpoint is submitted to (issue 14). Empty:
    /// checkpoints stay on this disk only, and `palisade audit verify` needs another source
    /// of outside trust.
    pub witnesses: Vec<WitnessEndpoint>,
    /// Cosignatures a checkpoint needs to count as published; unset means every witness.
    pub witness_quorum: Option<usize>,
    /// How long the newest checkpoint may stay without a quorum of cosignatures before the
    /// gateway reports not ready and (with `witness_lag_fail_closed`) refuses calls.
    #[serde(with = "humantime_serde")]
    pub max_witness_lag: Duration,
    /// Past `max_witness_lag`, refuse calls that need `sync` audit (503 in the caller's API
    /// format) rather than keep appending entries nobody outside has seen. Only `readyz`
    /// reports the lag when false.
    pub witness_lag_fail_closed: bool,
}

/// One witness the log submits its checkpoints to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessEndpoint {
    /// URL prefix; the log POSTs to `<url>/add-checkpoint`. `https://`, or `http://` to a
    /// loopback address (a cosignature cannot be forged in transit, but an attacker on the
    /// path could still hold checkpoints back).
    pub url: String,
    /// The witness's public key (C2SP cosignature/v1 vkey).
    pub key: String,
}

/// Default of [`AuditConfig::max_queue`]: pending appends before new ones are refused.
pub const DEFAULT_MAX_QUEUE: usize = 65_536;

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            mode: DurabilityMode::Sync,
            batch_interval_ms: 50,
            checkpoint_every_entries: 10_000,
            checkpoint_every_ms: 5_000,
            segment_max_bytes: 64 * 1024 * 1024,
            capture_bodies: false,
            origin: "palisade.local/audit".to_string(),
            max_queue: DEFAULT_MAX_QUEUE,
            witnesses: Vec::new(),
            witness_quorum: None,
            max_witness_lag: Duration::from_secs(60),
            witness_lag_fail_closed: true,
        }
    }
}

impl AuditConfig {
    /// Checks the values make sense.
    pub fn validate(&self) -> Result<(), crate::AuditError> {
        let bad = |m: &str| Err(crate::AuditError::Config(m.to_string()));
        if self.origin.is_empty()
            || self.origin.contains('+')
            || self.origin.chars().any(char::is_whitespace)
        {
            return bad("origin must be non-empty, without '+' or whitespace");
        }
        if self.segment_max_bytes < 4096 {
            return bad("segment_max_bytes must be at least 4096");
        }
        if self.checkpoint_every_entries == 0 || self.checkpoint_every_ms == 0 {
            return bad("checkpoint_every_entries and checkpoint_every_ms must be positive");
        }
        if self.mode == DurabilityMode::Batch && self.batch_interval_ms == 0 {
            return bad("batch_interval_ms must be positive in batch mode");
        }
        if self.max_queue == 0 {
            return bad("max_queue must be at least 1 (0 would refuse every append)");
        }
        self.validate_witnesses()
    }

    fn validate_witnesses(&self) -> Result<(), crate::AuditError> {
        let bad = |m: String| Err(crate::AuditError::Config(m));
        let mut names = std::collections::HashSet::new();
        for (i, w) in self.witnesses.iter().enumerate() {
            let key = crate::CosignatureVerifier::parse(&w.key)
                .map_err(|e| crate::AuditError::Config(format!("witnesses[{i}].key: {e}")))?;
            if !names.insert(key.name().to_string()) {
                return bad(format!(
                    "witnesses[{i}]: two witnesses named {:?}",
                    key.name()
                ));
            }
            if !witness_url_allowed(&w.url) {
                return bad(format!(
                    "witnesses[{i}].url {:?}: must be https://, or http:// to a loopback address",
                    w.url
                ));
            }
        }
        match (self.witness_quorum, self.witnesses.len()) {
            (Some(_), 0) => bad("witness_quorum without witnesses".into()),
            (Some(q), n) if q == 0 || q > n => bad(format!(
                "witness_quorum must be between 1 and the {n} witness(es) configured"
            )),
            _ => Ok(()),
        }
    }

    /// Cosignatures a checkpoint needs (0 when no witnesses are configured).
    pub fn quorum(&self) -> usize {
        self.witness_quorum.unwrap_or(self.witnesses.len())
    }
}

fn witness_url_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return url.len() > "https://".len();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
