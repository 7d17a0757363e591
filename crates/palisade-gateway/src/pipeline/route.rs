//! Stage 8 — route. Only after authorization: the permitted call becomes the upstream request —
//! model renamed, caller credentials dropped (headers are copied from an allowlist, so the
//! caller's `Authorization`, `DPoP` and `x-api-key` never leave), and the provider key from the
//! vault injected on this egress request only.

use super::authorize::Permitted;
use super::normalize::Normalized;
use crate::error::ApiError;
use crate::upstream::UpstreamRequest;
use http::{HeaderMap, HeaderValue};
use palisade_config::UpstreamKind;
use palisade_core::ApiKind;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

/// Caller headers that are safe to pass on (protocol negotiation only, no credentials).
const PASS_HEADERS: &[&str] = &[
    "accept",
    "anthropic-version",
    "anthropic-beta",
    "openai-beta",
];
const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";

/// The caller's beta feature headers (`*-beta`) that [`run`] passes on: they switch on
/// provider features (server tools, MCP connectors, file fetching) the body does not show, so
/// normalize reports them as provider-side egress for policy.
pub(crate) fn forwarded_beta_headers(
    caller: &HeaderMap,
) -> impl Iterator<Item = &'static str> + '_ {
    PASS_HEADERS
        .iter()
        .copied()
        .filter(|n| n.ends_with("-beta") && caller.contains_key(*n))
}

/// The upstream path of each API.
pub(crate) fn api_path(api: ApiKind) -> &'static str {
    match api {
        ApiKind::OpenAiChat => "/v1/chat/completions",
        ApiKind::OpenAiResponses => "/v1/responses",
        ApiKind::OpenAiEmbeddings => "/v1/embeddings",
        ApiKind::AnthropicMessages => "/v1/messages",
        ApiKind::OpenAiModels => "/v1/models",
        ApiKind::Mcp => "/mcp",
    }
}

/// Builds the upstream request from a permitted call.
pub(crate) fn run(
    permitted: Permitted<Normalized>,
    caller: &HeaderMap,
    keys: &HashMap<String, SecretString>,
) -> Result<Permitted<UpstreamRequest>, ApiError> {
    let call = permitted.get();
    let uri: http::Uri = format!("{}{}", call.upstream.base_url, api_path(call.exchange.api))
        .parse()
        .map_err(|_| ApiError::internal("bad_upstream_url"))?;
    let mut json = call.json.clone();
    if let Some(obj) = json.as_object_mut() {
        obj.insert(
            "model".into(),
            serde_json::Value::String(call.route.upstream_model.clone()),
        );
    }
    let body = serde_json::to_vec(&json).map_err(|_| ApiError::internal("serialize_failed"))?;

    let mut headers = HeaderMap::new();
    for name in PASS_HEADERS {
        if let Some(v) = caller.get(*name) {
            headers.insert(*name, v.clone());
        }
    }
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(cred) = &call.upstream.credential {
        // Loaded at startup; a missing key here means the cache and config disagree: fail closed.
        let key = keys
            .get(cred)
            .ok_or_else(|| ApiError::internal("credential_unavailable"))?;
        match call.upstream.kind {
            UpstreamKind::Anthropic => {
                headers.insert("x-api-key", secret_header(key.expose_secret())?);
            }
            UpstreamKind::OpenAi | UpstreamKind::OpenAiCompatible => {
                headers.insert(
                    http::header::AUTHORIZATION,
                    secret_header(&format!("Bearer {}", key.expose_secret()))?,
                );
            }
        }
    }
    if call.upstream.kind == UpstreamKind::Anthropic && !headers.contains_key("anthropic-version") {
        headers.insert(
            "anthropic-version",
            HeaderValue::from_static(DEFAULT_ANTHROPIC_VERSION),
        );
    }
    let upstream = call.upstream.name.clone();
    let timeout = call.upstream.request_timeout;
    Ok(permitted.map(|_| UpstreamRequest {
        upstream,
        uri,
        headers,
        body: body.into(),
        timeout,
    }))
}

/// A header value marked sensitive (hyper's HPACK and Debug skip it).
fn secret_header(v: &str) -> Result<HeaderValue, ApiError> {
    let mut h = HeaderValue::from_str(v)
        .map_err(|_| ApiError::internal("credential_not_a_header_value"))?;
    h.set_sensitive(true);
    Ok(h)
}
