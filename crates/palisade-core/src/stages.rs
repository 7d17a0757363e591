//! The seams of the request path (DESIGN.md §2). Each domain crate implements one of these
//! traits; the gateway calls them in order and knows nothing of their insides. Keeping the
//! traits here (not in the gateway) lets the domain crates stay free of HTTP and of each other.
//!
//! Every method is synchronous and cheap on the hot path; work that must block (fsync, webhooks)
//! is handed to the implementation's own threads and reported back through a callback.

use crate::data_class::{DataClass, DestinationClass};
use crate::decision::Decision;
use crate::exchange::Exchange;
use crate::finding::Finding;
use crate::identity::Identity;
use crate::AuditEvent;

// ---------------------------------------------------------------- stage 3: authenticate

/// What the gateway hands the authenticator from one HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct RequestCredentials<'a> {
    /// HTTP method (`POST`), for DPoP `htm`.
    pub method: &'a str,
    /// The request URL as the client addressed it, without query or fragment, for DPoP `htu`.
    pub url: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `DPoP` header, if any.
    pub dpop: Option<&'a str>,
    /// SHA-256 of the DER client certificate presented in the TLS handshake (RFC 8705), if any.
    pub client_cert_sha256: Option<[u8; 32]>,
    /// Anthropic-style `x-api-key` header, if any (refused: static keys are not credentials here).
    pub api_key: Option<&'a str>,
}

/// Why authentication refused a request. Messages are precise but never echo the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AuthFailure {
    /// 401 (no/invalid credential) or 403 (valid credential of a disabled identity).
    pub status: u16,
    /// Stable machine-readable code, e.g. `token_expired`, `dpop_replay`, `identity_quarantined`.
    pub code: String,
    /// Human-readable reason.
    pub message: String,
    /// A fresh DPoP server nonce to return in the `DPoP-Nonce` header, when one is required.
    pub dpop_nonce: Option<String>,
}

/// Stage 3: turns request credentials into an authenticated identity.
pub trait Authenticator: Send + Sync {
    /// Verifies the credential, its sender binding and the identity's current status.
    fn authenticate(&self, creds: &RequestCredentials<'_>) -> Result<Identity, AuthFailure>;

    /// A current DPoP server nonce (RFC 9449 §8) to send on responses, if this authenticator
    /// issues them.
    fn dpop_nonce(&self) -> Option<String> {
        None
    }
}

// ---------------------------------------------------------------- stages 5 and 9: inspect

/// What to do with content of a data class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentAction {
    /// Let it pass; the finding is still recorded and given to policy.
    Record,
    /// Replace the matched bytes with a typed placeholder before forwarding.
    Redact,
    /// Refuse the call (or cut the stream).
    Block,
}

/// One replacement to apply to a text leaf before forwarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// JSON Pointer of the leaf.
    pub path: String,
    /// Byte range within the original leaf text.
    pub start: usize,
    /// End of the range (exclusive).
    pub end: usize,
    /// The placeholder, e.g. `[REDACTED:aws-access-key]`.
    pub placeholder: String,
}

/// The result of inspecting a request (or a whole non-streamed response).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inspection {
    /// Every finding, metadata only.
    pub findings: Vec<Finding>,
    /// Redactions to apply (for findings whose class is configured `redact`).
    pub redactions: Vec<Redaction>,
    /// Whether any finding's class is configured `block`.
    pub block: bool,
    /// What the request shares with each protected document, even below the per-request
    /// match threshold: a document sent in small chunks is only seen by accumulating these.
    pub doc_exposure: Vec<DocExposure>,
}

/// The part of one protected document a request's text contains, as positions (never text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocExposure {
    /// The document's id (`doc_…`).
    pub doc: String,
    /// Positions (content-word indices) of the document covered by shared shingles, sorted.
    pub covered: Vec<u32>,
    /// Content words of the document: the denominator of the exposed share.
    pub total: u32,
}

impl Inspection {
    /// The distinct data classes found, sorted: the policy context input.
    pub fn data_classes(&self) -> Vec<DataClass> {
        let mut v: Vec<DataClass> = self.findings.iter().map(|f| f.data_class).collect();
        v.sort();
        v.dedup();
        v
    }
}

/// What a streaming scanner releases after each pushed chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamRelease {
    /// Text that is safe to send on now (redactions applied). The scanner holds back a
    /// window at the tail so a secret split across chunks is still caught.
    pub text: String,
    /// Findings completed by this chunk.
    pub findings: Vec<Finding>,
    /// The stream must be cut: a blocked class was seen.
    pub cut: bool,
}

/// Scans one streamed text (one choice/content block) incrementally.
pub trait StreamScanner: Send {
    /// Adds the next delta; returns what may be released now.
    fn push(&mut self, delta: &str) -> StreamRelease;
    /// End of stream: releases the held-back tail after a final scan.
    fn finish(&mut self) -> StreamRelease;
}

/// Stages 5 and 9: the inspection engine.
pub trait Inspector: Send + Sync {
    /// Inspects every leaf of a request or complete response.
    fn inspect(&self, exchange: &Exchange) -> Inspection;
    /// A fresh scanner for one streamed response text; `path` labels its findings.
    fn stream_scanner(&self, path: &str) -> Box<dyn StreamScanner>;
}

// ---------------------------------------------------------------- stage 6: behaviour

/// One call as behaviour analysis sees it.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    /// The caller.
    pub identity: &'a Identity,
    /// Action name (`invoke_model`, `embed`, `call_tool`, ...).
    pub action: &'a str,
    /// Model or tool name.
    pub resource: &'a str,
    /// Upstream name (the destination).
    pub upstream: &'a str,
    /// Destination class of the upstream.
    pub destination: DestinationClass,
    /// Request body bytes (data flowing out to the upstream).
    pub bytes_out: u64,
    /// Findings of request inspection.
    pub findings: &'a [Finding],
    /// Event time, from the injectable clock.
    pub time_ms: u64,
    /// Who is holding the credential, as far as the connection tells.
    pub client: ClientFacts<'a>,
    /// Set when an earlier stage already refused the call: a refused attempt is evidence too.
    pub refused: Option<RefusedBy>,
}

/// The connection a call came over: a second holder of a token shows up here (another source,
/// another client, overlapping connections). Values are compared as hashes by the scorer and
/// never stored in the clear.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientFacts<'a> {
    /// The peer's address.
    pub source: Option<std::net::IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// A fingerprint of the TLS client hello or client certificate, if the listener has one.
    pub tls_fingerprint: Option<&'a str>,
    /// Connections of this identity open at the time of the call (including this one).
    pub concurrent_connections: u32,
}

/// The stage that refused a call before it could leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusedBy {
    /// Request inspection blocked its content.
    Inspection,
    /// Policy denied it.
    Policy,
    /// A quota or rate limit refused it.
    Quota,
}

/// What behaviour analysis wants done about a call.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum BehaviorAction {
    /// Nothing beyond recording the score.
    Record,
    /// Send an alert (asynchronously).
    Alert,
    /// Narrow the identity (e.g. deny external destinations) for a period.
    StepDown,
    /// Deny everything until a person releases the identity.
    Quarantine,
}

/// The score of one call with its explanation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnomalyScore {
    /// 0 (usual) to 100 (never seen anything like it).
    pub score: f64,
    /// Features that contributed most, with their contribution, largest first.
    pub top_features: Vec<(String, f64)>,
    /// The configured response for this score.
    pub action: BehaviorAction,
    /// Whether an earlier step-down is in force and forbids this call's destination.
    pub stepped_down: bool,
    /// A sentence a human can read.
    pub reason: String,
}

/// Stage 6: behavioural baselines.
pub trait BehaviorScorer: Send + Sync {
    /// Scores the call against the identity's baseline and learns from it.
    fn observe(&self, obs: &Observation<'_>) -> AnomalyScore;
    /// Feeds back how the call ended (denials and errors are features too).
    fn outcome(&self, identity: &Identity, denied: bool, error: bool, time_ms: u64);
    /// Checks a call about to leave for `destination` against the cumulative exposure of each
    /// protected document (sliding window) and, unless it would pass the limit, records it.
    /// `Err(doc_id)` names the document whose limit this call would pass. Scorers without
    /// exposure tracking allow everything.
    fn document_exposure(
        &self,
        identity: &Identity,
        destination: DestinationClass,
        exposure: &[DocExposure],
        time_ms: u64,
    ) -> Result<(), String> {
        let _ = (identity, destination, exposure, time_ms);
        Ok(())
    }
}

// ---------------------------------------------------------------- stage 7: authorize

/// The resource a call addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    /// Model (or tool) name as the caller asked for it.
    pub name: String,
    /// Upstream it routes to.
    pub upstream: String,
    /// Segment that owns the resource (e.g. `training` for a training-tier model).
    pub segment: String,
    /// Destination class of the upstream.
    pub destination: DestinationClass,
}

/// Everything the policy decides on besides principal and resource.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthzContext {
    /// Data classes found by request inspection.
    pub data_classes: Vec<DataClass>,
    /// Anomaly score 0–100 from behaviour (0 when behaviour is off).
    pub anomaly_score: f64,
    /// Whether behaviour put the identity in step-down.
    pub stepped_down: bool,
    /// Age of the access token in seconds.
    pub token_age_secs: u64,
    /// Request body bytes.
    pub request_bytes: u64,
    /// Whether a streamed response was asked for.
    pub streaming: bool,
    /// Hour of day (UTC, 0–23).
    pub hour_of_day: u8,
}

/// Stage 7: authorization.
pub trait Authorizer: Send + Sync {
    /// Decides one call. Any error inside denies (fail closed) with the error in `Decision::errors`.
    fn authorize(
        &self,
        principal: &Identity,
        action: &str,
        resource: &ResourceRef,
        context: &AuthzContext,
    ) -> Decision;
}

// ---------------------------------------------------------------- stage 10: audit

/// Why an audit append failed; the gateway fails the call closed on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log unavailable: {0}")]
pub struct AuditFailure(pub String);

/// Called once the event is durable (sync mode) or accepted (batch mode), with its log index.
pub type AppendDone = Box<dyn FnOnce(Result<u64, AuditFailure>) + Send>;

/// Stage 10: the audit log.
pub trait AuditSink: Send + Sync {
    /// Appends an event; `done` runs (possibly on another thread) when it is durable per the
    /// configured mode. Group commit lets concurrent appends share one fsync.
    fn append(&self, event: AuditEvent, done: AppendDone);

    /// Whether an allowed call's decision must be appended and durable *before* any byte of
    /// it goes upstream (sync mode: no egress without a durable record). The completion is
    /// recorded after, as always. Sinks without durability to offer answer `false`.
    fn write_ahead(&self) -> bool {
        false
    }
}
