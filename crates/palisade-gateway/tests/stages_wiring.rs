//! The pipeline calls the stage traits and obeys them: inspection blocks and redacts (requests,
//! whole responses, and streams for all three streaming APIs, including a cut), policy denials
//! are 403 with policy ids, authentication failures are 401 in the caller's format, and an
//! audit append failure fails the call closed.

mod common;

use common::*;
use palisade_core::*;
use serde_json::{json, Value};
use std::sync::Arc;

/// Test inspector: blocks `BLOCKME`, redacts `REDACTME`; streams redact `simulated` (with a
/// hold-back window so a split word is still caught) or cut on `upstream`.
struct TestInspector {
    cut: bool,
}

impl Inspector for TestInspector {
    fn inspect(&self, ex: &Exchange) -> Inspection {
        let mut ins = Inspection::default();
        for l in &ex.leaves {
            if l.text.contains("BLOCKME") {
                ins.findings.push(test_finding(
                    &l.path,
                    DataClass::Secret,
                    Severity::High,
                    "test-block",
                ));
                ins.block = true;
            }
            for (start, m) in l
                .text
                .match_indices("REDACTME")
                .chain(l.text.match_indices("simulated"))
            {
                ins.findings.push(test_finding(
                    &l.path,
                    DataClass::Pii,
                    Severity::High,
                    "test-redact",
                ));
                ins.redactions.push(Redaction {
                    path: l.path.clone(),
                    start,
                    end: start + m.len(),
                    placeholder: "[REDACTED:test]".into(),
                });
            }
        }
        ins
    }
    fn stream_scanner(&self, _path: &str) -> Box<dyn StreamScanner> {
        Box::new(TestScanner {
            pending: String::new(),
            cut: self.cut,
        })
    }
}

struct TestScanner {
    pending: String,
    cut: bool,
}

const WORD: &str = "simulated";

impl StreamScanner for TestScanner {
    fn push(&mut self, delta: &str) -> StreamRelease {
        self.pending.push_str(delta);
        if self.cut && self.pending.contains("upstream") {
            return StreamRelease {
                text: String::new(),
                findings: vec![],
                cut: true,
            };
        }
        self.pending = self.pending.replace(WORD, "[R]");
        let keep = WORD.len() - 1;
        let mut split = self.pending.len().saturating_sub(keep);
        while !self.pending.is_char_boundary(split) {
            split -= 1;
        }
        let text: String = self.pending.drain(..split).collect();
        StreamRelease {
            text,
            findings: vec![],
            cut: false,
        }
    }
    fn finish(&mut self) -> StreamRelease {
        let text = std::mem::take(&mut self.pending).replace(WORD, "[R]");
        StreamRelease {
            text,
            findings: vec![],
            cut: false,
        }
    }
}

struct DenyAll;
impl Authorizer for DenyAll {
    fn authorize(&self, _: &Identity, _: &str, _: &ResourceRef, _: &AuthzContext) -> Decision {
        Decision {
            effect: Effect::Deny,
            policy_ids: vec!["forbid-external-secrets".into()],
            errors: vec![],
        }
    }
}

struct FailingAudit;
impl AuditSink for FailingAudit {
    fn append(&self, _e: AuditEvent, done: AppendDone) {
        done(Err(AuditFailure("disk full".into())));
    }
}

struct Expired;
impl Authenticator for Expired {
    fn authenticate(&self, creds: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        assert!(creds.url.starts_with("https://localhost:"), "{}", creds.url);
        Err(AuthFailure {
            status: 401,
            code: "token_expired".into(),
            message: "the access token has expired".into(),
            dpop_nonce: Some("n-1".into()),
        })
    }
}

fn chat(content: &str, stream: bool) -> Value {
    json!({"model": "gpt-4o-mini", "stream": stream, "messages": [{"role": "user", "content": content}]})
}

fn chat_text(body: &str) -> String {
    sse_data(body)
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn blocked_request_is_403_with_detector_ids_and_never_forwarded() {
    let (h, audit) =
        start_edited(|s| s.inspector = Some(Arc::new(TestInspector { cut: false }))).await;
    let (s, _, body) = h
        .post_json("/v1/chat/completions", chat("here is BLOCKME", false))
        .await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("inspect:test-block"), "{body}");
    assert!(!body.contains("BLOCKME"), "the matched text is not echoed");
    assert!(h.upstream.requests().is_empty());
    let ev = audit.events();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].outcome, AuditOutcome::Denied);
    assert_eq!(ev[0].findings[0].detector, "test-block");
    h.shutdown().await;
}

#[tokio::test]
async fn request_redactions_are_applied_before_forwarding_and_responses_are_inspected() {
    let (h, audit) =
        start_edited(|s| s.inspector = Some(Arc::new(TestInspector { cut: false }))).await;
    let (s, _, body) = h
        .post_json("/v1/chat/completions", chat("id REDACTME ok", false))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        h.upstream.requests()[0].body["messages"][0]["content"],
        "id [REDACTED:test] ok"
    );
    // The whole (non-streamed) response went through inspection too.
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello from the [REDACTED:test] upstream."
    );
    let ev = audit.events();
    assert_eq!(ev[0].outcome, AuditOutcome::Completed);
    assert_eq!(ev[0].upstream.as_deref(), Some("openai"));
    assert_eq!(ev[0].policy_ids, ["dev-allow-all"]);
    h.shutdown().await;
}

#[tokio::test]
async fn streams_are_scanned_and_redacted_for_every_api() {
    let (h, _) = start_edited(|s| s.inspector = Some(Arc::new(TestInspector { cut: false }))).await;
    let (s, _, body) = h.post_json("/v1/chat/completions", chat("hi", true)).await;
    assert_eq!(s, 200);
    assert_eq!(chat_text(&body), "Hello from the [R] upstream.");
    assert!(body.trim_end().ends_with("data: [DONE]"), "{body}");

    let (s, _, body) = h.post_json("/v1/messages", json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!(s, 200);
    let text: String = sse_data(&body)
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter(|v| v["type"] == "content_block_delta")
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, "Hello from the [R] upstream.");
    // The tail is released before the block ends.
    assert!(
        body.rfind("content_block_delta").unwrap() < body.find("content_block_stop").unwrap(),
        "{body}"
    );

    let (s, _, body) = h
        .post_json(
            "/v1/responses",
            json!({"model": "gpt-4o-mini", "stream": true, "input": "x"}),
        )
        .await;
    assert_eq!(s, 200);
    let events: Vec<Value> = sse_data(&body)
        .iter()
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect();
    let deltas: String = events
        .iter()
        .filter(|v| v["type"] == "response.output_text.delta")
        .filter_map(|v| v["delta"].as_str())
        .collect();
    assert_eq!(deltas, "Hello from the [R] upstream.");
    let done = events
        .iter()
        .find(|v| v["type"] == "response.output_text.done")
        .unwrap();
    assert_eq!(done["text"], "Hello from the [R] upstream.");
    let completed = events
        .iter()
        .find(|v| v["type"] == "response.completed")
        .unwrap();
    assert_eq!(
        completed["response"]["output"][0]["content"][0]["text"],
        "Hello from the [R] upstream."
    );
    assert!(!body.contains("simulated"), "{body}");
    h.shutdown().await;
}

#[tokio::test]
async fn cut_stream_ends_with_an_error_event_in_the_api_format() {
    let (h, _) = start_edited(|s| s.inspector = Some(Arc::new(TestInspector { cut: true }))).await;
    let (s, _, body) = h.post_json("/v1/chat/completions", chat("hi", true)).await;
    assert_eq!(s, 200);
    assert!(!body.contains("upstream."), "{body}");
    assert!(!body.contains("[DONE]"));
    let last: Value = serde_json::from_str(sse_data(&body).last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "content_blocked");

    let (_, _, body) = h.post_json("/v1/messages", json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "x"}]})).await;
    assert!(body.contains("event: error"), "{body}");
    assert!(!body.contains("message_stop"));
    let last: Value = serde_json::from_str(sse_data(&body).last().unwrap()).unwrap();
    assert_eq!(last["error"]["type"], "permission_error");
    // The gateway keeps serving.
    assert_eq!(
        h.post_json(
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": "a"})
        )
        .await
        .0,
        200
    );
    h.shutdown().await;
}

#[tokio::test]
async fn policy_denial_is_403_with_policy_ids_and_audited() {
    let (h, audit) = start_edited(|s| s.authorizer = Arc::new(DenyAll)).await;
    let (s, _, body) = h.post_json("/v1/messages", json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!(s, 403);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "permission_error");
    assert_eq!(v["error"]["policy_ids"][0], "forbid-external-secrets");
    assert!(h.upstream.requests().is_empty());
    let ev = audit.events();
    assert_eq!(ev[0].decision, Effect::Deny);
    assert_eq!(ev[0].policy_ids, ["forbid-external-secrets"]);
    h.shutdown().await;
}

#[tokio::test]
async fn authentication_failure_is_401_before_the_body_is_used() {
    let (h, audit) = start_edited(|s| s.authenticator = Arc::new(Expired)).await;
    let resp = h
        .send(
            "POST",
            "/v1/messages",
            &[("x-api-key", "k")],
            "not even json",
        )
        .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["dpop-nonce"], "n-1");
    let v: Value = serde_json::from_slice(
        &http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes(),
    )
    .unwrap();
    assert_eq!(v["error"]["type"], "authentication_error");
    // The authenticator's precise code, not a generic one, in the Anthropic format too.
    assert_eq!(v["error"]["code"], "token_expired");
    let ev = &audit.events()[0];
    assert_eq!(ev.outcome, AuditOutcome::Unauthenticated);
    assert_eq!(ev.identity, None);
    assert_eq!(
        ev.detail.as_deref(),
        Some("authentication refused: token_expired")
    );
    // The OpenAI format carries it as well.
    let (s, _, body) = h.post_json("/v1/chat/completions", chat("hi", false)).await;
    assert_eq!(s, 401);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "token_expired");
    assert_eq!(v["error"]["type"], "authentication_error");
    // The model list is not public either.
    assert_eq!(h.get("/v1/models").await.0, 401);
    h.shutdown().await;
}

#[tokio::test]
async fn audit_failure_fails_the_call_closed() {
    let (h, _) = start_edited(|s| s.audit = Arc::new(FailingAudit)).await;
    let (s, _, body) = h.post_json("/v1/chat/completions", chat("hi", true)).await;
    assert_eq!(s, 503, "{body}");
    assert!(body.contains("audit_unavailable"));
    assert!(
        !body.contains("simulated"),
        "no upstream content is released unrecorded"
    );
    h.shutdown().await;
}
