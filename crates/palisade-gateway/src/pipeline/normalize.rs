//! Stage 4 — normalize. The body (already size-limited) is parsed into the provider-neutral
//! `Exchange`, and the model is resolved to its route, so every later stage decides on the same
//! structure whatever API the caller spoke.

use crate::error::ApiError;
use crate::protocol::{parse_request, ParseError, Request, Signal};
use bytes::Bytes;
use http::HeaderMap;
use palisade_config::{Config, ModelRoute, UpstreamConfig};
use palisade_core::{ApiKind, Exchange};
use serde_json::Value;
use std::collections::BTreeSet;

/// A parsed, routed call: what inspection, behaviour and policy look at.
#[derive(Debug, Clone)]
pub(crate) struct Normalized {
    /// The provider-neutral view.
    pub exchange: Exchange,
    /// The parsed body (redactions are applied to it).
    pub json: Value,
    /// Leaves whose text is not the string at their path (see [`Request::derived`]).
    pub derived: BTreeSet<String>,
    /// Opaque attachments and provider-side egress of the body and headers: data classes for
    /// policy, added to the findings by inspection.
    pub signals: Vec<Signal>,
    /// The model route.
    pub route: ModelRoute,
    /// The upstream it goes to.
    pub upstream: UpstreamConfig,
    /// Request body length.
    pub bytes_in: u64,
}

/// Parses and routes a request body; `headers` are the caller's (beta feature headers that
/// route would pass on are provider-side egress).
pub(crate) fn run(
    config: &Config,
    api: ApiKind,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Normalized, ApiError> {
    let (json, request) = parse_request(api, body).map_err(|e| match e {
        ParseError::Json(_) => ApiError::bad_request("request body is not valid JSON"),
        ParseError::Shape(m) => ApiError::bad_request(m),
    })?;
    let Request {
        exchange,
        derived,
        mut signals,
    } = request;
    for name in super::route::forwarded_beta_headers(headers) {
        signals.push(Signal::egress("", name));
    }
    let route = config
        .model(&exchange.model)
        .ok_or_else(|| ApiError::unknown_model(&exchange.model))?
        .clone();
    let upstream = config
        .upstream(&route.upstream)
        .ok_or_else(|| ApiError::internal("route_without_upstream"))?
        .clone();
    // No translation between wire APIs: an Anthropic upstream only takes /v1/messages and an
    // OpenAI one only the OpenAI routes.
    if upstream.kind.speaks_openai() == api.is_anthropic() {
        return Err(ApiError::bad_request(format!(
            "model `{}` is served by an upstream that does not speak this API; use the {} endpoint",
            route.name,
            if api.is_anthropic() {
                "OpenAI"
            } else {
                "Anthropic /v1/messages"
            }
        )));
    }
    Ok(Normalized {
        exchange,
        json,
        derived,
        signals,
        route,
        upstream,
        bytes_in: body.len() as u64,
    })
}
