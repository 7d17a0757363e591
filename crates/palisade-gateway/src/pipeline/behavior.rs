//! Stage 6 — behaviour. After inspection (findings are features of the call) and before
//! authorization (the anomaly score and step-down are policy inputs). The gateway only feeds
//! the scorer and passes the score on; what a score means is the scorer's and policy's business.

use super::normalize::Normalized;
use super::ConnInfo;
use palisade_core::{
    AnomalyScore, BehaviorScorer, ClientFacts, Clock, Finding, Identity, Observation, RefusedBy,
};

/// Scores the call; `None` when behaviour is not configured. A call an earlier stage refused
/// (`refused`) is observed too: blocked attempts are evidence.
#[allow(clippy::too_many_arguments)] // one per fact of the observation
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

/// What the connection tells about who holds the credential: the peer address, the client's
/// `User-Agent` and its certificate thumbprint (a second holder of a token differs in these).
pub(crate) fn client_facts<'a>(
    conn: &ConnInfo,
    headers: &'a http::HeaderMap,
    tls_fingerprint: Option<&'a str>,
) -> ClientFacts<'a> {
    ClientFacts {
        source: Some(conn.peer),
        user_agent: headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
        tls_fingerprint,
        // Not tracked per identity by the listener yet: 0 = unknown.
        concurrent_connections: 0,
    }
}
