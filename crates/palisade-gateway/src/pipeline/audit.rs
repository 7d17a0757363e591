//! Stage 10 — audit. Outermost, so refusals at every earlier stage are recorded too. Each stage
//! fills in the draft as it learns things; the record is appended when the response head is
//! known (for streams: before the first byte is relayed) and the gateway waits until the sink
//! reports it durable. If the append fails the call fails closed: nothing is answered that the
//! log did not record. A non-streamed response is buffered before its head is known, so its one
//! event carries the response size, hash and findings; a stream gets a second event at its end
//! (`response_complete`, see `stream_audit`). In sync mode an allowed call's decision is also
//! appended, durably, before anything is forwarded (`record_decision`). Findings per entry
//! are capped (`capped`), so one request cannot make an unbounded entry.

use super::stream_audit::TailSlot;
use crate::error::ApiError;
use palisade_core::{
    AnomalyScore, AuditEvent, AuditOutcome, AuditSink, Decision, Effect, Finding, Identity,
};
use sha2::{Digest, Sha256};
use std::time::Instant;

/// What the stages learned about the call so far.
#[derive(Debug)]
pub(crate) struct AuditDraft {
    pub request_id: String,
    pub action: &'static str,
    pub identity: Option<Identity>,
    pub resource: Option<String>,
    pub upstream: Option<String>,
    pub destination: Option<String>,
    pub decision: Option<Decision>,
    pub findings: Vec<Finding>,
    pub anomaly: Option<AnomalyScore>,
    pub bytes_in: u64,
    pub request_sha256: Option<String>,
    /// Response-side facts of a buffered (non-streamed) response.
    pub response: Option<ResponseFacts>,
    /// Set for a streamed response: filled with the head event once it is durable, so the
    /// stream can append its `response_complete` event.
    pub tail: Option<TailSlot>,
    /// Why a call was refused where no identity or decision says it (the authentication
    /// failure code, never the credential).
    pub detail: Option<String>,
    pub started: Instant,
}

/// What the client received in a buffered response (after redaction), and what response
/// inspection found.
#[derive(Debug, Default)]
pub(crate) struct ResponseFacts {
    pub bytes: u64,
    pub sha256: String,
    pub findings: Vec<Finding>,
}

impl ResponseFacts {
    pub(crate) fn of(body: &[u8], findings: Vec<Finding>) -> Self {
        Self {
            bytes: body.len() as u64,
            sha256: hex::encode(Sha256::digest(body)),
            findings,
        }
    }
}

impl AuditDraft {
    pub(crate) fn new(request_id: String, action: &'static str) -> Self {
        Self {
            request_id,
            action,
            identity: None,
            resource: None,
            upstream: None,
            destination: None,
            decision: None,
            findings: Vec::new(),
            anomaly: None,
            bytes_in: 0,
            request_sha256: None,
            response: None,
            tail: None,
            detail: None,
            started: Instant::now(),
        }
    }

    /// Records the body size and hash (never the body).
    pub(crate) fn body(&mut self, body: &[u8]) {
        self.bytes_in = body.len() as u64;
        self.request_sha256 = Some(hex::encode(Sha256::digest(body)));
    }
}

/// The audit `detail` of a call refused at authentication: the failure code only, so an
/// auditor can tell `identity_revoked` (a known identity, disabled) from `dpop_proof_invalid`
/// (a copied token without its key). The code was already checked to be a plain identifier.
pub(crate) fn auth_detail(code: &str) -> String {
    format!("authentication refused: {code}")
}

/// The outcome recorded for an HTTP status.
pub(crate) fn outcome_of(status: u16) -> AuditOutcome {
    match status {
        100..=399 => AuditOutcome::Completed,
        401 => AuditOutcome::Unauthenticated,
        403 => AuditOutcome::Denied,
        _ => AuditOutcome::Error,
    }
}

/// Appends the event for a call that ended with `status`; waits for durability. Returns the
/// event (the template of a stream's `response_complete`).
pub(crate) async fn record(
    sink: &dyn AuditSink,
    now_ms: u64,
    mut draft: AuditDraft,
    status: u16,
) -> Result<AuditEvent, ApiError> {
    let outcome = outcome_of(status);
    let decision = draft.decision.clone().unwrap_or_else(|| Decision {
        effect: if outcome == AuditOutcome::Completed {
            Effect::Allow
        } else {
            Effect::Deny
        },
        policy_ids: Vec::new(),
        errors: Vec::new(),
    });
    let response = draft.response.take().unwrap_or_default();
    let mut findings = draft.findings;
    findings.extend(response.findings);
    let findings = capped(findings);
    let event = AuditEvent {
        time_ms: now_ms,
        request_id: draft.request_id.clone(),
        event_type: "request".into(),
        identity: draft.identity.as_ref().map(|i| i.id.to_string()),
        segment: draft.identity.as_ref().map(|i| i.segment.clone()),
        action: draft.action.into(),
        resource: draft.resource,
        upstream: draft.upstream,
        destination: draft.destination,
        decision: if outcome == AuditOutcome::Completed {
            decision.effect
        } else {
            Effect::Deny
        },
        policy_ids: decision.policy_ids,
        findings,
        anomaly_score: draft.anomaly.map(|a| a.score),
        bytes_in: draft.bytes_in,
        // A stream's length, hash and response findings are in its `response_complete` event.
        bytes_out: response.bytes,
        latency_us: draft.started.elapsed().as_micros() as u64,
        status,
        outcome,
        request_sha256: draft.request_sha256,
        response_sha256: (!response.sha256.is_empty()).then_some(response.sha256),
        detail: draft.detail,
    };
    append_durable(sink, event.clone()).await?;
    if let Some(slot) = draft.tail {
        *slot.lock() = Some((event.clone(), draft.started));
    }
    Ok(event)
}

/// Findings listed per detector and data class in one audit entry; the rest are counted.
pub(crate) const MAX_FINDINGS_PER_DETECTOR: usize = 32;
/// Findings listed in one audit entry in all; the rest are counted.
pub(crate) const MAX_FINDINGS_PER_ENTRY: usize = 256;
/// Detector id prefix of a summary finding; its `end` is the number of findings not listed.
pub(crate) const CAPPED_PREFIX: &str = "findings_capped:";

/// Bounds the findings of one audit entry: at most [`MAX_FINDINGS_PER_DETECTOR`] per detector
/// and class and [`MAX_FINDINGS_PER_ENTRY`] in all, each overflow replaced by one summary
/// finding (`findings_capped:<detector>`, `end` = how many were left out) of the same class
/// and highest severity. A body with 100,000 markers thus makes a small entry that still says
/// what was found and how much.
pub(crate) fn capped(findings: Vec<Finding>) -> Vec<Finding> {
    if findings.len() <= MAX_FINDINGS_PER_DETECTOR {
        return findings;
    }
    let mut kept: Vec<Finding> = Vec::new();
    // (detector, class) -> (listed, summary index in `kept`)
    let mut seen: std::collections::HashMap<
        (String, palisade_core::DataClass),
        (usize, Option<usize>),
    > = std::collections::HashMap::new();
    for f in findings {
        let key = (f.detector.clone(), f.data_class);
        let e = seen.entry(key).or_insert((0, None));
        if e.0 < MAX_FINDINGS_PER_DETECTOR && kept.len() < MAX_FINDINGS_PER_ENTRY {
            e.0 += 1;
            kept.push(f);
            continue;
        }
        match e.1.and_then(|i| kept.get_mut(i)) {
            Some(s) => {
                s.end = s.end.saturating_add(1);
                s.severity = s.severity.max(f.severity);
                s.confidence = s.confidence.max(f.confidence);
            }
            None => {
                e.1 = Some(kept.len());
                kept.push(Finding {
                    detector: format!("{CAPPED_PREFIX}{}", f.detector),
                    data_class: f.data_class,
                    path: String::new(),
                    start: 0,
                    end: 1,
                    value_hash: String::new(),
                    confidence: f.confidence,
                    severity: f.severity,
                });
            }
        }
    }
    kept
}

/// Write-ahead record of an allowed call (sink in sync mode): the decision, its findings and
/// score are appended and durable before any byte goes upstream, so data never leaves
/// unrecorded; if the append fails the call is refused and nothing is forwarded. The usual
/// `request` event still records how the call ended.
pub(crate) async fn record_decision(
    sink: &dyn AuditSink,
    now_ms: u64,
    draft: &AuditDraft,
) -> Result<(), ApiError> {
    if !sink.write_ahead() {
        return Ok(());
    }
    let decision = draft.decision.as_ref();
    let event = AuditEvent {
        time_ms: now_ms,
        request_id: draft.request_id.clone(),
        event_type: "request_decision".into(),
        identity: draft.identity.as_ref().map(|i| i.id.to_string()),
        segment: draft.identity.as_ref().map(|i| i.segment.clone()),
        action: draft.action.into(),
        resource: draft.resource.clone(),
        upstream: draft.upstream.clone(),
        destination: draft.destination.clone(),
        decision: decision.map_or(Effect::Deny, |d| d.effect),
        policy_ids: decision.map(|d| d.policy_ids.clone()).unwrap_or_default(),
        findings: capped(draft.findings.clone()),
        anomaly_score: draft.anomaly.as_ref().map(|a| a.score),
        bytes_in: draft.bytes_in,
        bytes_out: 0,
        latency_us: draft.started.elapsed().as_micros() as u64,
        status: 0,
        // Not ended yet: the `request` event that follows says how it ended.
        outcome: AuditOutcome::Completed,
        request_sha256: draft.request_sha256.clone(),
        response_sha256: None,
        detail: Some("allowed; recorded before forwarding".into()),
    };
    append_durable(sink, event).await.map(|_| ())
}

/// Appends one event and waits until the sink reports it durable; any failure is the 503 that
/// fails the call closed.
pub(crate) async fn append_durable(
    sink: &dyn AuditSink,
    event: AuditEvent,
) -> Result<u64, ApiError> {
    let request_id = event.request_id.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    sink.append(
        event,
        Box::new(move |r| {
            let _ = tx.send(r);
        }),
    );
    match rx.await {
        Ok(Ok(index)) => Ok(index),
        Ok(Err(e)) => {
            tracing::error!(request_id = %request_id, error = %e, "audit append failed; failing the call closed");
            Err(audit_unavailable())
        }
        Err(_) => {
            tracing::error!(request_id = %request_id, "audit sink dropped the completion; failing the call closed");
            Err(audit_unavailable())
        }
    }
}

fn audit_unavailable() -> ApiError {
    ApiError::new(
        http::StatusCode::SERVICE_UNAVAILABLE,
        "audit_unavailable",
        "the call could not be recorded in the audit log and was refused",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Confidence, DataClass, Severity};

    fn f(detector: &str, class: DataClass, severity: Severity) -> Finding {
        Finding {
            detector: detector.into(),
            data_class: class,
            path: "/messages/0/content".into(),
            start: 0,
            end: 4,
            value_hash: "00".into(),
            confidence: Confidence::High,
            severity,
        }
    }

    #[test]
    fn findings_are_capped_per_detector_with_a_counted_summary() {
        let mut v: Vec<Finding> = (0..100_000)
            .map(|_| f("marker", DataClass::Confidential, Severity::Medium))
            .collect();
        v.push(f("marker", DataClass::Confidential, Severity::High));
        v.extend((0..3).map(|_| f("pii-email", DataClass::Pii, Severity::Low)));
        let c = capped(v);
        let summary: Vec<&Finding> = c
            .iter()
            .filter(|x| x.detector.starts_with(CAPPED_PREFIX))
            .collect();
        assert_eq!(summary.len(), 1);
        assert_eq!(summary[0].end, 100_001 - MAX_FINDINGS_PER_DETECTOR);
        assert_eq!(summary[0].severity, Severity::High);
        assert_eq!(c.iter().filter(|x| x.detector == "pii-email").count(), 3);
        assert_eq!(c.len(), MAX_FINDINGS_PER_DETECTOR + 1 + 3);
    }
}
