//! Counters the gateway exports: decisions, evaluation errors, shadow disagreements, reloads
//! (ok/failed) and the serving generation. Lock-free atomics on the hot path.

use crate::evaluate::Evaluation;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Live counters (owned by the engine).
#[derive(Debug, Default)]
pub struct PolicyMetrics {
    allowed: AtomicU64,
    denied: AtomicU64,
    errors: AtomicU64,
    shadow_disagreements: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    generation: AtomicU64,
    last_reload_error: Mutex<Option<String>>,
}

/// A point-in-time copy of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PolicyMetricsSnapshot {
    /// Calls allowed.
    pub decisions_allowed: u64,
    /// Calls denied (any reason).
    pub decisions_denied: u64,
    /// Denials caused by evaluation or request-building errors.
    pub evaluation_errors: u64,
    /// Calls where at least one shadow file would have decided differently.
    pub shadow_disagreements: u64,
    /// Successful reloads.
    pub reloads_ok: u64,
    /// Refused reloads (invalid set or failing cases).
    pub reloads_failed: u64,
    /// Serving generation.
    pub generation: u64,
    /// Message of the last refused reload, if any.
    pub last_reload_error: Option<String>,
}

impl PolicyMetrics {
    pub(crate) fn record(&self, e: &Evaluation) {
        let c = if e.decision.is_allowed() {
            &self.allowed
        } else {
            &self.denied
        };
        c.fetch_add(1, Ordering::Relaxed);
        if !e.decision.errors.is_empty() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if e.shadow.iter().any(|s| s.differs) {
            self.shadow_disagreements.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn reload_ok(&self) {
        self.reloads_ok.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reload_failed(&self, message: String) {
        self.reloads_failed.fetch_add(1, Ordering::Relaxed);
        let mut slot = self
            .last_reload_error
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *slot = Some(message);
    }

    pub(crate) fn set_generation(&self, g: u64) {
        self.generation.store(g, Ordering::Relaxed);
    }

    /// Copies the counters.
    pub fn snapshot(&self) -> PolicyMetricsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        PolicyMetricsSnapshot {
            decisions_allowed: get(&self.allowed),
            decisions_denied: get(&self.denied),
            evaluation_errors: get(&self.errors),
            shadow_disagreements: get(&self.shadow_disagreements),
            reloads_ok: get(&self.reloads_ok),
            reloads_failed: get(&self.reloads_failed),
            generation: get(&self.generation),
            last_reload_error: self
                .last_reload_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}
