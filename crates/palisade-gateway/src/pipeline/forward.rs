//! Stage 9 — forward and stream back. Sends the permitted request, then relays the response.
//! Event streams go frame by frame as they arrive (no whole-body buffering, so time to first
//! byte is kept), through the SSE filter when an inspector is configured, and are recorded at
//! their end (`stream_audit`). Non-streamed responses are buffered (bounded) and inspected whole
//! before release, so their single audit event has the response size, hash and findings. The
//! in-flight guard rides inside a streamed body, and dropping the body (client gone) drops the
//! upstream connection, which cancels upstream work.

use super::audit::{AuditDraft, ResponseFacts};
use super::authorize::Permitted;
use super::inspect::{apply_redactions, blocked};
use super::stream_audit::{StreamEnd, StreamRecorder};
use super::Shared;
use crate::body::{full, BodyError, GwBody};
use crate::error::ApiError;
use crate::metrics::{InFlight, Metrics};
use crate::stream::{response_envelope, string_leaves, strip_logprobs, KeyScrubber, SseFilter};
use crate::upstream::{UpstreamClient, UpstreamFailure, UpstreamRequest};
use bytes::Bytes;
use http::header;
use http_body_util::{BodyExt, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use palisade_core::{ApiKind, Exchange, Finding, Inspector, LeafKind};
use secrecy::ExposeSecret;

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

/// Builds the caller's response from the upstream's. Event streams are relayed frame by frame
/// (through the SSE filter when an inspector is configured) and recorded at their end; every
/// other response is buffered (bounded), inspected when an inspector is configured, and its
/// size, hash and findings go into the call's single audit event.
pub(crate) async fn relay(
    shared: &Shared,
    api: ApiKind,
    resp: http::Response<Incoming>,
    guard: InFlight,
    upstream: String,
    draft: &mut AuditDraft,
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
    let inspector = shared.stages.inspector.clone();
    // Every provider key the gateway holds, scrubbed from whatever the upstream sends back.
    let keys = KeyScrubber::new(shared.keys.values().map(|k| k.expose_secret().to_owned()));
    keys.scrub_headers(&mut parts.headers);
    let body = if is_sse {
        // Every event stream is re-rendered from inspected events; an API without one fails.
        let Some(filter) = SseFilter::new(api, inspector, keys) else {
            return Err(ApiError::new(
                http::StatusCode::BAD_GATEWAY,
                "upstream_response_invalid",
                "the upstream sent an event stream for an API that does not stream",
            ));
        };
        let filter = Some(filter);
        parts.headers.remove(header::CONTENT_LENGTH);
        let (rec, slot) =
            StreamRecorder::new(shared.stages.audit.clone(), shared.stages.clock.clone());
        draft.tail = Some(slot);
        let state = Relay {
            body,
            filter,
            rec,
            _guard: guard,
            metrics: shared.metrics.clone(),
            upstream,
            done: false,
        };
        let stream = futures_util::stream::unfold(state, |mut st| async move {
            let item = st.next().await?;
            Some((item, st))
        });
        StreamBody::new(stream).boxed_unsync()
    } else {
        let bytes = read_whole(body).await?;
        let (bytes, findings) = match inspector {
            None => (bytes, Vec::new()),
            Some(insp) => match inspect_whole(api, bytes, insp.as_ref()) {
                Ok(r) => r,
                Err(refused) => {
                    let (e, findings) = *refused;
                    draft.response = Some(ResponseFacts {
                        findings,
                        ..Default::default()
                    });
                    return Err(e);
                }
            },
        };
        let (bytes, findings) = scrub_keys(bytes, findings, &keys);
        draft.response = Some(ResponseFacts::of(&bytes, findings));
        parts
            .headers
            .insert(header::CONTENT_LENGTH, bytes.len().into());
        drop(guard);
        full(bytes)
    };
    Ok(http::Response::from_parts(parts, body))
}

/// One streamed response in flight: the upstream body, the optional filter, the recorder of
/// what the client got, and the in-flight guard (dropped with the body).
struct Relay {
    body: Incoming,
    filter: Option<SseFilter>,
    rec: StreamRecorder,
    _guard: InFlight,
    metrics: Metrics,
    upstream: String,
    done: bool,
}

fn audit_withheld() -> BodyError {
    BodyError::from("the end of the stream could not be recorded in the audit log")
}

impl Relay {
    /// The next frame for the client; `None` at the end.
    async fn next(&mut self) -> Option<Result<Frame<Bytes>, BodyError>> {
        loop {
            if self.done {
                return None;
            }
            match self.body.frame().await {
                None => {
                    self.done = true;
                    let out = Bytes::from(
                        self.filter
                            .as_mut()
                            .map(SseFilter::finish)
                            .unwrap_or_default(),
                    );
                    self.take_findings();
                    self.rec.sent(&out);
                    if self.rec.finish(StreamEnd::Completed).await.is_err() {
                        return Some(Err(audit_withheld()));
                    }
                    return (!out.is_empty()).then(|| Ok(Frame::data(out)));
                }
                Some(Ok(frame)) => {
                    let data = match frame.into_data() {
                        Ok(d) => d,
                        // Trailers pass through unfiltered streams; a filtered stream drops them.
                        Err(other) if self.filter.is_none() => return Some(Ok(other)),
                        Err(_) => continue,
                    };
                    let out = match self.filter.as_mut() {
                        None => data,
                        Some(f) => Bytes::from(f.push(&data)),
                    };
                    self.take_findings();
                    self.rec.sent(&out);
                    if self.filter.as_ref().is_some_and(SseFilter::is_cut) {
                        // Ending here drops the upstream body: the upstream call is cancelled.
                        self.done = true;
                        let why = self
                            .filter
                            .as_ref()
                            .and_then(|f| f.cut_reason)
                            .unwrap_or("");
                        tracing::warn!(upstream = %self.upstream, reason = why, "stream cut by inspection");
                        if self.rec.finish(StreamEnd::Cut).await.is_err() {
                            return Some(Err(audit_withheld()));
                        }
                        return Some(Ok(Frame::data(out)));
                    }
                    if out.is_empty() {
                        continue;
                    }
                    return Some(Ok(Frame::data(out)));
                }
                Some(Err(e)) => {
                    self.done = true;
                    self.metrics.upstream_error(&self.upstream, "stream");
                    tracing::warn!(upstream = %self.upstream, error = %e, "upstream stream broke");
                    // The client sees a truncated stream either way; the record says why.
                    let _ = self.rec.finish(StreamEnd::UpstreamError).await;
                    return Some(Err(BodyError::from("upstream stream ended abruptly")));
                }
            }
        }
    }

    fn take_findings(&mut self) {
        if let Some(f) = self.filter.as_mut() {
            self.rec.found(std::mem::take(&mut f.findings));
        }
    }
}

/// Reads a non-streamed upstream response, bounded.
async fn read_whole(body: Incoming) -> Result<Bytes, ApiError> {
    Ok(Limited::new(body, MAX_INSPECTED_RESPONSE)
        .collect()
        .await
        .map_err(|_| {
            ApiError::new(
                http::StatusCode::BAD_GATEWAY,
                "upstream_response_invalid",
                "the upstream response could not be read",
            )
        })?
        .to_bytes())
}

/// Inspects every string of a buffered response as assistant text and returns the bytes to
/// send (unchanged or redacted) with the findings, or the refusal (with the findings) when
/// blocked. Error bodies from the upstream are inspected the same way.
fn inspect_whole(
    api: ApiKind,
    bytes: Bytes,
    insp: &dyn Inspector,
) -> Result<(Bytes, Vec<Finding>), super::inspect::Refusal> {
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
            // Redactions cannot be applied to text that is not JSON: refuse instead.
            return Err(Box::new((blocked(&ins), ins.findings)));
        }
        return Ok((bytes, ins.findings));
    };
    let mut ex = Exchange {
        api,
        model: String::new(),
        stream: false,
        leaves: Vec::new(),
        tools: Vec::new(),
    };
    // Structural values are exempt only at exact envelope paths; every other string is content.
    for leaf in string_leaves(&json) {
        if response_envelope(api, &leaf.segs) {
            continue;
        }
        if let Some(serde_json::Value::String(s)) = json.pointer(&leaf.pointer) {
            ex.leaves.push(palisade_core::TextLeaf::new(
                leaf.pointer,
                LeafKind::Assistant,
                s.clone(),
            ));
        }
    }
    let ins = insp.inspect(&ex);
    if ins.block {
        return Err(Box::new((blocked(&ins), ins.findings)));
    }
    if ins.redactions.is_empty() {
        return Ok((bytes, ins.findings));
    }
    if let Err(e) = apply_redactions(&mut json, &ins.redactions) {
        return Err(Box::new((e, ins.findings)));
    }
    // Token log-probabilities spell the text again, token by token: they go with a redaction.
    strip_logprobs(&mut json);
    Ok((Bytes::from(json.to_string()), ins.findings))
}

/// Replaces every provider key in a buffered body: in each JSON string (so escaped forms are
/// caught) and then in the raw bytes (member names, non-JSON bodies). A hit is a finding.
fn scrub_keys(bytes: Bytes, findings: Vec<Finding>, keys: &KeyScrubber) -> (Bytes, Vec<Finding>) {
    let mut out = bytes;
    if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&out) {
        let mut hit = false;
        for leaf in string_leaves(&json) {
            if let Some(serde_json::Value::String(s)) = json.pointer_mut(&leaf.pointer) {
                if let Some(clean) = keys.scrub_str(s) {
                    *s = clean;
                    hit = true;
                }
            }
        }
        if hit {
            strip_logprobs(&mut json);
            out = Bytes::from(json.to_string());
        }
    }
    if let Some(clean) = keys.scrub_bytes(&out) {
        out = Bytes::from(clean);
    }
    (out, findings)
}
