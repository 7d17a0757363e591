//! The audit configuration the gateway reads (strict serde: unknown fields are errors, every
//! field has a default). Defined here; palisade-config may re-export it.

use serde::{Deserialize, Serialize};

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
        Ok(())
    }
}
