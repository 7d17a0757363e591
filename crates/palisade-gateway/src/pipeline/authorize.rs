//! Stage 7 — authorize. Last decision before anything leaves: it sees the principal, the routed
//! resource, the data classes found and the anomaly score. Its output is `Permitted<T>`, whose
//! constructor is private to this module: the upstream client accepts nothing else, so no code
//! path can forward a call that policy did not allow.

use super::normalize::Normalized;
use crate::error::ApiError;
use http::StatusCode;
use palisade_config::{ModelRoute, UpstreamConfig};
use palisade_core::{
    AnomalyScore, Authorizer, AuthzContext, Clock, DataClass, Decision, Identity, Inspection,
    ResourceRef,
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

/// The resource policy sees for a model route: the model name, its upstream, and the
/// upstream's segment and destination class. Shared by calls and by the model listing, so a
/// model is listed under exactly the facts a call to it is decided on.
pub(crate) fn resource_of(route: &ModelRoute, upstream: &UpstreamConfig) -> ResourceRef {
    ResourceRef {
        name: route.name.clone(),
        upstream: upstream.name.clone(),
        segment: upstream.segment.clone(),
        destination: upstream.destination,
    }
}

/// What a request carries into the authorization context besides the identity and the clock.
#[derive(Debug, Default)]
pub(crate) struct RequestFacts<'a> {
    /// Distinct data classes request inspection found.
    pub data_classes: Vec<DataClass>,
    /// Behaviour's score of this call; `None` (behaviour off, or no content) scores 0.
    pub score: Option<&'a AnomalyScore>,
    /// Request body bytes.
    pub request_bytes: u64,
    /// Whether a streamed response was asked for.
    pub streaming: bool,
}

/// The authorization context of one request.
pub(crate) fn context(
    clock: &dyn Clock,
    identity: &Identity,
    facts: RequestFacts<'_>,
) -> AuthzContext {
    AuthzContext {
        data_classes: facts.data_classes,
        anomaly_score: facts.score.map(|s| s.score).unwrap_or(0.0),
        stepped_down: facts.score.is_some_and(|s| s.stepped_down),
        token_age_secs: identity.token_age_secs,
        request_bytes: facts.request_bytes,
        streaming: facts.streaming,
        hour_of_day: ((clock.now_secs() / 3600) % 24) as u8,
    }
}

/// Whether a decision permits: an allow that carries an evaluation error does not (a policy
/// that could not be evaluated might have been the forbid).
pub(crate) fn permits(decision: &Decision) -> bool {
    decision.is_allowed() && decision.errors.is_empty()
}

/// Asks the authorizer about `action` on `resource` for `value` (an MCP exchange); returns it
/// wrapped in `Permitted`, or the refusing decision.
pub(crate) fn permit<T>(
    authorizer: &dyn Authorizer,
    clock: &dyn Clock,
    identity: &Identity,
    action: &str,
    resource: &ResourceRef,
    facts: RequestFacts<'_>,
    value: T,
) -> Result<Permitted<T>, Decision> {
    let context = context(clock, identity, facts);
    let decision = authorizer.authorize(identity, action, resource, &context);
    if permits(&decision) {
        Ok(Permitted {
            inner: value,
            decision,
        })
    } else {
        Err(decision)
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
    let resource = resource_of(&call.route, &call.upstream);
    let facts = RequestFacts {
        data_classes: inspection.data_classes(),
        score,
        request_bytes: call.bytes_in,
        streaming: call.exchange.stream,
    };
    let context = context(clock, identity, facts);
    let decision = authorizer.authorize(identity, action, &resource, &context);
    if permits(&decision) {
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
