//! Stage 7 — authorize. Last decision before anything leaves: it sees the principal, the routed
//! resource, the data classes found and the anomaly score. Its output is `Permitted<T>`, whose
//! constructor is private to this module: the upstream client accepts nothing else, so no code
//! path can forward a call that policy did not allow.

use super::normalize::Normalized;
use crate::error::ApiError;
use http::StatusCode;
use palisade_core::{
    AnomalyScore, Authorizer, AuthzContext, Clock, Decision, Identity, Inspection, ResourceRef,
};

/// Proof that authorization allowed this value to be forwarded.
#[derive(Debug)]
pub(crate) struct Permitted<T> {
    inner: T,
    decision: Decision,
}

impl<T> Permitted<T> {
    /// Transforms the permitted value (e.g. into the upstream request) keeping the proof.
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Permitted<U> {
        Permitted {
            inner: f(self.inner),
            decision: self.decision,
        }
    }
    /// The permitted value.
    pub(crate) fn get(&self) -> &T {
        &self.inner
    }
    /// The allowing decision.
    pub(crate) fn decision(&self) -> &Decision {
        &self.decision
    }
    /// Consumes the proof (only the upstream client does this, to send).
    pub(crate) fn into_inner(self) -> T {
        self.inner
    }
}

/// Asks the authorizer; returns the call wrapped in `Permitted` or a 403 naming the policies.
pub(crate) fn run(
    authorizer: &dyn Authorizer,
    clock: &dyn Clock,
    identity: &Identity,
    action: &str,
    call: Normalized,
    inspection: &Inspection,
    score: Option<&AnomalyScore>,
) -> Result<Permitted<Normalized>, Box<(ApiError, Decision)>> {
    let resource = ResourceRef {
        name: call.route.name.clone(),
        upstream: call.upstream.name.clone(),
        segment: call.upstream.segment.clone(),
        destination: call.upstream.destination,
    };
    let context = AuthzContext {
        data_classes: inspection.data_classes(),
        anomaly_score: score.map(|s| s.score).unwrap_or(0.0),
        stepped_down: score.is_some_and(|s| s.stepped_down),
        token_age_secs: identity.token_age_secs,
        request_bytes: call.bytes_in,
        streaming: call.exchange.stream,
        hour_of_day: ((clock.now_secs() / 3600) % 24) as u8,
    };
    let decision = authorizer.authorize(identity, action, &resource, &context);
    if decision.is_allowed() && decision.errors.is_empty() {
        Ok(Permitted {
            inner: call,
            decision,
        })
    } else {
        let mut e = ApiError::new(
            StatusCode::FORBIDDEN,
            "policy_denied",
            format!("policy denies `{action}` on `{}`", resource.name),
        );
        e.policy_ids = decision.policy_ids.clone();
        Err(Box::new((e, decision)))
    }
}
