//! Behaviour's automatic responses made real: when the baselines answer `Quarantine`, the
//! identity's status flips in the registry (so authentication refuses its very next request),
//! and every step-down or quarantine is appended to the audit log with its reason.

use palisade_core::{
    AnomalyScore, AuditEvent, AuditOutcome, AuditSink, BehaviorAction, BehaviorScorer, Effect,
    Identity, IdentityStatus, Observation, SharedClock,
};
use palisade_identity::{Registry, StatusAction};
use std::sync::Arc;

/// The actor recorded in the identity's status history for automatic quarantines.
pub const BEHAVIOR_ACTOR: &str = "palisade-behavior";

/// Wraps the baselines with enforcement.
pub struct EnforcingBehavior {
    /// The scorer.
    pub inner: Arc<dyn BehaviorScorer>,
    /// The registry whose status a quarantine flips (absent in development mode).
    pub registry: Option<Arc<Registry>>,
    /// Where automatic actions are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time source.
    pub clock: SharedClock,
}

impl EnforcingBehavior {
    fn record(&self, identity: &Identity, score: &AnomalyScore, resource: &str) {
        let action = match score.action {
            BehaviorAction::StepDown => "behavior_step_down",
            BehaviorAction::Quarantine => "behavior_quarantine",
            _ => return,
        };
        let event = AuditEvent {
            time_ms: self.clock.now_millis(),
            request_id: String::new(),
            event_type: "behavior_action".into(),
            identity: Some(identity.id.to_string()),
            segment: Some(identity.segment.clone()),
            action: action.into(),
            resource: Some(resource.to_owned()),
            upstream: None,
            destination: None,
            decision: Effect::Deny,
            policy_ids: Vec::new(),
            findings: Vec::new(),
            anomaly_score: Some(score.score),
            bytes_in: 0,
            bytes_out: 0,
            latency_us: 0,
            status: 0,
            outcome: AuditOutcome::Denied,
            request_sha256: None,
            response_sha256: None,
            detail: Some(score.reason.clone()),
        };
        // The call itself is audited (and fails closed) by the gateway's audit stage; this
        // record explains the automatic action and must not block the request path.
        self.audit.append(
            event,
            Box::new(|r| {
                if let Err(e) = r {
                    tracing::error!(error = %e, "could not audit a behaviour action");
                }
            }),
        );
    }
}

impl BehaviorScorer for EnforcingBehavior {
    fn observe(&self, obs: &Observation<'_>) -> AnomalyScore {
        let score = self.inner.observe(obs);
        self.record(obs.identity, &score, obs.resource);
        if score.action == BehaviorAction::Quarantine
            && obs.identity.status == IdentityStatus::Active
        {
            if let Some(reg) = &self.registry {
                let reason = format!("automatic: {}", score.reason);
                if let Err(e) = reg.set_status(
                    &obs.identity.id,
                    StatusAction::Quarantine,
                    BEHAVIOR_ACTOR,
                    &reason,
                ) {
                    tracing::error!(identity = %obs.identity.id, error = %e, "could not quarantine");
                }
            }
        }
        score
    }

    fn outcome(&self, identity: &Identity, denied: bool, error: bool, time_ms: u64) {
        self.inner.outcome(identity, denied, error, time_ms);
    }
}
