//! End-to-end proxying over TLS against the simulated upstream: each API JSON and SSE, routing
//! and renames, credential injection and stripping, error statuses in each API's format, slow
//! and broken streams, and that the gateway keeps serving after every failure.

mod common;

use common::*;
use http_body_util::BodyExt;
use palisade_gateway::dev::fake_upstream::CANNED_PARTS;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn chat_completion_is_routed_renamed_and_credentialed() {
    let h = start().await;
    let (status, headers, body) = h
        .post_json("/v1/chat/completions", chat("gpt-4o-mini", false))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(headers.get("x-request-id").is_some());
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], CANNED_PARTS.concat());
    let reqs = h.upstream.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.body["model"], "fake-gpt", "model renamed on the way out");
    assert_eq!(r.body["messages"][0]["content"], "hi");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
    assert!(r.header("x-api-key").is_none());
    h.shutdown().await;
}

#[tokio::test]
async fn anthropic_messages_get_x_api_key_and_version_and_lose_caller_credentials() {
    let h = start().await;
    let resp = h
        .send(
            "POST",
            "/v1/messages",
            &[("content-type", "application/json"), ("x-api-key", "caller-static-key"), ("dpop", "proof"), ("authorization", "Bearer caller")],
            json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}).to_string(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["content"][0]["text"], CANNED_PARTS.concat());
    let r = &h.upstream.requests()[0];
    assert_eq!(r.header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert!(r.header("authorization").is_none());
    assert!(r.header("dpop").is_none());
    h.shutdown().await;
}

#[tokio::test]
async fn responses_embeddings_and_models() {
    let h = start().await;
    let (s, _, body) = h
        .post_json(
            "/v1/responses",
            json!({"model": "gpt-4o-mini", "input": "hi"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["output"][0]["content"][0]["text"],
        CANNED_PARTS.concat()
    );
    let (s, _, body) = h
        .post_json(
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": ["a", "b"]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (s, body) = h.get("/v1/models").await;
    assert_eq!(s, 200);
    let ids: Vec<String> = serde_json::from_str::<Value>(&body).unwrap()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        ids.contains(&"gpt-4o-mini".to_owned()) && ids.contains(&"claude-sonnet-4-5".to_owned())
    );
    let paths: Vec<String> = h
        .upstream
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths, ["/v1/responses", "/v1/embeddings"]);
    h.shutdown().await;
}

#[tokio::test]
async fn streams_pass_through_for_every_api() {
    let h = start().await;
    let (s, headers, body) = h
        .post_json("/v1/chat/completions", chat("gpt-4o-mini", true))
        .await;
    assert_eq!(s, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let data = sse_data(&body);
    assert_eq!(data.last().unwrap(), "[DONE]");
    let text: String = data
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, CANNED_PARTS.concat());

    let (s, _, body) = h.post_json("/v1/messages", json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!(s, 200);
    assert!(body.contains("event: message_stop"));
    let (s, _, body) = h
        .post_json(
            "/v1/responses",
            json!({"model": "gpt-4o-mini", "stream": true, "input": "x"}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(body.contains("event: response.completed"));
    h.shutdown().await;
}

#[tokio::test]
async fn slow_stream_chunks_arrive_before_the_stream_completes() {
    let h = start().await;
    let started = Instant::now();
    let resp = h
        .post_raw("/v1/chat/completions", chat("slow-gpt", true).to_string())
        .await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).contains("chat.completion.chunk"));
    let mut rest = Vec::new();
    while let Some(f) = body.frame().await {
        if let Ok(d) = f.unwrap().into_data() {
            rest.extend_from_slice(&d);
        }
    }
    let total = started.elapsed();
    // 7 more events at 300 ms each: the first chunk must not have waited for them.
    assert!(total >= Duration::from_millis(1800), "{total:?}");
    assert!(
        first_at < Duration::from_millis(900),
        "first chunk after {first_at:?}"
    );
    assert!(String::from_utf8_lossy(&rest).contains("[DONE]"));
    h.shutdown().await;
}

#[tokio::test]
async fn mid_stream_upstream_disconnect_ends_the_stream_and_gateway_keeps_serving() {
    let h = start().await;
    let resp = h
        .post_raw("/v1/chat/completions", chat("break-gpt", true).to_string())
        .await;
    assert_eq!(resp.status(), 200);
    let collected = resp.into_body().collect().await;
    assert!(
        collected.is_err(),
        "a broken upstream stream must not look complete to the client"
    );
    let (s, _, body) = h
        .post_json("/v1/chat/completions", chat("gpt-4o-mini", false))
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, metrics) = h.get("/metrics").await;
    assert!(
        metrics.contains("palisade_upstream_errors_total{upstream=\"openai\",kind=\"stream\"} 1"),
        "{metrics}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn errors_use_the_callers_format_and_status() {
    let h = start().await;
    // Malformed JSON: 400 (OpenAI format).
    let resp = h.post_raw("/v1/chat/completions", "{not json").await;
    assert_eq!(resp.status(), 400);
    let v: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    // Malformed JSON on the Anthropic route: Anthropic format.
    let resp = h.send("POST", "/v1/messages", &[], "[").await;
    assert_eq!(resp.status(), 400);
    let v: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "invalid_request_error");
    // Unknown model: 404.
    let (s, _, body) = h
        .post_json("/v1/chat/completions", chat("gpt-99", false))
        .await;
    assert_eq!(s, 404, "{body}");
    assert!(body.contains("gpt-99") && body.contains("model_not_found"));
    // Over the body limit (64 KiB in the test config): 413.
    let big = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x".repeat(70_000)}]});
    let (s, _, body) = h.post_json("/v1/chat/completions", big).await;
    assert_eq!(s, 413, "{body}");
    // Upstream refuses connections: 502.
    let (s, _, body) = h
        .post_json("/v1/chat/completions", chat("down-model", false))
        .await;
    assert_eq!(s, 502, "{body}");
    assert!(body.contains("upstream_unavailable"));
    // Upstream never answers: 504 after the upstream's 2 s request timeout.
    let started = Instant::now();
    let (s, _, body) = h
        .post_json("/v1/chat/completions", chat("hang-gpt", false))
        .await;
    assert_eq!(s, 504, "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A model routed to an Anthropic upstream called on an OpenAI route: 400, nothing sent.
    let (s, _, _) = h
        .post_json("/v1/chat/completions", chat("claude-sonnet-4-5", false))
        .await;
    assert_eq!(s, 400);
    // Unknown path: 404; wrong method: 405.
    assert_eq!(h.get("/v2/nothing").await.0, 404);
    assert_eq!(h.get("/v1/chat/completions").await.0, 405);
    // Still serving, and the failures are in the metrics.
    let (s, _, _) = h
        .post_json("/v1/chat/completions", chat("gpt-4o-mini", false))
        .await;
    assert_eq!(s, 200);
    let (_, metrics) = h.get("/metrics").await;
    for needle in [
        "route=\"chat_completions\",status=\"400\"",
        "route=\"chat_completions\",status=\"404\"",
        "route=\"chat_completions\",status=\"413\"",
        "route=\"chat_completions\",status=\"502\",upstream=\"down\"",
        "route=\"chat_completions\",status=\"504\",upstream=\"openai\"",
        "palisade_upstream_errors_total{upstream=\"openai\",kind=\"timeout\"} 1",
        "palisade_request_duration_seconds_bucket{route=\"chat_completions\"",
        "palisade_in_flight_requests",
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
    // Only the hang request and the final good one reached the upstream.
    let paths: Vec<_> = h
        .upstream
        .requests()
        .iter()
        .map(|r| r.body["model"].clone())
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn health_and_readiness() {
    let h = start().await;
    assert_eq!(h.get("/healthz").await, (200, "ok\n".to_owned()));
    assert_eq!(h.get("/readyz").await.0, 200);
    h.shutdown().await;
}

#[tokio::test]
async fn stalled_client_is_disconnected_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = start().await;
    let cfg = tls13_trusting(&h.ca_pem).with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    tls.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut buf)).await;
    assert!(r.is_ok(), "gateway did not close a stalled connection");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let (s, _, _) = h
        .post_json("/v1/chat/completions", chat("gpt-4o-mini", false))
        .await;
    assert_eq!(s, 200);
    h.shutdown().await;
}

#[tokio::test]
async fn shutdown_drains_an_in_flight_stream() {
    let h = start().await;
    let resp = h
        .post_raw("/v1/chat/completions", chat("slow-gpt", true).to_string())
        .await;
    assert_eq!(resp.status(), 200);
    let reader =
        tokio::spawn(async move { resp.into_body().collect().await.map(|c| c.to_bytes()) });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = h.addr;
    h.shutdown().await;
    let body = reader
        .await
        .unwrap()
        .expect("stream completed during drain");
    assert!(String::from_utf8_lossy(&body).contains("[DONE]"));
    // No longer accepting.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
