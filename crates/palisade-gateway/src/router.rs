//! Maps method + path to a handler: the model APIs go through the pipeline; the control-plane
//! paths go to the configured `ControlPlane` before any authentication (they authenticate
//! themselves); the model list goes through its own short pipeline (authenticate, authorize per
//! model, audit); health, readiness and metrics are answered directly.

use crate::body::{full, GwBody};
use crate::control::is_control_path;
use crate::error::ApiError;
use crate::pipeline::{control_call, list_models, mcp_call, model_call, ConnInfo, Shared};
use http::{HeaderValue, Method, StatusCode};
use hyper::body::Incoming;
use palisade_core::ApiKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Handles one request; always returns a response (errors are rendered, never propagated).
pub(crate) async fn handle(
    shared: &Shared,
    conn: &ConnInfo,
    ready: &AtomicBool,
    req: http::Request<Incoming>,
) -> http::Response<GwBody> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %req.method(), path = %req.uri().path());
    let _enter = span.enter();
    let started = Instant::now();
    let path = req.uri().path().to_owned();
    drop(_enter);
    let dpop_headers = req.headers().get_all("dpop").iter().count();
    if dpop_headers > 1 {
        // RFC 9449 §4.3 (1): exactly one DPoP header; refused on every route, before any
        // stage could pick one of them.
        let mut r = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "dpop_invalid",
            "more than one DPoP header",
        )
        .response(ApiKind::OpenAiChat);
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            r.headers_mut().insert("x-request-id", v);
        }
        return r;
    }
    let control = shared
        .stages
        .control
        .clone()
        .filter(|_| is_control_path(&path));
    let mut resp = if let Some(plane) = control {
        use tracing::Instrument;
        control_call(shared, conn, plane, req, request_id.clone())
            .instrument(span.clone())
            .await
    } else {
        route(shared, conn, ready, req, &path, &request_id, &span).await
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    // RFC 9449 §8.2: a fresh nonce on every answer to a DPoP caller, success included, so it
    // need not take a 401 when the slot turns.
    if dpop_headers == 1 && !resp.headers().contains_key("dpop-nonce") {
        if let Some(v) = shared
            .stages
            .authenticator
            .dpop_nonce()
            .and_then(|n| HeaderValue::from_str(&n).ok())
        {
            resp.headers_mut().insert("dpop-nonce", v);
        }
    }
    tracing::info!(parent: &span, status = resp.status().as_u16(), latency_us = started.elapsed().as_micros() as u64, "response");
    resp
}

/// Whether this scrape may read `/metrics`: always, unless `[server] metrics_require_admin`,
/// then only with the admin credential (checked by the control plane, which holds it).
fn metrics_allowed(shared: &Shared, headers: &http::HeaderMap) -> bool {
    if !shared.config.server.metrics_require_admin {
        return true;
    }
    let authz = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    shared
        .stages
        .control
        .as_ref()
        .is_some_and(|c| c.authorizes_metrics(authz))
}

/// The model API a path names, if any.
fn api_of(path: &str) -> Option<ApiKind> {
    match path {
        "/v1/chat/completions" => Some(ApiKind::OpenAiChat),
        "/v1/responses" => Some(ApiKind::OpenAiResponses),
        "/v1/embeddings" => Some(ApiKind::OpenAiEmbeddings),
        "/v1/messages" => Some(ApiKind::AnthropicMessages),
        _ => None,
    }
}

/// `Some(None)` for `/mcp` (federated), `Some(Some(server))` for `/mcp/{server}`.
fn mcp_server_of(path: &str) -> Option<Option<String>> {
    if path == "/mcp" {
        return Some(None);
    }
    let name = path.strip_prefix("/mcp/")?;
    (!name.is_empty() && !name.contains('/')).then(|| Some(name.to_owned()))
}

fn text(status: StatusCode, body: impl Into<bytes::Bytes>) -> http::Response<GwBody> {
    let mut r = http::Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain"),
    );
    r
}

/// The routes outside the control plane.
async fn route(
    shared: &Shared,
    conn: &ConnInfo,
    ready: &AtomicBool,
    req: http::Request<Incoming>,
    path: &str,
    request_id: &str,
    span: &tracing::Span,
) -> http::Response<GwBody> {
    let api = api_of(path);
    if let Some(server) = mcp_server_of(path) {
        return match *req.method() {
            Method::POST | Method::DELETE => {
                use tracing::Instrument;
                mcp_call(shared, conn, server, req, request_id.to_owned())
                    .instrument(span.clone())
                    .await
            }
            // No server-initiated stream is offered (Streamable HTTP allows 405 for GET).
            _ => {
                let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "use POST or DELETE\n");
                r.headers_mut().insert(
                    http::header::ALLOW,
                    HeaderValue::from_static("POST, DELETE"),
                );
                r
            }
        };
    }
    match (req.method(), api, path) {
        (&Method::POST, Some(api), _) => {
            use tracing::Instrument;
            model_call(shared, conn, api, req, request_id.to_owned())
                .instrument(span.clone())
                .await
        }
        (_, Some(api), _) => ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "use POST",
        )
        .response(api),
        (&Method::GET, None, "/v1/models") => {
            use tracing::Instrument;
            list_models(shared, conn, req, request_id.to_owned())
                .instrument(span.clone())
                .await
        }
        (&Method::GET, None, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, None, "/readyz") if ready.load(Ordering::Relaxed) => {
            match crate::witness_client::readiness(shared) {
                None => text(StatusCode::OK, "ready\n"),
                Some((true, lag)) => text(StatusCode::OK, format!("ready\n{lag}")),
                Some((false, lag)) => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("witness lag exceeded\n{lag}"),
                ),
            }
        }
        (&Method::GET, None, "/readyz") => text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"),
        (&Method::GET, None, "/metrics") if !metrics_allowed(shared, req.headers()) => {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "admin_unauthorized",
                "/metrics requires the admin credential",
            )
            .response(ApiKind::OpenAiChat)
        }
        (&Method::GET, None, "/metrics") => {
            let mut r = text(StatusCode::OK, shared.metrics.render());
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        }
        _ => ApiError::unknown_route(path).response(ApiKind::OpenAiChat),
    }
}
