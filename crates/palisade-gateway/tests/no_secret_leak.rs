//! Regression guard for T1 (harvested keys): the provider keys injected by the gateway never
//! appear in logs (every level, JSON, including hyper's own), error bodies, metrics, Debug
//! output of the public types, or panic messages — across successes and every failure path.

mod common;

use common::*;
use serde_json::json;
use std::sync::{Arc, Mutex};

fn assert_clean(what: &str, text: &str) {
    for key in [OPENAI_KEY, ANTHROPIC_KEY] {
        assert!(!text.contains(key), "{what} contains a provider key");
        // A fragment is as bad as the whole key.
        assert!(
            !text.contains(&key[8..24]),
            "{what} contains part of a provider key"
        );
    }
}

#[tokio::test]
async fn provider_keys_never_leak() {
    let cap = Capture::install();
    let panics = Arc::new(Mutex::new(String::new()));
    let p = panics.clone();
    std::panic::set_hook(Box::new(move |info| {
        p.lock().unwrap().push_str(&info.to_string())
    }));

    let h = start().await;
    let mut bodies = String::new();
    let chat = |m: &str, stream: bool| json!({"model": m, "stream": stream, "messages": [{"role": "user", "content": "hi"}]});
    for (path, body) in [
        ("/v1/chat/completions", chat("gpt-4o-mini", false)),
        ("/v1/chat/completions", chat("gpt-4o-mini", true)),
        ("/v1/chat/completions", chat("down-model", false)),
        ("/v1/chat/completions", chat("hang-gpt", false)),
        ("/v1/chat/completions", chat("nope", false)),
        (
            "/v1/messages",
            json!({"model": "claude-sonnet-4-5", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}),
        ),
        (
            "/v1/messages",
            json!({"model": "break-claude", "max_tokens": 1, "stream": true, "messages": [{"role": "user", "content": "x"}]}),
        ),
        ("/v1/messages", json!({"model": "claude-sonnet-4-5"})),
        (
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": "x".repeat(70_000)}),
        ),
    ] {
        let resp = h.post_raw(path, body.to_string()).await;
        bodies.push_str(&format!("{:?}", resp.headers()));
        if let Ok(c) = http_body_util::BodyExt::collect(resp.into_body()).await {
            bodies.push_str(&String::from_utf8_lossy(&c.to_bytes()));
        }
    }
    // The keys did go out, to the upstream only.
    assert!(h
        .upstream
        .requests()
        .iter()
        .any(|r| r.header("authorization") == Some(&format!("Bearer {OPENAI_KEY}"))));
    assert!(h
        .upstream
        .requests()
        .iter()
        .any(|r| r.header("x-api-key") == Some(ANTHROPIC_KEY)));
    let (_, metrics) = h.get("/metrics").await;
    let debug = format!("{:?} {:?}", credentials(), h.metrics.render());
    h.shutdown().await;

    let logs = cap.text();
    assert!(
        logs.contains("upstream request failed"),
        "logs were captured"
    );
    assert!(
        logs.contains("\"request_id\""),
        "logs are JSON with request ids"
    );
    assert_clean("logs", &logs);
    assert_clean("response bodies and headers", &bodies);
    assert_clean("metrics", &metrics);
    assert_clean("debug output", &debug);
    assert_clean("panic messages", &panics.lock().unwrap());
}
