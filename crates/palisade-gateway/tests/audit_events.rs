//! The audit record of a call is complete: a non-streamed response has one event with the
//! response size, hash and findings; a stream has its head event (decision, durable before the
//! first byte) and a `response_complete` event at its end with what the client received and how
//! the stream ended (completed, cut, upstream_error, client_disconnected). A failed end append
//! withholds the end of the stream.

mod common;

use common::*;
use http_body_util::BodyExt;
use palisade_core::*;
use palisade_gateway::dev::MemoryAuditSink;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// Finds `simulated` in responses (whole or streamed, records it) and cuts streams on `upstream`
/// when `cut` is set. Scanners release at once (no hold-back) to keep the test small.
struct Spotter {
    cut: bool,
}

impl Inspector for Spotter {
    fn inspect(&self, ex: &Exchange) -> Inspection {
        let mut ins = Inspection::default();
        for l in &ex.leaves {
            if l.text.contains("simulated") {
                ins.findings.push(test_finding(
                    &l.path,
                    DataClass::Pii,
                    Severity::Medium,
                    "whole-spot",
                ));
            }
        }
        ins
    }
    fn stream_scanner(&self, path: &str) -> Box<dyn StreamScanner> {
        Box::new(SpotScanner {
            path: path.into(),
            cut: self.cut,
        })
    }
}

struct SpotScanner {
    path: String,
    cut: bool,
}

impl StreamScanner for SpotScanner {
    fn push(&mut self, delta: &str) -> StreamRelease {
        let mut rel = StreamRelease {
            text: delta.into(),
            ..Default::default()
        };
        if delta.contains("simulated") {
            rel.findings.push(test_finding(
                &self.path,
                DataClass::Pii,
                Severity::Medium,
                "stream-spot",
            ));
        }
        if self.cut && delta.contains("upstream") {
            rel.cut = true;
            rel.text.clear();
        }
        rel
    }
    fn finish(&mut self) -> StreamRelease {
        StreamRelease::default()
    }
}

/// Fails only `response_complete` appends (the head of the stream is recorded).
#[derive(Default)]
struct FailEnd(MemoryAuditSink);
impl AuditSink for FailEnd {
    fn append(&self, e: AuditEvent, done: AppendDone) {
        if e.event_type == "response_complete" {
            done(Err(AuditFailure("disk full".into())));
        } else {
            self.0.append(e, done);
        }
    }
}

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Waits (bounded) until the sink holds `n` events.
async fn events(audit: &MemoryAuditSink, n: usize) -> Vec<AuditEvent> {
    for _ in 0..100 {
        let ev = audit.events();
        if ev.len() >= n {
            return ev;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("expected {n} events, got {:?}", audit.events());
}

#[tokio::test]
async fn non_streamed_response_has_one_complete_event() {
    let (h, audit) = start_edited(|s| s.inspector = Some(Arc::new(Spotter { cut: false }))).await;
    let (s, hd, body) = h
        .post_json("/v1/chat/completions", chat("gpt-4o-mini", false))
        .await;
    assert_eq!(s, 200);
    let ev = events(&audit, 1).await;
    assert_eq!(ev.len(), 1);
    let e = &ev[0];
    assert_eq!(e.event_type, "request");
    assert_eq!(e.request_id, hd["x-request-id"].to_str().unwrap());
    assert_eq!(e.bytes_out, body.len() as u64);
    assert_eq!(
        e.response_sha256.as_deref(),
        Some(sha(body.as_bytes()).as_str())
    );
    assert!(
        e.findings.iter().any(|f| f.detector == "whole-spot"),
        "response findings are recorded: {:?}",
        e.findings
    );
    h.shutdown().await;

    // Without an inspector the size and hash are still recorded.
    let (h, audit) = start_edited(|_| {}).await;
    let (_, _, body) = h
        .post_json(
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": "a"}),
        )
        .await;
    let ev = events(&audit, 1).await;
    assert_eq!(ev[0].bytes_out, body.len() as u64);
    assert_eq!(
        ev[0].response_sha256.as_deref(),
        Some(sha(body.as_bytes()).as_str())
    );
    h.shutdown().await;
}

#[tokio::test]
async fn completed_stream_gets_a_response_complete_event() {
    for inspected in [true, false] {
        let (h, audit) = start_edited(|s| {
            if inspected {
                s.inspector = Some(Arc::new(Spotter { cut: false }));
            }
        })
        .await;
        let (s, hd, body) = h
            .post_json("/v1/chat/completions", chat("gpt-4o-mini", true))
            .await;
        assert_eq!(s, 200);
        assert!(body.contains("[DONE]"));
        let ev = events(&audit, 2).await;
        assert_eq!(ev.len(), 2);
        let (head, end) = (&ev[0], &ev[1]);
        let rid = hd["x-request-id"].to_str().unwrap();
        assert_eq!(head.event_type, "request");
        assert_eq!(head.bytes_out, 0);
        assert_eq!(head.request_id, rid);
        assert_eq!(end.event_type, "response_complete");
        assert_eq!(end.request_id, rid);
        assert_eq!(end.detail.as_deref(), Some("completed"));
        assert_eq!(end.outcome, AuditOutcome::Completed);
        assert_eq!(end.decision, Effect::Allow);
        assert_eq!(end.upstream.as_deref(), Some("openai"));
        assert_eq!(end.bytes_in, head.bytes_in);
        assert_eq!(end.bytes_out, body.len() as u64, "what the client received");
        assert_eq!(
            end.response_sha256.as_deref(),
            Some(sha(body.as_bytes()).as_str())
        );
        assert_eq!(
            end.findings.iter().any(|f| f.detector == "stream-spot"),
            inspected,
            "{:?}",
            end.findings
        );
        h.shutdown().await;
    }
}

#[tokio::test]
async fn cut_and_broken_streams_say_how_they_ended() {
    let (h, audit) = start_edited(|s| s.inspector = Some(Arc::new(Spotter { cut: true }))).await;
    let (s, _, body) = h
        .post_json("/v1/chat/completions", chat("gpt-4o-mini", true))
        .await;
    assert_eq!(s, 200);
    assert!(body.contains("content_blocked"), "{body}");
    let ev = events(&audit, 2).await;
    let end = &ev[1];
    assert_eq!(end.detail.as_deref(), Some("cut"));
    assert_eq!(end.outcome, AuditOutcome::Denied);
    assert_eq!(end.decision, Effect::Deny);
    assert_eq!(end.bytes_out, body.len() as u64);
    assert_eq!(
        end.response_sha256.as_deref(),
        Some(sha(body.as_bytes()).as_str())
    );
    assert!(end.findings.iter().any(|f| f.detector == "stream-spot"));
    h.shutdown().await;

    let (h, audit) = start_edited(|_| {}).await;
    let resp = h
        .post_raw("/v1/chat/completions", chat("break-gpt", true).to_string())
        .await;
    assert!(resp.into_body().collect().await.is_err());
    let ev = events(&audit, 2).await;
    assert_eq!(ev[1].detail.as_deref(), Some("upstream_error"));
    assert_eq!(ev[1].outcome, AuditOutcome::Error);
    h.shutdown().await;
}

#[tokio::test]
async fn client_disconnect_mid_stream_is_recorded() {
    let (h, audit) = start_edited(|_| {}).await;
    let resp = h
        .post_raw("/v1/chat/completions", chat("slow-gpt", true).to_string())
        .await;
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    drop(body);
    let ev = events(&audit, 2).await;
    let end = &ev[1];
    assert_eq!(end.event_type, "response_complete");
    assert_eq!(end.detail.as_deref(), Some("client_disconnected"));
    assert_eq!(end.outcome, AuditOutcome::Error);
    assert!(end.bytes_out >= first.len() as u64, "{end:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn a_failed_end_record_withholds_the_end_of_the_stream() {
    let sink = Arc::new(FailEnd::default());
    let (h, _) = start_edited(|s| s.audit = sink.clone()).await;
    let resp = h
        .post_raw(
            "/v1/chat/completions",
            chat("gpt-4o-mini", true).to_string(),
        )
        .await;
    assert_eq!(resp.status(), 200, "the head was recorded");
    assert!(
        resp.into_body().collect().await.is_err(),
        "the stream must not look complete when its end was not recorded"
    );
    assert_eq!(sink.0.events().len(), 1);
    h.shutdown().await;
}
