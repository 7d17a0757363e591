//! Behaviour's automatic responses made real: when the baselines answer `Quarantine`, the
//! identity's status flips in the registry (so authentication refuses its very next request),
//! and every step-down or quarantine is appended to the audit log with its reason. The registry
//! holds the operator's word: a release recorded there after the behavioural quarantine (by the
//! CLI on the same data directory, which cannot reach this process's memory) lifts the verdict
//! here too, so the stale verdict does not quarantine the identity again on its next call.

use palisade_behavior::Baselines;
use palisade_core::{
    AnomalyScore, AuditEvent, AuditOutcome, AuditSink, BehaviorAction, BehaviorScorer, Effect,
    Identity, IdentityStatus, Observation, SharedClock,
};
use palisade_identity::{Registry, StatusAction, StatusChange};
use std::sync::Arc;

/// The actor recorded in the identity's status history for automatic quarantines.
pub const BEHAVIOR_ACTOR: &str = "palisade-behavior";

/// Wraps the baselines with enforcement.
pub struct EnforcingBehavior {
    /// The scorer.
    pub inner: Arc<Baselines>,
    /// The registry whose status a quarantine flips (absent in development mode).
    pub registry: Option<Arc<Registry>>,
    /// Where automatic actions are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time source.
    pub clock: SharedClock,
}

/// Whether the history records a change back to active at or after `since_ms`.
fn released_since(history: &[StatusChange], since_ms: u64) -> bool {
    history
        .iter()
        .any(|h| h.status == IdentityStatus::Active && h.at_ms >= since_ms)
}

impl EnforcingBehavior {
    /// Authentication let an active identity through while the baselines still hold its
    /// quarantine. Either an operator released it in the registry (lift the verdict), or the
    /// flip of its status failed when it was quarantined (keep the verdict: scoring flips again).
    fn lift_if_released(&self, identity: &Identity) {
        if identity.status != IdentityStatus::Active {
            return;
        }
        let (Some(reg), Some(since)) = (&self.registry, self.inner.quarantined_since(&identity.id))
        else {
            return;
        };
        match reg.show(&identity.id) {
            Ok(rec) if released_since(&rec.history, since) => {
                match self.inner.release_detail(&identity.id) {
                    Ok((_, cleared)) => {
                        tracing::info!(identity = %identity.id, "behavioural quarantine lifted: released in the registry");
                        self.record_release(identity, cleared);
                    }
                    Err(e) => {
                        tracing::error!(identity = %identity.id, error = %e, "could not lift behavioural quarantine")
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(identity = %identity.id, error = %e, "could not read the registry history")
            }
        }
    }

    /// Records a release and the windows it cleared (the evidence that led to the quarantine
    /// is spent, so it cannot quarantine the identity again).
    fn record_release(&self, identity: &Identity, cleared: String) {
        let score = AnomalyScore {
            score: 0.0,
            top_features: Vec::new(),
            action: BehaviorAction::Record,
            stepped_down: false,
            reason: format!("released by an operator; {cleared}"),
        };
        self.append_action(identity, "behavior_release", &score, "", Effect::Allow);
    }

    fn record(&self, identity: &Identity, score: &AnomalyScore, resource: &str) {
        let action = match score.action {
            BehaviorAction::StepDown => "behavior_step_down",
            BehaviorAction::Quarantine => "behavior_quarantine",
            _ => return,
        };
        self.append_action(identity, action, score, resource, Effect::Deny);
    }

    fn append_action(
        &self,
        identity: &Identity,
        action: &str,
        score: &AnomalyScore,
        resource: &str,
        decision: Effect,
    ) {
        let event = AuditEvent {
            time_ms: self.clock.now_millis(),
            request_id: String::new(),
            event_type: "behavior_action".into(),
            identity: Some(identity.id.to_string()),
            segment: Some(identity.segment.clone()),
            action: action.into(),
            resource: (!resource.is_empty()).then(|| resource.to_owned()),
            upstream: None,
            destination: None,
            decision,
            policy_ids: Vec::new(),
            findings: Vec::new(),
            anomaly_score: Some(score.score),
            bytes_in: 0,
            bytes_out: 0,
            latency_us: 0,
            status: 0,
            outcome: if decision == Effect::Allow {
                AuditOutcome::Completed
            } else {
                AuditOutcome::Denied
            },
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
        self.lift_if_released(obs.identity);
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

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_behavior::state::{encode, IdentityState, Quarantine};
    use palisade_behavior::{persist, BehaviorConfig};
    use palisade_core::{DestinationClass, IdentityKind, ManualClock, SpiffeId};
    use palisade_gateway::dev::MemoryAuditSink;
    use palisade_identity::NewIdentity;
    use palisade_store::Store;

    const ID: &str = "spiffe://palisade.local/research/agent-a";
    const T0: u64 = 1_700_000_000_000;

    /// A registry with the identity quarantined by behaviour at `T0`, and baselines that hold
    /// that quarantine (as the gateway's memory would).
    fn setup(dir: &std::path::Path, clock: Arc<ManualClock>) -> (EnforcingBehavior, Arc<Registry>) {
        let store = Arc::new(Store::open(dir).unwrap());
        let registry =
            Arc::new(Registry::open(store.clone(), "palisade.local", clock.clone()).unwrap());
        let id: SpiffeId = ID.parse().unwrap();
        let new = NewIdentity {
            id: id.clone(),
            kind: IdentityKind::Agent,
            owner: "team".into(),
            scopes: vec![],
            max_ttl_secs: 3600,
            requirements: vec!["join_token".into()],
            legacy_bearer: false,
        };
        registry.create(new, "admin").unwrap();
        clock.set_millis(T0);
        registry
            .set_status(
                &id,
                StatusAction::Quarantine,
                BEHAVIOR_ACTOR,
                "automatic: bulk reads",
            )
            .unwrap();
        persist::migrate(&store).unwrap();
        let mut state = IdentityState::new(IdentityKind::Agent, T0 - 1);
        state.quarantine = Some(Quarantine {
            since_ms: T0,
            reason: "bulk reads".into(),
        });
        persist::write(&store, &[(ID.into(), encode(ID, &state).unwrap())], &[], T0).unwrap();
        let baselines =
            Arc::new(Baselines::open(store, BehaviorConfig::default(), clock.clone()).unwrap());
        assert!(baselines.quarantined_since(&id).is_some());
        let enforcing = EnforcingBehavior {
            inner: baselines,
            registry: Some(registry.clone()),
            audit: Arc::new(MemoryAuditSink::default()),
            clock,
        };
        (enforcing, registry)
    }

    fn call(b: &EnforcingBehavior, registry: &Registry, time_ms: u64) -> AnomalyScore {
        let id: SpiffeId = ID.parse().unwrap();
        let identity = registry
            .show(&id)
            .unwrap()
            .to_identity(vec!["join_token".into()], 1);
        b.observe(&Observation {
            identity: &identity,
            action: "invoke_model",
            resource: "research-llm",
            upstream: "vllm",
            destination: DestinationClass::Internal,
            bytes_out: 100,
            findings: &[],
            time_ms,
            client: Default::default(),
            refused: None,
        })
    }

    #[test]
    fn a_release_recorded_in_the_registry_lifts_the_stale_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0 - 60_000));
        let (b, registry) = setup(dir.path(), clock.clone());
        let id: SpiffeId = ID.parse().unwrap();
        // The operator's `palisade identity release` from another process, a minute later.
        clock.set_millis(T0 + 60_000);
        registry
            .set_status(&id, StatusAction::Release, "operator", "reviewed")
            .unwrap();
        let score = call(&b, &registry, T0 + 61_000);
        assert_ne!(score.action, BehaviorAction::Quarantine, "{score:?}");
        assert!(b.inner.quarantined_since(&id).is_none());
        assert_eq!(registry.show(&id).unwrap().status, IdentityStatus::Active);
    }

    #[test]
    fn a_failed_status_flip_is_not_mistaken_for_a_release() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0 - 60_000));
        let (b, registry) = setup(dir.path(), clock.clone());
        let id: SpiffeId = ID.parse().unwrap();
        // A release BEFORE the behavioural quarantine (its flip then failed, so the registry
        // still says active): the verdict stands and scoring quarantines again.
        clock.set_millis(T0 - 30_000);
        registry
            .set_status(&id, StatusAction::Release, "operator", "earlier case")
            .unwrap();
        let baselines_since = b.inner.quarantined_since(&id);
        assert_eq!(baselines_since, Some(T0));
        let score = call(&b, &registry, T0 + 1_000);
        assert_eq!(score.action, BehaviorAction::Quarantine, "{score:?}");
        assert_eq!(b.inner.quarantined_since(&id), Some(T0));
        assert_eq!(
            registry.show(&id).unwrap().status,
            IdentityStatus::Quarantined
        );
    }
}
