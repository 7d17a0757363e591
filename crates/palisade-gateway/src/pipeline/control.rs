//! The control-plane route (`/v1/enroll*`, `/.well-known/*`, `/admin/*`). It skips stages 3–9:
//! these endpoints authenticate their callers themselves (attestation evidence, admin
//! credential), so the gateway applies only the limits (size, timeout, JSON syntax), runs the
//! handler off the reactor under the request timeout, and audits every call (event_type
//! `control`, no body content) before answering — failing closed with 503 when the record
//! cannot be made. Bodies are never logged.

use super::audit::{append_durable, outcome_of};
use super::{limits, ConnInfo, Shared};
use crate::body::{full, GwBody};
use crate::control::{ControlPlane, ControlRequest, ControlResponse};
use crate::error::ApiError;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::StatusCode;
use hyper::body::Incoming;
use palisade_core::{ApiKind, AuditEvent, Effect};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

/// Response headers a handler may not set: the gateway frames the body itself.
const FRAMING: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "trailer",
];

/// Handles one control-plane request: limits, handler, audit, response.
pub(crate) async fn control_call(
    shared: &Shared,
    conn: &ConnInfo,
    plane: Arc<dyn ControlPlane>,
    req: http::Request<Incoming>,
    request_id: String,
) -> http::Response<GwBody> {
    let started = Instant::now();
    let _guard = shared.metrics.in_flight();
    let (parts, body) = req.into_parts();
    let action = format!("{} {}", parts.method, parts.uri.path());
    let server = &shared.config.server;
    let mut bytes_in = 0u64;
    let mut request_sha256 = None;
    let mut audit_identity = None;
    let mut audit_detail = None;
    let result = async {
        // The control plane is anonymous: its own small limit, checked on the declared length
        // and then while reading, so no caller makes the gateway buffer more than that.
        let limit = server.control_body_limit_bytes;
        limits::check_declared_length(&parts.headers, limit)?;
        let body = limits::read_body(body, limit, server.request_timeout).await?;
        bytes_in = body.len() as u64;
        request_sha256 = Some(hex::encode(Sha256::digest(&body)));
        // Every control endpoint takes JSON: malformed input is refused here, uniformly in the
        // OpenAI error format, before the handler sees it.
        if !body.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
            return Err(ApiError::bad_request("the request body is not valid JSON"));
        }
        let answer = run_handler(
            plane,
            &parts,
            body,
            conn,
            &request_id,
            server.request_timeout,
        )
        .await?;
        match answer {
            Some(mut r) => {
                audit_identity = r.audit_identity.take().map(bounded);
                audit_detail = r.audit_detail.take().map(bounded);
                render(r)
            }
            None => Err(ApiError::unknown_route(parts.uri.path())),
        }
    }
    .await;
    let (status, bytes_out, response_sha256) = match &result {
        Ok((status, _, body)) => (
            status.as_u16(),
            body.len() as u64,
            Some(hex::encode(Sha256::digest(body))),
        ),
        Err(e) => {
            // The gateway refused or failed the call itself: its code is the detail.
            audit_detail.get_or_insert_with(|| e.code.to_string());
            (e.status.as_u16(), 0, None)
        }
    };
    let outcome = outcome_of(status);
    let event = AuditEvent {
        time_ms: shared.stages.clock.now_millis(),
        request_id,
        event_type: "control".into(),
        identity: audit_identity,
        segment: None,
        action,
        resource: None,
        upstream: None,
        destination: None,
        decision: if status < 400 {
            Effect::Allow
        } else {
            Effect::Deny
        },
        policy_ids: Vec::new(),
        findings: Vec::new(),
        anomaly_score: None,
        bytes_in,
        bytes_out,
        latency_us: started.elapsed().as_micros() as u64,
        status,
        outcome,
        request_sha256,
        response_sha256,
        detail: audit_detail,
    };
    let response = match append_durable(shared.stages.audit.as_ref(), event).await {
        Err(e) => e.response(ApiKind::OpenAiChat),
        Ok(_) => match result {
            Err(e) => e.response(ApiKind::OpenAiChat),
            Ok((status, headers, body)) => {
                let mut r = http::Response::new(full(body));
                *r.status_mut() = status;
                *r.headers_mut() = headers;
                r
            }
        },
    };
    shared.metrics.record(
        "control",
        response.status().as_u16(),
        None,
        started.elapsed(),
    );
    response
}

/// Longest handler-supplied audit attribution kept (characters); the rest is cut so a handler
/// bug cannot bloat every control record.
const MAX_AUDIT_TEXT: usize = 256;

fn bounded(s: String) -> String {
    if s.chars().count() <= MAX_AUDIT_TEXT {
        return s;
    }
    let mut out: String = s.chars().take(MAX_AUDIT_TEXT).collect();
    out.push('…');
    out
}

/// Runs the handler on a blocking thread (it may touch storage or verify evidence) under the
/// request timeout. A panic or a timeout is a gateway error, never the handler's detail.
async fn run_handler(
    plane: Arc<dyn ControlPlane>,
    parts: &http::request::Parts,
    body: Bytes,
    conn: &ConnInfo,
    request_id: &str,
    timeout: std::time::Duration,
) -> Result<Option<ControlResponse>, ApiError> {
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let headers = parts.headers.clone();
    let cert = conn.client_cert_sha256;
    let peer = conn.peer;
    let url = conn.public_url(&parts.headers, parts.uri.path());
    let rid = request_id.to_owned();
    let task = tokio::task::spawn_blocking(move || {
        plane.handle(&ControlRequest {
            method: &method,
            path: &path,
            query: query.as_deref(),
            headers: &headers,
            url: &url,
            body: &body,
            peer,
            client_cert_sha256: cert,
            request_id: &rid,
        })
    });
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(_)) => {
            tracing::error!("control-plane handler panicked");
            Err(ApiError::internal("control_plane_failed"))
        }
        Err(_) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "control_plane_timeout",
            "the control plane did not answer in time",
        )),
    }
}

/// Status, headers and JSON body of the handler's answer; an answer that cannot be sent as
/// given (bad status, bad header) is a 500 rather than a silently altered response.
fn render(r: ControlResponse) -> Result<(StatusCode, http::HeaderMap, Bytes), ApiError> {
    let invalid = || ApiError::internal("control_plane_invalid_response");
    let status = StatusCode::from_u16(r.status).map_err(|_| invalid())?;
    let body = serde_json::to_vec(&r.body).map_err(|_| invalid())?;
    let mut headers = http::HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Enrollment answers carry tokens (RFC 6749 §5.1); a handler may relax this (JWKS).
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in r.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        if FRAMING.contains(&name.as_str()) {
            continue;
        }
        let value = HeaderValue::from_str(&value).map_err(|_| invalid())?;
        if name == CONTENT_TYPE || name == CACHE_CONTROL {
            headers.insert(name, value);
        } else {
            headers.append(name, value);
        }
    }
    Ok((status, headers, Bytes::from(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn render_sets_json_no_store_and_drops_framing_headers() {
        let (s, h, b) = render(
            ControlResponse::json(201, json!({"ok": true}))
                .with_header("content-length", "999")
                .with_header("dpop-nonce", "n1"),
        )
        .unwrap();
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(h[CONTENT_TYPE], "application/json");
        assert_eq!(h[CACHE_CONTROL], "no-store");
        assert_eq!(h["dpop-nonce"], "n1");
        assert!(h.get("content-length").is_none());
        assert_eq!(&b[..], br#"{"ok":true}"#);
        let jwks = render(
            ControlResponse::json(200, json!({})).with_header("Cache-Control", "max-age=300"),
        )
        .unwrap();
        assert_eq!(jwks.1[CACHE_CONTROL], "max-age=300");
    }

    #[test]
    fn audit_attribution_is_bounded() {
        assert_eq!(bounded("enrolled".into()), "enrolled");
        let long = bounded("x".repeat(1000));
        assert_eq!(long.chars().count(), MAX_AUDIT_TEXT + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn render_refuses_bad_status_and_headers() {
        for bad in [
            ControlResponse::json(42, json!({})),
            ControlResponse::json(200, json!({})).with_header("bad name", "v"),
            ControlResponse::json(200, json!({})).with_header("x", "line\nbreak"),
        ] {
            assert_eq!(render(bad).unwrap_err().status, 500);
        }
    }
}
