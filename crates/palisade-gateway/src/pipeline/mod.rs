//! The request path of DESIGN.md §2 as an explicit, ordered chain — one file per stage, each
//! saying why it stands where it does:
//!
//! 1. accept: TLS 1.3 (`server.rs`)
//! 2. [`limits`]
//! 3. [`authenticate`]
//! 4. [`normalize`]
//! 5. [`inspect`]
//! 6. [`behavior`]
//! 7. [`authorize`]
//! 8. [`route`]
//! 9. [`forward`]
//! 10. [`audit`], wrapped around all of the above: it records whichever stage ended the call.
//!
//! `GET /v1/models` ([`list_models`]) runs stages 3, 7 (once per configured model) and 10.

mod audit;
mod authenticate;
mod authorize;
mod behavior;
mod control;
mod forward;
mod inspect;
mod limits;
mod list_models;
mod normalize;
mod route;
mod stream_audit;

pub(crate) use authorize::Permitted;
pub(crate) use control::control_call;
pub(crate) use inspect::apply_redactions;
pub(crate) use list_models::list_models;

use crate::body::GwBody;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::stages::Stages;
use crate::upstream::UpstreamClient;
use audit::AuditDraft;
use hyper::body::Incoming;
use palisade_config::Config;
use palisade_core::ApiKind;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Everything a request needs, shared by all connections.
pub(crate) struct Shared {
    pub config: Arc<Config>,
    pub stages: Stages,
    pub upstreams: HashMap<String, UpstreamClient>,
    pub keys: HashMap<String, SecretString>,
    pub metrics: Metrics,
}

/// Per-connection facts the pipeline needs.
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    /// SHA-256 of the client certificate (DER), if one was presented.
    pub client_cert_sha256: Option<[u8; 32]>,
    /// The `Host` the listener answers to when the request has none (for DPoP `htu`).
    pub authority: Arc<str>,
}

/// The action name policy and behaviour see for each API.
fn action_of(api: ApiKind) -> &'static str {
    match api {
        ApiKind::OpenAiEmbeddings => "embed",
        ApiKind::Mcp => "call_tool",
        _ => "invoke_model",
    }
}

/// Metric label of each API route.
pub(crate) fn route_label(api: ApiKind) -> &'static str {
    match api {
        ApiKind::OpenAiChat => "chat_completions",
        ApiKind::OpenAiResponses => "responses",
        ApiKind::OpenAiEmbeddings => "embeddings",
        ApiKind::OpenAiModels => "models",
        ApiKind::AnthropicMessages => "messages",
        ApiKind::Mcp => "mcp",
    }
}

/// Stage 3 on a request head: the URL the client addressed (for DPoP `htu`) is rebuilt from its
/// `Host` (or the listener's authority) and path.
fn authenticate_head(
    shared: &Shared,
    conn: &ConnInfo,
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
) -> Result<palisade_core::Identity, ApiError> {
    let authority = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or(&conn.authority);
    let url = format!("https://{authority}{}", uri.path());
    authenticate::run(
        shared.stages.authenticator.as_ref(),
        method.as_str(),
        &url,
        headers,
        conn.client_cert_sha256,
    )
}

/// Runs one model call through every stage and returns the caller's response.
pub(crate) async fn model_call(
    shared: &Shared,
    conn: &ConnInfo,
    api: ApiKind,
    req: http::Request<Incoming>,
    request_id: String,
) -> http::Response<GwBody> {
    let started = Instant::now();
    let guard = shared.metrics.in_flight();
    let mut draft = AuditDraft::new(request_id, action_of(api));
    let result = stages_2_to_9(shared, conn, api, req, &mut draft, guard).await;
    let upstream = draft.upstream.clone();
    let status = match &result {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.status.as_u16(),
    };
    // Stage 10, outermost: record whichever stage ended the call; a failed append replaces the
    // response (a stream has not started yet at this point, so nothing was sent).
    let now = shared.stages.clock.now_millis();
    let response = match audit::record(shared.stages.audit.as_ref(), now, draft, status).await {
        Ok(_) => match result {
            Ok(r) => r,
            Err(e) => e.response(api),
        },
        Err(e) => e.response(api),
    };
    shared.metrics.record(
        route_label(api),
        response.status().as_u16(),
        upstream.as_deref(),
        started.elapsed(),
    );
    response
}

async fn stages_2_to_9(
    shared: &Shared,
    conn: &ConnInfo,
    api: ApiKind,
    req: http::Request<Incoming>,
    draft: &mut AuditDraft,
    guard: crate::metrics::InFlight,
) -> Result<http::Response<GwBody>, ApiError> {
    let server = &shared.config.server;
    let stages = &shared.stages;
    let (parts, body) = req.into_parts();

    // 2. limits (declared size; the body is read under the same limit after authentication)
    limits::check_declared_length(&parts.headers, server.body_limit_bytes)?;

    // 3. authenticate
    let identity = authenticate_head(shared, conn, &parts.method, &parts.uri, &parts.headers)
        .inspect_err(|e| draft.detail = Some(audit::auth_detail(&e.code)))?;
    draft.identity = Some(identity.clone());

    // 4. normalize
    let bytes = limits::read_body(body, server.body_limit_bytes, server.request_timeout).await?;
    draft.body(&bytes);
    let mut call = normalize::run(&shared.config, api, &bytes)?;
    draft.resource = Some(call.route.name.clone());
    draft.upstream = Some(call.upstream.name.clone());
    draft.destination = Some(call.upstream.destination.as_str().to_owned());

    // 5. inspect the request
    let inspection = match inspect::run(stages.inspector.as_deref(), &mut call) {
        Ok(i) => i,
        Err(refused) => {
            let (e, findings) = *refused;
            draft.findings = findings;
            return Err(e);
        }
    };
    draft.findings = inspection.findings.clone();

    // 6. behaviour
    let score = behavior::run(
        stages.behavior.as_deref(),
        stages.clock.as_ref(),
        &identity,
        draft.action,
        &call,
        &inspection.findings,
    );
    draft.anomaly = score.clone();

    // 7. authorize
    let permitted = match authorize::run(
        stages.authorizer.as_ref(),
        stages.clock.as_ref(),
        &identity,
        draft.action,
        call,
        &inspection,
        score.as_ref(),
    ) {
        Ok(p) => p,
        Err(denied) => {
            let (e, decision) = *denied;
            draft.decision = Some(decision);
            if let Some(b) = &stages.behavior {
                b.outcome(&identity, true, false, stages.clock.now_millis());
            }
            return Err(e);
        }
    };
    draft.decision = Some(permitted.decision().clone());

    // 8. route
    let upstream_name = permitted.get().upstream.name.clone();
    let request = route::run(permitted, &parts.headers, &shared.keys)?;
    let client = shared
        .upstreams
        .get(&upstream_name)
        .ok_or_else(|| ApiError::internal("no_upstream_client"))?;

    // 9. forward and stream back
    let sent = forward::send(client, request, &shared.metrics).await;
    if let Some(b) = &stages.behavior {
        b.outcome(&identity, false, sent.is_err(), stages.clock.now_millis());
    }
    forward::relay(shared, api, sent?, guard, upstream_name, draft).await
}
