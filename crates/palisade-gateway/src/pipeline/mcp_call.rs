//! The MCP request path (`POST|DELETE /mcp`, `/mcp/{server}`), transport and session half: the
//! same authentication stage as model calls, strict JSON-RPC, `initialize` answered by the
//! gateway with a session bound to the identity, the header checks of both eras, and the
//! audit event every request gets. The tool methods are in `mcp_tools`. Every answer is a
//! JSON-RPC message with the spec's codes.

use super::audit::{self, AuditDraft};
use super::{authenticate_head, limits, route_label, ConnInfo, Shared};
use crate::body::{json, GwBody};
use http::{HeaderValue, Method, StatusCode};
use hyper::body::Incoming;
use palisade_core::{ApiKind, Identity};
use palisade_mcp::headers::{check_sessions, check_stateless, era_of, McpHeaders};
use palisade_mcp::jsonrpc::{parse_message, ErrorCode, Message, Request, RequestId, RpcError};
use palisade_mcp::lifecycle::{
    allowed_before_initialized, discover, initialize, method_kind, GatewayCapabilities, MethodKind,
};
use palisade_mcp::version::Era;
use serde_json::{json, Value};
use std::time::Instant;

/// What this slice serves: tools only (resources and prompts answer -32601).
const CAPS: GatewayCapabilities = GatewayCapabilities {
    tools: true,
    resources: false,
    prompts: false,
    list_changed: false,
};

/// A successful answer: HTTP status, JSON-RPC body (none for 202/204), new session id.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) body: Option<Value>,
    pub(super) session: Option<String>,
}

/// A refusal, answered under the request's id when it had one.
struct Fail {
    error: RpcError,
    id: Option<RequestId>,
}

impl From<RpcError> for Fail {
    fn from(error: RpcError) -> Self {
        Self { error, id: None }
    }
}

pub(super) fn result(id: &RequestId, value: Value) -> Answer {
    Answer {
        status: StatusCode::OK,
        body: Some(json!({"jsonrpc": "2.0", "id": id.to_value(), "result": value})),
        session: None,
    }
}

pub(super) fn refused(message: &'static str) -> RpcError {
    RpcError::refused(message)
}

/// Runs one MCP request and audits it; `server` is the `{server}` of `/mcp/{server}`.
pub(crate) async fn mcp_call(
    shared: &Shared,
    conn: &ConnInfo,
    server: Option<String>,
    req: http::Request<Incoming>,
    request_id: String,
) -> http::Response<GwBody> {
    let started = Instant::now();
    let mut draft = AuditDraft::new(request_id, "mcp");
    let mut nonce = None;
    let outcome = run(shared, conn, server, req, &mut draft, &mut nonce).await;
    let upstream = draft.upstream.clone();
    let (status, body, session) = match outcome {
        Ok(a) => (a.status, a.body, a.session),
        Err(f) => (
            StatusCode::from_u16(f.error.http_status).unwrap_or(StatusCode::BAD_REQUEST),
            Some(f.error.to_response(f.id.as_ref())),
            None,
        ),
    };
    let now = shared.stages.clock.now_millis();
    let mut resp =
        match audit::record(shared.stages.audit.as_ref(), now, draft, status.as_u16()).await {
            Ok(_) => {
                let mut r = json(status, body.map(|b| b.to_string()).unwrap_or_default());
                if let Some(v) = session.and_then(|s| HeaderValue::from_str(&s).ok()) {
                    r.headers_mut().insert("mcp-session-id", v);
                }
                r
            }
            // Nothing is answered that the log did not record.
            Err(_) => json(
                StatusCode::SERVICE_UNAVAILABLE,
                RpcError::new(ErrorCode::InternalError, "internal error", 503)
                    .to_response(None)
                    .to_string(),
            ),
        };
    if let Some(v) = nonce.and_then(|n: String| HeaderValue::from_str(&n).ok()) {
        resp.headers_mut().insert("dpop-nonce", v);
    }
    shared.metrics.record(
        route_label(ApiKind::Mcp),
        resp.status().as_u16(),
        upstream.as_deref(),
        started.elapsed(),
    );
    resp
}

async fn run(
    shared: &Shared,
    conn: &ConnInfo,
    server: Option<String>,
    req: http::Request<Incoming>,
    draft: &mut AuditDraft,
    nonce: &mut Option<String>,
) -> Result<Answer, Fail> {
    let cfg = &shared.config.server;
    let (parts, body) = req.into_parts();
    // Streamable HTTP: an `Origin` the gateway does not serve is a DNS-rebinding attempt.
    if let Some(origin) = parts.headers.get(http::header::ORIGIN) {
        let known = origin
            .to_str()
            .is_ok_and(|o| conn.origins.iter().any(|k| k == o));
        if !known {
            return Err(RpcError::new(ErrorCode::InvalidRequest, "origin not allowed", 403).into());
        }
    }
    limits::check_declared_length(&parts.headers, cfg.body_limit_bytes)
        .map_err(|_| RpcError::new(ErrorCode::InvalidRequest, "message too large", 413))?;
    let identity = authenticate_head(shared, conn, &parts.method, &parts.uri, &parts.headers)
        .map_err(|e| {
            draft.detail = Some(audit::auth_detail(&e.code));
            *nonce = e.dpop_nonce.clone();
            let message = if e.status == StatusCode::FORBIDDEN {
                "forbidden"
            } else {
                "authentication required"
            };
            RpcError::new(ErrorCode::Refused, message, e.status.as_u16())
        })?;
    draft.identity = Some(identity.clone());
    let mcp = &shared.mcp;
    if let Some(name) = &server {
        if mcp.server(name).is_none() {
            return Err(RpcError::new(ErrorCode::InvalidRequest, "unknown MCP server", 404).into());
        }
    }
    let pairs: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    let headers = McpHeaders::from_pairs(pairs);
    if parts.method == Method::DELETE {
        draft.action = "end_session";
        mcp.sessions
            .terminate(headers.session_id.as_deref(), &identity.id)
            .map_err(|e| e.to_rpc())?;
        return Ok(Answer {
            status: StatusCode::NO_CONTENT,
            body: None,
            session: None,
        });
    }
    let bytes = limits::read_body(body, cfg.body_limit_bytes, cfg.request_timeout)
        .await
        .map_err(|e| {
            RpcError::new(
                ErrorCode::InvalidRequest,
                "message could not be read",
                e.status.as_u16(),
            )
        })?;
    draft.body(&bytes);
    let limit = usize::try_from(cfg.body_limit_bytes).unwrap_or(usize::MAX);
    let message = parse_message(&bytes, limit).map_err(|f| Fail {
        error: f.error,
        id: f.id,
    })?;
    let req = match message {
        Message::Request(r) => r,
        Message::Notification(n) => {
            draft.action = "mcp_notification";
            if n.method == "notifications/initialized" {
                mcp.sessions
                    .mark_initialized(headers.session_id.as_deref(), &identity.id)
                    .map_err(|e| e.to_rpc())?;
            }
            // Other notifications (cancellation, progress) end here: nothing is in flight
            // that they could concern once the answer was sent.
            return Ok(Answer {
                status: StatusCode::ACCEPTED,
                body: None,
                session: None,
            });
        }
        Message::Response(_) => {
            // The gateway sends no requests to clients, so no response is expected.
            return Err(RpcError::invalid_request("unexpected response").into());
        }
    };
    let id = req.id.clone();
    request(shared, &identity, server.as_deref(), &headers, req, draft)
        .await
        .map_err(|error| Fail {
            error,
            id: Some(id),
        })
}

async fn request(
    shared: &Shared,
    identity: &Identity,
    server: Option<&str>,
    headers: &McpHeaders,
    req: Request,
    draft: &mut AuditDraft,
) -> Result<Answer, RpcError> {
    let mcp = &shared.mcp;
    let era = era_of(headers, &req.method);
    let kind = method_kind(&req.method)
        .ok_or_else(|| RpcError::method_not_found(if era == Era::Stateless { 404 } else { 200 }))?;
    if req.method == "initialize" {
        draft.action = "initialize";
        let init = initialize(&req, CAPS)?;
        let session = mcp
            .sessions
            .create(&identity.id, init.version)
            .map_err(|e| e.to_rpc())?;
        let mut a = result(&req.id, init.result);
        a.session = Some(session);
        return Ok(a);
    }
    match era {
        Era::Sessions => {
            let view = mcp
                .sessions
                .resume(headers.session_id.as_deref(), &identity.id)
                .map_err(|e| e.to_rpc())?;
            check_sessions(headers, &req, view.version)?;
            if !view.initialized && !allowed_before_initialized(&req.method) {
                return Err(RpcError::invalid_request("session not initialized"));
            }
        }
        Era::Stateless => {
            check_stateless(headers, &req)?;
        }
    }
    match (kind, req.method.as_str()) {
        (MethodKind::Local, "ping") => Ok(result(&req.id, json!({}))),
        (MethodKind::Local, "server/discover") => Ok(result(&req.id, discover(CAPS))),
        (_, "tools/list") => {
            super::mcp_tools::list_tools(shared, identity, server, &req, draft).await
        }
        (_, "tools/call") => {
            super::mcp_tools::call_tool(shared, identity, server, req, draft).await
        }
        _ => Err(RpcError::method_not_found(if era == Era::Stateless {
            404
        } else {
            200
        })),
    }
}
