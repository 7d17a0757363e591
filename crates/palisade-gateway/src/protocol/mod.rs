//! Protocol adapters: each supported API's request JSON -> the provider-neutral `Exchange`
//! (every text leaf with its JSON Pointer, found by the one [`walk`]er under the adapter's
//! envelope table), the signals that are not text, and the shared error type of parsing.

pub mod anthropic_messages;
pub(crate) mod embedded;
pub(crate) mod envelope;
pub mod openai_chat;
pub mod openai_embeddings;
pub mod openai_responses;
pub mod pointer;
pub mod walk;

use palisade_core::{ApiKind, Exchange};
use serde_json::Value;
use std::collections::BTreeSet;
pub use walk::Signal;

/// A parsed request: what inspection reads and what only policy can decide on.
#[derive(Debug, Clone)]
pub struct Request {
    /// The provider-neutral view: every text leaf of the body.
    pub exchange: Exchange,
    /// Leaves whose text is not the JSON string at their path (decoded payloads, object
    /// keys): redacting them in place is impossible, so a redaction there refuses.
    pub derived: BTreeSet<String>,
    /// Opaque attachments and provider-side egress found in the body (and, added by the
    /// caller, in the request headers).
    pub signals: Vec<Signal>,
}

impl Request {
    /// Builds a request from its walk.
    pub(crate) fn new(
        api: ApiKind,
        model: String,
        stream: bool,
        walked: walk::Walked,
        tools: Vec<String>,
    ) -> Self {
        Self {
            exchange: Exchange {
                api,
                model,
                stream,
                leaves: walked.leaves,
                tools,
            },
            derived: walked.derived,
            signals: walked.signals,
        }
    }
}

/// Why a request body is not a valid request of its API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all.
    #[error("request body is not valid JSON: {0}")]
    Json(String),
    /// JSON, but not an object with the required fields.
    #[error("invalid request: {0}")]
    Shape(String),
}

/// Parses a request body of `api` into its JSON value and `Request`.
pub fn parse_request(api: ApiKind, body: &[u8]) -> Result<(Value, Request), ParseError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ParseError::Json(e.to_string()))?;
    let ex = exchange_of(api, &v)?;
    Ok((v, ex))
}

/// Builds the request view of an already parsed body.
pub fn exchange_of(api: ApiKind, v: &Value) -> Result<Request, ParseError> {
    if !v.is_object() {
        return Err(ParseError::Shape("body must be a JSON object".into()));
    }
    match api {
        ApiKind::OpenAiChat => openai_chat::parse(v),
        ApiKind::OpenAiResponses => openai_responses::parse(v),
        ApiKind::OpenAiEmbeddings => openai_embeddings::parse(v),
        ApiKind::AnthropicMessages => anthropic_messages::parse(v),
        ApiKind::OpenAiModels | ApiKind::Mcp => {
            Err(ParseError::Shape("this route takes no request body".into()))
        }
    }
}

/// The required string `model` field.
pub(crate) fn model_of(v: &Value) -> Result<String, ParseError> {
    match v.get("model") {
        Some(Value::String(m)) if !m.is_empty() => Ok(m.clone()),
        Some(_) => Err(ParseError::Shape(
            "`model` must be a non-empty string".into(),
        )),
        None => Err(ParseError::Shape("missing required field `model`".into())),
    }
}

/// The optional boolean `stream` field.
pub(crate) fn stream_of(v: &Value) -> Result<bool, ParseError> {
    match v.get("stream") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ParseError::Shape("`stream` must be a boolean".into())),
    }
}
