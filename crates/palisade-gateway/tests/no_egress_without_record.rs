//! No egress without a durable record, and blocked attempts as evidence: with a sync-mode
//! sink the allowed decision is appended before anything is forwarded (a failed append
//! forwards nothing), and a call inspection refuses still reaches the behaviour stage with its
//! findings, its refusal and the connection's facts.

mod common;

use common::*;
use palisade_core::*;
use palisade_gateway::dev::MemoryAuditSink;
use serde_json::json;
use std::sync::{Arc, Mutex};

/// A sync-mode sink: write-ahead, recording into memory, optionally failing the decision.
#[derive(Default)]
struct SyncSink {
    inner: MemoryAuditSink,
    fail_decision: bool,
}

impl AuditSink for SyncSink {
    fn append(&self, e: AuditEvent, done: AppendDone) {
        if self.fail_decision && e.event_type == "request_decision" {
            return done(Err(AuditFailure("fsync failed".into())));
        }
        self.inner.append(e, done);
    }
    fn write_ahead(&self) -> bool {
        true
    }
}

fn chat(text: &str) -> serde_json::Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})
}

#[tokio::test]
async fn audit_append_fails_nothing_reaches_upstream() {
    let sink = Arc::new(SyncSink {
        fail_decision: true,
        ..Default::default()
    });
    let s2 = sink.clone();
    let (h, _) = start_edited(move |s| s.audit = s2).await;
    let (status, _, body) = h.post_json("/v1/chat/completions", chat("hello")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("audit_unavailable"), "{body}");
    assert!(
        h.upstream.requests().is_empty(),
        "a call whose decision was not recorded reached the upstream"
    );
    // The refusal itself is recorded.
    let ev = sink.inner.events();
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!((ev[0].event_type.as_str(), ev[0].status), ("request", 503));
    h.shutdown().await;
}

#[tokio::test]
async fn allowed_decision_is_recorded_before_forwarding() {
    let sink = Arc::new(SyncSink::default());
    let s2 = sink.clone();
    let (h, _) = start_edited(move |s| s.audit = s2).await;
    let (status, _, body) = h.post_json("/v1/chat/completions", chat("hello")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.upstream.requests().len(), 1);
    let ev = sink.inner.events();
    let kinds: Vec<&str> = ev.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(kinds, ["request_decision", "request"], "{ev:?}");
    assert_eq!(ev[0].decision, Effect::Allow);
    assert_eq!(ev[0].request_id, ev[1].request_id);
    h.shutdown().await;
}

/// Blocks every leaf containing `PAYROLL` as payroll data.
struct BlockPayroll;

impl Inspector for BlockPayroll {
    fn inspect(&self, ex: &Exchange) -> Inspection {
        let mut ins = Inspection::default();
        for l in ex.leaves.iter().filter(|l| l.text.contains("PAYROLL")) {
            ins.findings.push(test_finding(
                &l.path,
                DataClass::Payroll,
                Severity::High,
                "test-payroll",
            ));
            ins.block = true;
        }
        ins
    }
    fn stream_scanner(&self, _path: &str) -> Box<dyn StreamScanner> {
        Box::new(common::PassThroughScanner)
    }
}

/// One observation as the behaviour stage was told it: (refused by, findings, has source,
/// user agent).
type Seen = (Option<RefusedBy>, usize, bool, Option<String>);

/// What the behaviour stage was told, and the outcomes (denied).
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<Seen>>,
    outcomes: Mutex<Vec<bool>>,
}

impl BehaviorScorer for Recorder {
    fn observe(&self, obs: &Observation<'_>) -> AnomalyScore {
        self.seen.lock().unwrap().push((
            obs.refused,
            obs.findings.len(),
            obs.client.source.is_some(),
            obs.client.user_agent.map(str::to_owned),
        ));
        AnomalyScore {
            score: 12.5,
            top_features: vec![],
            action: BehaviorAction::Record,
            stepped_down: false,
            reason: "test".into(),
        }
    }
    fn outcome(&self, _: &Identity, denied: bool, _: bool, _: u64) {
        self.outcomes.lock().unwrap().push(denied);
    }
}

#[tokio::test]
async fn refused_by_inspection_is_observed_by_behaviour() {
    let rec = Arc::new(Recorder::default());
    let r2 = rec.clone();
    let (h, audit) = start_edited(move |s| {
        s.inspector = Some(Arc::new(BlockPayroll));
        s.behavior = Some(r2);
    })
    .await;
    let resp = h
        .send(
            "POST",
            "/v1/chat/completions",
            &[
                ("content-type", "application/json"),
                ("user-agent", "exfil-bot/0.1"),
            ],
            chat("PAYROLL of everyone").to_string(),
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert!(h.upstream.requests().is_empty());
    let seen = rec.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [(
            Some(RefusedBy::Inspection),
            1,
            true,
            Some("exfil-bot/0.1".into())
        )]
    );
    assert_eq!(*rec.outcomes.lock().unwrap(), [true]);
    // The audit record of the refusal carries behaviour's score.
    let ev = audit.events();
    assert_eq!(
        ev.last().and_then(|e| e.anomaly_score),
        Some(12.5),
        "{ev:?}"
    );
    h.shutdown().await;
}
