//! End to end through a running gateway to `external` upstreams (issue 13): the document
//! block, `file_data` and embedded shapes that once reached the upstream intact are refused
//! and the upstream never receives the canary; attachments, server tools and beta headers are
//! refused by the real default policy pack; benign traffic still passes. Then the canary at
//! every string position of the four realistic shapes, sent through the gateway.
//!
//! The inspector here is a test stage that recognises one planted canary value exactly (the
//! real detectors are exercised by palisade-inspect and the demo test); what is under test is
//! that the gateway hands it every string it forwards.

#![recursion_limit = "512"]

mod common;
mod shapes;

use base64::Engine as _;
use common::*;
use palisade_core::*;
use palisade_gateway::dev::fake_upstream::FakeUpstream;
use palisade_policy::{PolicyConfig, PolicyEngine};
use serde_json::{json, Value};
use std::sync::Arc;

const CANARY: &str = "roadmap pcan-7f3a9c1e acquire";

/// Reports the canary as a `canary` finding; redacts `REDACTME`; blocks only if asked to.
struct CanaryInspector {
    block: bool,
}

impl Inspector for CanaryInspector {
    fn inspect(&self, ex: &Exchange) -> Inspection {
        let mut ins = Inspection::default();
        for l in &ex.leaves {
            if l.text.contains("pcan-7f3a9c1e") {
                ins.findings.push(test_finding(
                    &l.path,
                    DataClass::Canary,
                    Severity::Critical,
                    "canary",
                ));
                ins.block |= self.block;
            }
            if let Some(start) = l.text.find("REDACTME") {
                ins.findings
                    .push(test_finding(&l.path, DataClass::Pii, Severity::High, "t"));
                ins.redactions.push(Redaction {
                    path: l.path.clone(),
                    start,
                    end: start + 8,
                    placeholder: "[R]".into(),
                });
            }
        }
        ins
    }
    fn stream_scanner(&self, _path: &str) -> Box<dyn StreamScanner> {
        Box::new(common::PassThroughScanner)
    }
}

/// An attested research agent, as in the pack's cases.
struct Research;
impl Authenticator for Research {
    fn authenticate(&self, _: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        Ok(Identity {
            segment: "research".into(),
            id: SpiffeId::new("lab.example", "research", "summariser").unwrap(),
            kind: IdentityKind::Agent,
            owner: "test".into(),
            scopes: vec![],
            status: IdentityStatus::Active,
            attestation_kinds: vec!["join_token".into(), "sev_snp".into()],
            token_age_secs: 10,
        })
    }
}

/// A gateway with the default pack (or allow-all when `pack` is false).
async fn gateway(pack: bool, block: bool) -> Harness {
    let upstream = FakeUpstream::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(upstream.addr(), dir.path(), "");
    let cfg = palisade_config::parse(&text, "t.toml", dir.path()).unwrap();
    let (mut stages, _audit) = palisade_gateway::dev::development_stages(&cfg).unwrap();
    stages.inspector = Some(Arc::new(CanaryInspector { block }));
    if pack {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/policies");
        stages.authenticator = Arc::new(Research);
        stages.authorizer = Arc::new(PolicyEngine::load(&PolicyConfig::for_dir(dir)).unwrap());
    }
    start_config(upstream, dir, &text, Some(stages)).await
}

fn path_of(body: &Value) -> &'static str {
    if body.get("max_tokens").is_some() {
        "/v1/messages"
    } else if body.get("messages").is_some() {
        "/v1/chat/completions"
    } else if body.get("encoding_format").is_some() || body["model"] == "text-embedding-3-small" {
        "/v1/embeddings"
    } else {
        "/v1/responses"
    }
}

/// Sends `body` (with extra headers) and returns the status and the error body.
async fn send(h: &Harness, body: &Value, headers: &[(&str, &str)]) -> (u16, String) {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let resp = h.send("POST", path_of(body), &all, body.to_string()).await;
    let status = resp.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether the upstream ever received `needle`, in a body or a header.
fn upstream_saw(h: &Harness, needle: &str) -> bool {
    h.upstream.requests().iter().any(|r| {
        r.body.to_string().contains(needle) || r.headers.iter().any(|(_, v)| v.contains(needle))
    })
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn document_block_and_file_data_never_reach_an_external_upstream() {
    let h = gateway(true, false).await;
    let attacks = [
        json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": CANARY}},
            {"type": "text", "text": "Summarise."}]}]}),
        json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": b64(CANARY)}}]}]}),
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "file", "file": {"filename": "n.txt", "file_data": format!("data:text/plain;base64,{}", b64(CANARY))}}]}]}),
        json!({"model": "gpt-4o-mini", "input": [{"role": "user", "content": [
            {"type": "input_file", "filename": "n.txt", "file_data": b64(CANARY)}]}]}),
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "o", "schema": {"description": CANARY}}}}),
    ];
    for body in &attacks {
        let (status, err) = send(&h, body, &[]).await;
        assert_eq!(status, 403, "{body}");
        assert!(err.contains("egress-no-canary-outside"), "{err}");
        assert!(!err.contains("pcan-7f3a9c1e"), "{err}");
    }
    assert!(h.upstream.requests().is_empty());
    // The same file_data without the canary passes: the decoded text is fine.
    let benign = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
        {"type": "file", "file": {"filename": "n.txt", "file_data": format!("data:text/plain;base64,{}", b64("lunch menu"))}}]}]});
    assert_eq!(send(&h, &benign, &[]).await.0, 200);
    assert_eq!(h.upstream.requests().len(), 1);
    h.shutdown().await;
}

#[tokio::test]
async fn attachments_server_tools_and_beta_headers_are_refused_for_external() {
    let h = gateway(true, false).await;
    let hi = json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]});
    let cases = [
        (
            json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": [
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK/////w=="}}]}]}),
            vec![],
            "egress-no-opaque-outside",
        ),
        (
            json!({"model": "text-embedding-3-small", "input": [[9906, 1917]]}),
            vec![],
            "egress-no-opaque-outside",
        ),
        (
            json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}],
                   "tools": [{"type": "web_fetch_20250910", "name": "web_fetch"}]}),
            vec![],
            "egress-no-provider-egress-outside",
        ),
        (
            json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}],
                   "mcp_servers": [{"type": "url", "url": "https://mcp.example.com/sse", "name": "x"}]}),
            vec![],
            "egress-no-provider-egress-outside",
        ),
        (
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://img.example.com/a.png"}}]}]}),
            vec![],
            "egress-no-provider-egress-outside",
        ),
        (
            hi.clone(),
            vec![("anthropic-beta", "mcp-client-2025-04-04")],
            "egress-no-provider-egress-outside",
        ),
    ];
    for (body, headers, policy) in &cases {
        let (status, err) = send(&h, body, headers).await;
        assert_eq!(status, 403, "{body}");
        assert!(err.contains(policy), "{err}");
    }
    assert!(h.upstream.requests().is_empty());
    // Benign requests of every API still pass.
    for body in [
        hi,
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "metadata": {"team": "x"}}),
        json!({"model": "gpt-4o-mini", "input": "hi", "instructions": "Be brief."}),
        json!({"model": "text-embedding-3-small", "input": ["a", "b"]}),
    ] {
        assert_eq!(send(&h, &body, &[]).await.0, 200, "{body}");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn a_redaction_inside_a_decoded_payload_refuses_instead_of_forwarding() {
    let h = gateway(false, false).await;
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
        {"type": "file", "file": {"file_data": format!("data:text/plain;base64,{}", b64("call REDACTME now"))}}]}]});
    let (status, err) = send(&h, &body, &[]).await;
    assert_eq!(status, 403, "{err}");
    assert!(err.contains("content_blocked"), "{err}");
    assert!(h.upstream.requests().is_empty());
    // In a plain string the same redaction applies in place and the call goes on.
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "call REDACTME now"}]});
    assert_eq!(send(&h, &body, &[]).await.0, 200);
    assert!(!upstream_saw(&h, "REDACTME"));
    h.shutdown().await;
}

#[tokio::test]
async fn a_canary_at_every_string_position_never_reaches_the_upstream() {
    let h = gateway(false, true).await;
    let mut sent = 0;
    for (_, mut shape) in shapes::all() {
        // Models the test config routes.
        if shape["model"] == "gpt-4.1" {
            shape["model"] = json!("gpt-4o-mini");
        }
        shape["stream"] = json!(false);
        for p in shapes::string_paths(&shape) {
            let mut v = shape.clone();
            *v.pointer_mut(&p).unwrap() = json!(CANARY);
            let (status, _) = send(&h, &v, &[]).await;
            assert_ne!(status, 200, "canary at {p} of {}", path_of(&shape));
            sent += 1;
        }
        // The unplanted shape itself passes: refusals above are the canary's.
        assert_eq!(send(&h, &shape, &[]).await.0, 200, "{}", path_of(&shape));
    }
    assert!(sent > 250, "{sent}");
    assert!(!upstream_saw(&h, "pcan-7f3a9c1e"));
    h.shutdown().await;
}
