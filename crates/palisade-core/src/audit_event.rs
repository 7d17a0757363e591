//! The audit record: one event per decision, as the audit stage appends it to the Merkle log.
//! It carries hashes and finding metadata, never bodies or matched values in the clear.

use crate::decision::Effect;
use crate::finding::Finding;
use serde::{Deserialize, Serialize};

/// How the call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Forwarded and answered.
    Completed,
    /// Refused by authentication.
    Unauthenticated,
    /// Refused by policy or inspection.
    Denied,
    /// Failed upstream or inside the gateway.
    Error,
}

/// One decision of the gateway (request, enrollment, admin action, reload, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Milliseconds since the epoch.
    pub time_ms: u64,
    /// The request id (also returned to the caller in `x-request-id`).
    pub request_id: String,
    /// What kind of event: `request`, `enroll`, `identity_change`, `policy_reload`, `vault`, `admin`, `behavior_action`.
    pub event_type: String,
    /// SPIFFE id of the caller, if authenticated.
    pub identity: Option<String>,
    /// Segment of the caller, if authenticated.
    pub segment: Option<String>,
    /// Action name (`invoke_model`, `embed`, ...).
    pub action: String,
    /// Model or tool asked for.
    pub resource: Option<String>,
    /// Upstream name it was routed to.
    pub upstream: Option<String>,
    /// Destination class of that upstream.
    pub destination: Option<String>,
    /// Allow or deny.
    pub decision: Effect,
    /// Ids of the deciding policies.
    pub policy_ids: Vec<String>,
    /// Findings (metadata and keyed hashes only).
    pub findings: Vec<Finding>,
    /// Anomaly score 0–100, if behaviour ran.
    pub anomaly_score: Option<f64>,
    /// Request body bytes.
    pub bytes_in: u64,
    /// Response body bytes.
    pub bytes_out: u64,
    /// Latency in microseconds.
    pub latency_us: u64,
    /// HTTP status returned.
    pub status: u16,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Hex SHA-256 of the request body.
    pub request_sha256: Option<String>,
    /// Hex SHA-256 of the response body.
    pub response_sha256: Option<String>,
    /// Free-form detail for non-request events (reason strings); sealed at rest by the audit log.
    pub detail: Option<String>,
}
