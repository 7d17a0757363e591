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
mod mcp_call;
mod mcp_tools;
mod normalize;
mod route;
mod stream_audit;

pub(crate) use authorize::Permitted;
pub(crate) use control::control_call;
pub(crate) use inspect::{apply_redactions, signal_finding};
pub(crate) use list_models::list_models;
pub(crate) use mcp_call::mcp_call;

use crate::body::GwBody;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::stages::Stages;
use crate::upstream::UpstreamClient;
use audit::AuditDraft;
use hyper::body::Incoming;
use palisade_config::Config;
use palisade_core::{ApiKind, RefusedBy};
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
    /// Witness lag (`[audit] witnesses`), set once before serving.
    pub witness: std::sync::OnceLock<Arc<palisade_audit::WitnessStatus>>,
    pub mcp: crate::mcp::McpState,
}

/// Per-connection facts the pipeline needs.
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    /// SHA-256 of the client certificate (DER), if one was presented.
    pub client_cert_sha256: Option<[u8; 32]>,
    /// The gateway's public origins (`[server] public_origins`, normalized): DPoP `htu` is
    /// compared with these, never with whatever `Host` the client sent.
    pub origins: Arc<[String]>,
    /// The peer's address (per-source budgets of the control plane).
    pub peer: std::net::IpAddr,
}

impl ConnInfo {
    /// The URL a request for `path` addressed, under a configured public origin: the one its
    /// `Host` names if that is configured, else the first. A foreign `Host` thus never becomes
    /// the `htu` a proof is checked against.
    pub(crate) fn public_url(&self, headers: &http::HeaderMap, path: &str) -> String {
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| {
                let h = h.to_ascii_lowercase();
                let h = h.strip_suffix(":443").map(str::to_owned).unwrap_or(h);
                format!("https://{h}")
            });
        let origin = host
            .and_then(|h| self.origins.iter().find(|o| **o == h))
            .or_else(|| self.origins.first())
            .map(String::as_str)
            .unwrap_or("https://invalid");
        format!("{origin}{path}")
    }
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

/// Stage 3 on a request head: the URL checked against DPoP `htu` is the path under the
/// configured public origin (see [`ConnInfo::public_url`]).
pub(crate) fn authenticate_head(
    shared: &Shared,
    conn: &ConnInfo,
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
) -> Result<palisade_core::Identity, ApiError> {
    let url = conn.public_url(headers, uri.path());
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

    // 2. limits (declared size; the body is read under the same limit after authentication),
    // and the audit log's witness lag: past it, nothing is appended that nobody outside saw.
    crate::witness_client::gate(shared)?;
    limits::check_declared_length(&parts.headers, server.body_limit_bytes)?;

    // 3. authenticate
    let identity = authenticate_head(shared, conn, &parts.method, &parts.uri, &parts.headers)
        .inspect_err(|e| draft.detail = Some(audit::auth_detail(&e.code)))?;
    draft.identity = Some(identity.clone());

    // 4. normalize
    let bytes = limits::read_body(body, server.body_limit_bytes, server.request_timeout).await?;
    draft.body(&bytes);
    let mut call = normalize::run(&shared.config, api, &parts.headers, &bytes)?;
    draft.resource = Some(call.route.name.clone());
    draft.upstream = Some(call.upstream.name.clone());
    draft.destination = Some(call.upstream.destination.as_str().to_owned());

    // 5. inspect the request
    let tls = conn.client_cert_sha256.map(hex::encode);
    let client = behavior::client_facts(conn, &parts.headers, tls.as_deref());
    let inspection = match inspect::run(stages.inspector.as_deref(), &mut call) {
        Ok(i) => i,
        Err(refused) => {
            let (e, findings) = *refused;
            // A blocked attempt is evidence: behaviour sees its findings and its refusal.
            draft.anomaly = behavior::run(
                stages.behavior.as_deref(),
                stages.clock.as_ref(),
                &identity,
                draft.action,
                &call,
                &findings,
                client,
                Some(RefusedBy::Inspection),
            );
            if let Some(b) = &stages.behavior {
                b.outcome(&identity, true, false, stages.clock.now_millis());
            }
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
        client,
        None,
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

    // 7b. cumulative document exposure, once policy allows (a denied call sends nothing): a
    // protected document split into chunks too small to be findings is refused here, before
    // the call that would pass the share allowed outside the organization leaves.
    if let Some(b) = &stages.behavior {
        let now = stages.clock.now_millis();
        let dest = permitted.get().upstream.destination;
        if let Err(doc) = b.document_exposure(&identity, dest, &inspection.doc_exposure, now) {
            b.outcome(&identity, true, false, now);
            draft.detail = Some(inspect::exposure_detail(&doc));
            return Err(inspect::exposure_blocked(&doc));
        }
    }

    // 8. route
    let upstream_name = permitted.get().upstream.name.clone();
    let request = route::run(permitted, &parts.headers, &shared.keys)?;
    let client = shared
        .upstreams
        .get(&upstream_name)
        .ok_or_else(|| ApiError::internal("no_upstream_client"))?;

    // 9. forward and stream back — in sync mode only once the decision is durable.
    audit::record_decision(stages.audit.as_ref(), stages.clock.now_millis(), draft).await?;
    let sent = forward::send(client, request, &shared.metrics).await;
    if let Some(b) = &stages.behavior {
        b.outcome(&identity, false, sent.is_err(), stages.clock.now_millis());
    }
    forward::relay(shared, api, sent?, guard, upstream_name, draft).await
}
