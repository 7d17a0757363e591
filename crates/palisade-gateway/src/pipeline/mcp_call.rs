//! The MCP request path (`POST|DELETE /mcp`, `/mcp/{server}`): the same authentication stage
//! as model calls, strict JSON-RPC, `initialize` answered by the gateway with a session bound to
//! the identity, `tools/list` fetched from the servers through the pins, `tools/call` routed,
//! its arguments inspected by the one walker and decided by Cedar (`call_tool`), sent with the
//! server's vault credential, and its result inspected before it is relayed. Every answer is a
//! JSON-RPC message with the spec's codes, and every request is one audit event.

use super::audit::{self, AuditDraft, ResponseFacts};
use super::authorize::{permit, RequestFacts};
use super::{apply_redactions, authenticate_head, limits, route_label, ConnInfo, Shared};
use crate::body::{json, GwBody};
use crate::mcp::inspect::WalkInspector;
use crate::mcp::upstream::McpServerClient;
use http::{HeaderValue, Method, StatusCode};
use hyper::body::Incoming;
use palisade_core::{ApiKind, Finding, Identity, Inspection, LeafKind};
use palisade_mcp::catalog::Catalog;
use palisade_mcp::cedar_inputs::{arguments_digest, McpServerAttributes, ToolAttributes};
use palisade_mcp::federation::{Exposure, Federation, NAMESPACE_SEPARATOR};
use palisade_mcp::headers::{check_sessions, check_stateless, era_of, McpHeaders};
use palisade_mcp::inspect::{definition_auto_approvable, ValueInspector};
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
struct Answer {
    status: StatusCode,
    body: Option<Value>,
    session: Option<String>,
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

fn result(id: &RequestId, value: Value) -> Answer {
    Answer {
        status: StatusCode::OK,
        body: Some(json!({"jsonrpc": "2.0", "id": id.to_value(), "result": value})),
        session: None,
    }
}

fn refused(message: &'static str) -> RpcError {
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
        (_, "tools/list") => list_tools(shared, identity, server, &req, draft).await,
        (_, "tools/call") => call_tool(shared, identity, server, req, draft).await,
        _ => Err(RpcError::method_not_found(if era == Era::Stateless {
            404
        } else {
            200
        })),
    }
}

fn attributes(s: &McpServerClient) -> McpServerAttributes {
    McpServerAttributes {
        name: s.config.name.clone(),
        destination: s.config.destination,
        segment: s.config.segment.clone(),
    }
}

/// The servers a request addresses.
fn scope<'a>(shared: &'a Shared, server: Option<&str>) -> Vec<&'a McpServerClient> {
    match server {
        Some(n) => shared.mcp.server(n).into_iter().collect(),
        None => shared.mcp.servers.iter().collect(),
    }
}

fn exposure(server: Option<&str>) -> Exposure {
    if server.is_some() {
        Exposure::Single
    } else {
        Exposure::Federated
    }
}

/// Fetches the tool definitions of each server the identity may list (`list_tools`), under
/// that permission. A server that fails or refuses contributes nothing (fail closed).
async fn fetch_lists(
    shared: &Shared,
    identity: &Identity,
    servers: &[&McpServerClient],
) -> Vec<(String, Vec<Value>)> {
    let stages = &shared.stages;
    let mut lists = Vec::new();
    for s in servers {
        let resource = attributes(s).resource_ref();
        let Ok(proof) = permit(
            stages.authorizer.as_ref(),
            stages.clock.as_ref(),
            identity,
            "list_tools",
            &resource,
            RequestFacts::default(),
            (),
        ) else {
            continue;
        };
        match s.call(&proof, "tools/list", json!({})).await {
            Ok(r) => {
                let tools = r
                    .get("tools")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                lists.push((s.config.name.clone(), tools));
            }
            Err(_) => tracing::warn!(server = %s.config.name, "MCP server tools/list failed"),
        }
    }
    lists
}

/// The federation of `lists` seen through the pins; first sightings are auto-approved only
/// where the server allows it and the definition inspects clean.
fn catalog(shared: &Shared, lists: &[(String, Vec<Value>)], server: Option<&str>) -> Catalog {
    let walker = WalkInspector::new(shared.stages.inspector.clone());
    let federation = Federation::build(
        exposure(server),
        lists.iter().map(|(n, t)| (n.as_str(), &t[..])),
    );
    for r in federation.refused() {
        tracing::warn!(refusal = ?r, "MCP tool not exposed");
    }
    let c = Catalog::build(
        federation,
        shared.mcp.pins.as_ref(),
        shared.stages.clock.now_millis(),
        |e| {
            shared
                .mcp
                .server(&e.server)
                .is_some_and(|s| s.config.auto_approve)
                && definition_auto_approvable(&walker, &e.definition)
        },
    );
    for t in c.changed() {
        tracing::warn!(server = %t.entry.server, tool = %t.entry.name, "MCP tool definition changed since approval; hidden until re-approved");
    }
    c
}

async fn list_tools(
    shared: &Shared,
    identity: &Identity,
    server: Option<&str>,
    req: &Request,
    draft: &mut AuditDraft,
) -> Result<Answer, RpcError> {
    draft.action = "list_tools";
    draft.resource = Some(server.unwrap_or("*").to_owned());
    let servers = scope(shared, server);
    let lists = fetch_lists(shared, identity, &servers).await;
    let catalog = catalog(shared, &lists, server);
    let stages = &shared.stages;
    // A tool no call could be permitted is not listed.
    let listed: Vec<Value> = catalog
        .listed()
        .into_iter()
        .filter(|t| {
            let Some(tool) = t
                .get("name")
                .and_then(Value::as_str)
                .and_then(|n| catalog.tool(n))
            else {
                return false;
            };
            let Some(s) = shared.mcp.server(&tool.entry.server) else {
                return false;
            };
            let attrs = ToolAttributes::of(tool, &attributes(s));
            permit(
                stages.authorizer.as_ref(),
                stages.clock.as_ref(),
                identity,
                "call_tool",
                &attrs.resource_ref(),
                RequestFacts::default(),
                (),
            )
            .is_ok()
        })
        .collect();
    let total: usize = lists.iter().map(|(_, t)| t.len()).sum();
    draft.detail = Some(format!("listed {} of {total} tools", listed.len()));
    Ok(result(&req.id, json!({ "tools": listed })))
}

/// The server a `tools/call` addresses, from its exposed name.
fn target<'a>(
    shared: &'a Shared,
    server: Option<&str>,
    req: &Request,
) -> Result<&'a McpServerClient, RpcError> {
    let name = req
        .param_str("name")
        .ok_or_else(|| RpcError::invalid_params("tools/call needs a string name"))?;
    let server = match server {
        Some(s) => s,
        None => name
            .split_once(NAMESPACE_SEPARATOR)
            .map(|(s, _)| s)
            .ok_or_else(|| RpcError::invalid_params("unknown tool"))?,
    };
    shared
        .mcp
        .server(server)
        .ok_or_else(|| RpcError::invalid_params("unknown tool"))
}

/// Inspects `value` in place: refuses blocked content, applies redactions.
fn inspect(
    walker: &WalkInspector,
    value: &mut Value,
    role: LeafKind,
    found: &mut Vec<Finding>,
    blocked: &'static str,
) -> Result<Inspection, RpcError> {
    let inspection = walker.inspect_value(value, role);
    found.extend(inspection.findings.iter().cloned());
    if inspection.block || apply_redactions(value, &inspection.redactions).is_err() {
        return Err(refused(blocked));
    }
    Ok(inspection)
}

async fn call_tool(
    shared: &Shared,
    identity: &Identity,
    server: Option<&str>,
    req: Request,
    draft: &mut AuditDraft,
) -> Result<Answer, RpcError> {
    draft.action = "call_tool";
    draft.resource = req.param_str("name").map(|n| n.chars().take(128).collect());
    let stages = &shared.stages;
    let s = target(shared, server, &req)?;
    draft.upstream = Some(s.config.name.clone());
    draft.destination = Some(s.config.destination.as_str().to_owned());
    // The definitions are read fresh, so a rug pull since the last listing is caught here.
    let lists = fetch_lists(shared, identity, &[s]).await;
    if lists.is_empty() {
        return Err(refused("tool not available"));
    }
    let catalog = catalog(shared, &lists, server);
    let approved = catalog.admit_call(&req)?;
    let tool = catalog
        .tool(&approved.routed.entry.exposed)
        .ok_or_else(RpcError::internal)?;
    let attrs = ToolAttributes::of(tool, &attributes(s));
    let mut params = approved.routed.request.params.clone().unwrap_or_default();
    let walker = WalkInspector::new(stages.inspector.clone());
    let mut findings = Vec::new();
    let mut arguments = params.remove("arguments").unwrap_or(json!({}));
    let found = inspect(
        &walker,
        &mut arguments,
        LeafKind::ToolCallArguments,
        &mut findings,
        "arguments refused by inspection",
    );
    draft.findings = findings.clone();
    let inspection = found?;
    draft.detail = Some(format!(
        "definition sha256 {}; arguments sha256 {}",
        approved.definition_hash,
        arguments_digest(Some(&arguments))
    ));
    let facts = RequestFacts {
        data_classes: inspection.data_classes(),
        score: None,
        request_bytes: draft.bytes_in,
        streaming: false,
    };
    params.insert("arguments".into(), arguments);
    let proof = permit(
        stages.authorizer.as_ref(),
        stages.clock.as_ref(),
        identity,
        "call_tool",
        &attrs.resource_ref(),
        facts,
        (),
    )
    .map_err(|d| {
        draft.decision = Some(d);
        refused("refused by policy")
    })?;
    draft.decision = Some(proof.decision().clone());
    let mut out = s.call(&proof, "tools/call", Value::Object(params)).await?;
    let mut result_findings = Vec::new();
    let relayed = inspect(
        &walker,
        &mut out,
        LeafKind::ToolResult,
        &mut result_findings,
        "tool result withheld by inspection",
    );
    let answer = relayed.map(|_| result(&req.id, out));
    let body = answer
        .as_ref()
        .ok()
        .and_then(|a| a.body.as_ref())
        .map(|b| b.to_string())
        .unwrap_or_default();
    draft.response = Some(ResponseFacts::of(body.as_bytes(), result_findings));
    answer
}
