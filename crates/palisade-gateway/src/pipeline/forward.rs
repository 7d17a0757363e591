//! Stage 9 — forward and stream back. Sends the permitted request, then relays the response:
//! frame by frame as it arrives (no whole-body buffering, so time to first byte is kept), through
//! the SSE filter when an inspector is configured. Non-streamed responses with an inspector are
//! inspected whole (bounded) before release. The in-flight guard rides inside the body, and
//! dropping the body (client gone) drops the upstream connection, which cancels upstream work.

use super::authorize::Permitted;
use super::inspect::{apply_redactions, blocked};
use crate::body::{full, BodyError, GwBody};
use crate::error::ApiError;
use crate::metrics::{InFlight, Metrics};
use crate::protocol::pointer::collect_strings;
use crate::stream::SseFilter;
use crate::upstream::{UpstreamClient, UpstreamFailure, UpstreamRequest};
use bytes::Bytes;
use http::header;
use http_body_util::{BodyExt, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use palisade_core::{ApiKind, Exchange, Inspector, LeafKind};
use std::sync::Arc;

/// Largest non-streamed upstream response that is buffered for inspection.
const MAX_INSPECTED_RESPONSE: usize = 32 * 1024 * 1024;

/// Hop-by-hop headers (RFC 9110 §7.6.1) are never relayed.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

/// Sends the request and waits for the response head.
pub(crate) async fn send(
    client: &UpstreamClient,
    req: Permitted<UpstreamRequest>,
    metrics: &Metrics,
) -> Result<http::Response<Incoming>, ApiError> {
    let name = req.get().upstream.clone();
    client.send(req).await.map_err(|f| match f {
        UpstreamFailure::Timeout => {
            metrics.upstream_error(&name, "timeout");
            ApiError::upstream_timeout(&name)
        }
        UpstreamFailure::Unavailable => {
            metrics.upstream_error(&name, "connect");
            ApiError::upstream_unavailable(&name)
        }
    })
}

/// Builds the caller's response from the upstream's.
pub(crate) async fn relay(
    api: ApiKind,
    resp: http::Response<Incoming>,
    inspector: Option<Arc<dyn Inspector>>,
    guard: InFlight,
    metrics: Metrics,
    upstream: String,
) -> Result<http::Response<GwBody>, ApiError> {
    let (mut parts, body) = resp.into_parts();
    for h in HOP_BY_HOP {
        parts.headers.remove(*h);
    }
    let is_sse = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    let body = match inspector {
        None => passthrough(body, guard, metrics, upstream),
        Some(insp) if is_sse => match SseFilter::new(api, insp) {
            Some(filter) => {
                parts.headers.remove(header::CONTENT_LENGTH);
                filtered(body, filter, guard, metrics, upstream)
            }
            None => passthrough(body, guard, metrics, upstream),
        },
        Some(insp) => {
            let bytes = inspect_whole(api, body, insp.as_ref()).await?;
            parts
                .headers
                .insert(header::CONTENT_LENGTH, bytes.len().into());
            drop(guard);
            full(bytes)
        }
    };
    Ok(http::Response::from_parts(parts, body))
}

fn passthrough(body: Incoming, guard: InFlight, metrics: Metrics, upstream: String) -> GwBody {
    let stream = futures_util::stream::unfold(Some((body, guard)), move |state| {
        let metrics = metrics.clone();
        let upstream = upstream.clone();
        async move {
            let (mut body, guard) = state?;
            match body.frame().await {
                None => None,
                Some(Ok(frame)) => Some((Ok(frame), Some((body, guard)))),
                Some(Err(e)) => {
                    metrics.upstream_error(&upstream, "stream");
                    tracing::warn!(upstream = %upstream, error = %e, "upstream stream broke");
                    Some((Err(BodyError::from("upstream stream ended abruptly")), None))
                }
            }
        }
    });
    StreamBody::new(stream).boxed_unsync()
}

struct FilterState {
    body: Incoming,
    filter: SseFilter,
    _guard: InFlight,
    done: bool,
}

fn filtered(
    body: Incoming,
    filter: SseFilter,
    guard: InFlight,
    metrics: Metrics,
    upstream: String,
) -> GwBody {
    let init = FilterState {
        body,
        filter,
        _guard: guard,
        done: false,
    };
    let stream = futures_util::stream::unfold(init, move |mut st| {
        let metrics = metrics.clone();
        let upstream = upstream.clone();
        async move {
            loop {
                if st.done {
                    return None;
                }
                match st.body.frame().await {
                    None => {
                        st.done = true;
                        let out = st.filter.finish();
                        return Some((Ok(Frame::data(Bytes::from(out))), st));
                    }
                    Some(Ok(frame)) => {
                        let Ok(data) = frame.into_data() else {
                            continue;
                        };
                        let out = st.filter.push(&data);
                        if st.filter.is_cut() {
                            // Ending here drops the upstream body: the upstream call is cancelled.
                            st.done = true;
                            tracing::warn!(upstream = %upstream, "stream cut by inspection");
                        }
                        if out.is_empty() && !st.done {
                            continue;
                        }
                        return Some((Ok(Frame::data(Bytes::from(out))), st));
                    }
                    Some(Err(_)) => {
                        metrics.upstream_error(&upstream, "stream");
                        st.done = true;
                        return Some((Err(BodyError::from("upstream stream ended abruptly")), st));
                    }
                }
            }
        }
    });
    StreamBody::new(stream).boxed_unsync()
}

/// Buffers a non-streamed response (bounded), inspects every string of it as assistant text,
/// and returns the bytes to send: unchanged, redacted, or refused when blocked. Error bodies from
/// the upstream are inspected the same way.
async fn inspect_whole(
    api: ApiKind,
    body: Incoming,
    insp: &dyn Inspector,
) -> Result<Bytes, ApiError> {
    let bytes = Limited::new(body, MAX_INSPECTED_RESPONSE)
        .collect()
        .await
        .map_err(|_| {
            ApiError::new(
                http::StatusCode::BAD_GATEWAY,
                "upstream_response_invalid",
                "the upstream response could not be read",
            )
        })?
        .to_bytes();
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        // Not JSON: inspect it as one text.
        let ex = Exchange {
            api,
            model: String::new(),
            stream: false,
            leaves: vec![palisade_core::TextLeaf::new(
                "",
                LeafKind::Assistant,
                String::from_utf8_lossy(&bytes),
            )],
            tools: Vec::new(),
        };
        let ins = insp.inspect(&ex);
        if ins.block || !ins.redactions.is_empty() {
            return Err(blocked(&ins));
        }
        return Ok(bytes);
    };
    let mut ex = Exchange {
        api,
        model: String::new(),
        stream: false,
        leaves: Vec::new(),
        tools: Vec::new(),
    };
    // Structural fields are not content; everything else the model produced is.
    collect_strings(
        &json,
        "",
        LeafKind::Assistant,
        &[
            "id",
            "object",
            "type",
            "role",
            "model",
            "finish_reason",
            "stop_reason",
            "status",
            "system_fingerprint",
        ],
        &mut ex.leaves,
    );
    let ins = insp.inspect(&ex);
    if ins.block {
        return Err(blocked(&ins));
    }
    if ins.redactions.is_empty() {
        return Ok(bytes);
    }
    apply_redactions(&mut json, &ins.redactions)?;
    Ok(Bytes::from(json.to_string()))
}
