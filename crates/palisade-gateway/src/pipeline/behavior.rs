//! Stage 6 — behaviour. After inspection (findings are features of the call) and before
//! authorization (the anomaly score and step-down are policy inputs). The gateway only feeds
//! the scorer and passes the score on; what a score means is the scorer's and policy's business.

use super::normalize::Normalized;
use palisade_core::{
    AnomalyScore, BehaviorScorer, ClientFacts, Clock, Finding, Identity, Observation, RefusedBy,
};

/// Scores the call; `None` when behaviour is not configured. A call an earlier stage refused
/// (`refused`) is observed too: blocked attempts are evidence.
pub(crate) fn run(
    scorer: Option<&dyn BehaviorScorer>,
    clock: &dyn Clock,
    identity: &Identity,
    action: &str,
    call: &Normalized,
    findings: &[Finding],
    client: ClientFacts<'_>,
    refused: Option<RefusedBy>,
) -> Option<AnomalyScore> {
    let scorer = scorer?;
    Some(scorer.observe(&Observation {
        identity,
        action,
        resource: &call.route.name,
        upstream: &call.upstream.name,
        destination: call.upstream.destination,
        bytes_out: call.bytes_in,
        findings,
        time_ms: clock.now_millis(),
        client,
        refused,
    }))
}
