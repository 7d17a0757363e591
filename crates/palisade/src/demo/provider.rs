//! SIMULATED retrieval model: a tiny OpenAI-compatible chat server on loopback that answers
//! every question with a fixed passage "retrieved" from the lab's document store, JSON or SSE.
//! The demo needs an upstream whose answer carries a planted canary; palisade-gateway's
//! `FakeUpstream` only returns canned text, so this one is told what to answer. It is not a
//! model, and the demo's output labels it as simulated.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Starts the server on `127.0.0.1:0`; it runs until the runtime stops.
pub async fn start(answer: String) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let answer = answer.clone();
                    async move { Ok::<_, Infallible>(respond(req, &answer).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    Ok(addr)
}

async fn respond(req: http::Request<Incoming>, answer: &str) -> http::Response<Full<Bytes>> {
    let body = req.into_body().collect().await.map(|c| c.to_bytes());
    let v: serde_json::Value = body
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let model = v["model"].as_str().unwrap_or("roadmap-rag").to_owned();
    let (content_type, text) = if v["stream"].as_bool().unwrap_or(false) {
        // Small deltas, so the canary arrives split across events: the gateway's stream
        // scanner has to join them to see it.
        let mut sse = String::new();
        for c in answer.as_bytes().chunks(24) {
            let ev = json!({
                "id": "chatcmpl-simulated", "object": "chat.completion.chunk", "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": {"content": String::from_utf8_lossy(c)}, "finish_reason": null}],
            });
            sse.push_str(&format!("data: {ev}\n\n"));
        }
        sse.push_str("data: [DONE]\n\n");
        ("text/event-stream", sse)
    } else {
        let out = json!({
            "id": "chatcmpl-simulated", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        });
        ("application/json", out.to_string())
    };
    let mut resp = http::Response::new(Full::new(Bytes::from(text)));
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    resp
}
