//! SIMULATED upstream: a small plain-HTTP server on loopback that answers the OpenAI
//! (chat completions, responses, embeddings) and Anthropic (messages) APIs with fixed canned
//! content, JSON or SSE. It is not a model; it exists for tests, interop runs and benchmarks.
//! It records every request it receives so tests can assert what the gateway sent.
//!
//! Behaviour is chosen by the model name it receives: containing `slow` streams with 300 ms
//! between chunks, `hang` never answers, `break` drops the connection mid-stream.

use crate::body::{full, BodyError, GwBody};
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The canned assistant text, split as it is streamed.
pub const CANNED_PARTS: [&str; 5] = ["Hello", " from", " the", " simulated", " upstream."];

/// One request as the upstream received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Path.
    pub path: String,
    /// Header (name, value) pairs, lowercase names.
    pub headers: Vec<(String, String)>,
    /// Parsed JSON body (Null if not JSON).
    pub body: Value,
}

impl RecordedRequest {
    /// The value of header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A running simulated upstream.
#[derive(Debug, Clone)]
pub struct FakeUpstream {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl FakeUpstream {
    /// Binds `addr` (use port 0 in tests) and serves in the background.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let rec = requests.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let rec = rec.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let rec = rec.clone();
                        async move { Ok::<_, std::convert::Infallible>(answer(req, rec).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
        Ok(Self { addr, requests })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().clone()
    }
}

async fn answer(
    req: http::Request<Incoming>,
    rec: Arc<Mutex<Vec<RecordedRequest>>>,
) -> http::Response<GwBody> {
    let path = req.uri().path().to_owned();
    if path == "/_simulated/requests" {
        // For out-of-process interop tests: what the gateway sent, headers included (a loopback
        // test fixture that only ever holds test keys).
        let list: Vec<Value> = rec
            .lock()
            .iter()
            .map(|r| {
                let headers: std::collections::BTreeMap<_, _> = r.headers.iter().cloned().collect();
                json!({"path": r.path, "headers": headers, "body": r.body})
            })
            .collect();
        return json_response(Value::Array(list));
    }
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                v.to_str().unwrap_or("<binary>").to_owned(),
            )
        })
        .collect();
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    rec.lock().push(RecordedRequest {
        path: path.clone(),
        headers,
        body: body.clone(),
    });
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if model.contains("hang") {
        std::future::pending::<()>().await;
    }
    let events = match (path.as_str(), stream) {
        ("/v1/chat/completions", false) => return json_response(chat_json(&model)),
        ("/v1/chat/completions", true) => chat_events(&model),
        ("/v1/responses", false) => return json_response(response_json(&model)),
        ("/v1/responses", true) => responses_events(&model),
        ("/v1/embeddings", _) => return json_response(embeddings_json(&model, &body)),
        ("/v1/messages", false) => return json_response(message_json(&model)),
        ("/v1/messages", true) => anthropic_events(&model),
        _ => {
            let mut r = json_response(
                json!({"error": {"message": "not found", "type": "invalid_request_error"}}),
            );
            *r.status_mut() = http::StatusCode::NOT_FOUND;
            return r;
        }
    };
    sse_response(events, model.contains("slow"), model.contains("break"))
}

fn json_response(v: Value) -> http::Response<GwBody> {
    let mut r = http::Response::new(full(v.to_string()));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn sse_response(events: Vec<String>, slow: bool, broken: bool) -> http::Response<GwBody> {
    let stream = futures_util::stream::unfold(
        (events.into_iter(), 0usize),
        move |(mut it, n)| async move {
            if broken && n > 0 {
                // Let the chunks so far reach the wire before the connection is dropped.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if broken && n == 3 {
                return Some((
                    Err(BodyError::from("simulated upstream disconnect")),
                    (it, usize::MAX),
                ));
            }
            if n == usize::MAX {
                return None;
            }
            let ev = it.next()?;
            if slow && n > 0 {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Some((Ok(Frame::data(Bytes::from(ev))), (it, n + 1)))
        },
    );
    let mut r = http::Response::new(StreamBody::new(stream).boxed_unsync());
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/event-stream"),
    );
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-cache"),
    );
    r
}

fn data(v: Value) -> String {
    format!("data: {v}\n\n")
}

fn typed(ty: &str, v: Value) -> String {
    format!("event: {ty}\ndata: {v}\n\n")
}

fn canned() -> String {
    CANNED_PARTS.concat()
}

fn chat_json(model: &str) -> Value {
    json!({"id": "chatcmpl-sim1", "object": "chat.completion", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": canned(), "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}})
}

fn chat_events(model: &str) -> Vec<String> {
    let chunk = |delta: Value, finish: Value| {
        data(
            json!({"id": "chatcmpl-sim1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]}),
        )
    };
    let mut v = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    v.extend(
        CANNED_PARTS
            .iter()
            .map(|p| chunk(json!({"content": p}), Value::Null)),
    );
    v.push(chunk(json!({}), json!("stop")));
    v.push("data: [DONE]\n\n".into());
    v
}

fn response_obj(model: &str, status: &str, text: Option<&str>) -> Value {
    let output = match text {
        Some(t) => {
            json!([{"id": "msg_sim1", "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": t, "annotations": []}]}])
        }
        None => json!([]),
    };
    json!({"id": "resp_sim1", "object": "response", "created_at": 1_700_000_000, "status": status, "model": model,
        "output": output, "parallel_tool_calls": true, "tool_choice": "auto", "tools": [], "error": null, "incomplete_details": null,
        "instructions": null, "metadata": {}, "temperature": 1.0, "top_p": 1.0,
        "usage": {"input_tokens": 5, "output_tokens": 5, "total_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}})
}

fn response_json(model: &str) -> Value {
    response_obj(model, "completed", Some(&canned()))
}

fn responses_events(model: &str) -> Vec<String> {
    let mut seq = 0u64;
    let mut ev = |ty: &str, mut v: Value| {
        if let Some(o) = v.as_object_mut() {
            o.insert("type".into(), json!(ty));
            o.insert("sequence_number".into(), json!(seq));
        }
        seq += 1;
        typed(ty, v)
    };
    let part_empty = json!({"type": "output_text", "text": "", "annotations": []});
    let item_empty = json!({"id": "msg_sim1", "type": "message", "status": "in_progress", "role": "assistant", "content": []});
    let mut out = vec![
        ev(
            "response.created",
            json!({"response": response_obj(model, "in_progress", None)}),
        ),
        ev(
            "response.output_item.added",
            json!({"output_index": 0, "item": item_empty}),
        ),
        ev(
            "response.content_part.added",
            json!({"item_id": "msg_sim1", "output_index": 0, "content_index": 0, "part": part_empty}),
        ),
    ];
    for p in CANNED_PARTS {
        out.push(ev("response.output_text.delta", json!({"item_id": "msg_sim1", "output_index": 0, "content_index": 0, "delta": p, "logprobs": []})));
    }
    let text = canned();
    out.push(ev("response.output_text.done", json!({"item_id": "msg_sim1", "output_index": 0, "content_index": 0, "text": text, "logprobs": []})));
    out.push(ev("response.content_part.done", json!({"item_id": "msg_sim1", "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}})));
    out.push(ev("response.output_item.done", json!({"output_index": 0, "item": {"id": "msg_sim1", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]}})));
    out.push(ev(
        "response.completed",
        json!({"response": response_obj(model, "completed", Some(&text))}),
    ));
    out
}

fn embeddings_json(model: &str, body: &Value) -> Value {
    let n = match body.get("input") {
        Some(Value::Array(a)) => a.len(),
        _ => 1,
    };
    let data: Vec<Value> = (0..n)
        .map(|i| json!({"object": "embedding", "index": i, "embedding": [0.25, -0.5, i as f64]}))
        .collect();
    json!({"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": 3, "total_tokens": 3}})
}

fn message_json(model: &str) -> Value {
    json!({"id": "msg_sim1", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": canned()}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 5, "output_tokens": 5}})
}

fn anthropic_events(model: &str) -> Vec<String> {
    let mut out = vec![
        typed(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_sim1", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 5, "output_tokens": 1}}}),
        ),
        typed(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        typed("ping", json!({"type": "ping"})),
    ];
    for p in CANNED_PARTS {
        out.push(typed("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}})));
    }
    out.push(typed(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    out.push(typed("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 5}})));
    out.push(typed("message_stop", json!({"type": "message_stop"})));
    out
}
