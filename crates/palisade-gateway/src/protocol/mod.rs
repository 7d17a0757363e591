//! Protocol adapters: each supported API's request JSON -> the provider-neutral `Exchange`
//! (every text leaf with its JSON Pointer), plus the shared error type of parsing.

pub mod anthropic_messages;
pub mod openai_chat;
pub mod openai_embeddings;
pub mod openai_responses;
pub mod pointer;

use palisade_core::{ApiKind, Exchange};
use serde_json::Value;

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

/// Parses a request body of `api` into its JSON value and `Exchange`.
pub fn parse_request(api: ApiKind, body: &[u8]) -> Result<(Value, Exchange), ParseError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ParseError::Json(e.to_string()))?;
    let ex = exchange_of(api, &v)?;
    Ok((v, ex))
}

/// Builds the exchange of an already parsed body.
pub fn exchange_of(api: ApiKind, v: &Value) -> Result<Exchange, ParseError> {
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
