//! JSON-RPC 2.0 messages as MCP uses them, parsed strictly: one message per body (batches were
//! removed in 2025-06-18 and are refused), `jsonrpc` exactly `"2.0"`, ids a string or an integer
//! (never null, fractional or structured), `params` an object, and no members beyond the spec's.
//! An unknown member is refused rather than forwarded unread.

use super::error::RpcError;
use crate::strict_json::{self, JsonError};
use serde_json::{Map, Value};

/// A request id: a string or an integer (MCP forbids `null`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestId {
    /// A string id.
    String(String),
    /// An integer id (kept as i64; larger unsigned ids are refused).
    Number(i64),
}

impl RequestId {
    /// The id as JSON, for the response.
    pub fn to_value(&self) -> Value {
        match self {
            Self::String(s) => Value::String(s.clone()),
            Self::Number(n) => Value::from(*n),
        }
    }

    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::String(s) => Some(Self::String(s.clone())),
            Value::Number(n) => n.as_i64().map(Self::Number),
            _ => None,
        }
    }
}

/// A request: expects a response with the same id.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The id.
    pub id: RequestId,
    /// The method, e.g. `tools/call`.
    pub method: String,
    /// The parameters (an object), if any.
    pub params: Option<Map<String, Value>>,
}

impl Request {
    /// A string member of `params`, e.g. `name` of `tools/call`.
    pub fn param_str(&self, key: &str) -> Option<&str> {
        self.params.as_ref()?.get(key)?.as_str()
    }

    /// The request as JSON (what is forwarded after rewriting).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("jsonrpc".into(), "2.0".into());
        m.insert("id".into(), self.id.to_value());
        m.insert("method".into(), self.method.clone().into());
        if let Some(p) = &self.params {
            m.insert("params".into(), Value::Object(p.clone()));
        }
        Value::Object(m)
    }
}

/// A notification: no id, no response.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The method, e.g. `notifications/initialized`.
    pub method: String,
    /// The parameters (an object), if any.
    pub params: Option<Map<String, Value>>,
}

/// A response (a client answering a server request in the sessions-based revisions).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The id of the request it answers.
    pub id: RequestId,
    /// `Ok(result)` or `Err(error object)`.
    pub outcome: Result<Value, Value>,
}

/// One JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A response.
    Response(Response),
}

/// Why a body is not a message, with the id to answer under when it could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseFailure {
    /// The error to send.
    pub error: RpcError,
    /// The request id, if the body had a valid one.
    pub id: Option<RequestId>,
}

impl ParseFailure {
    fn new(error: RpcError, id: Option<RequestId>) -> Self {
        Self { error, id }
    }

    /// The JSON-RPC error response for this failure.
    pub fn to_response(&self) -> Value {
        self.error.to_response(self.id.as_ref())
    }
}

/// Parses one message from raw body bytes (size cap, duplicate keys refused).
pub fn parse_message(bytes: &[u8], max_body: usize) -> Result<Message, ParseFailure> {
    let value = strict_json::parse(bytes, max_body).map_err(|e| {
        let err = match e {
            JsonError::TooLarge(_) => RpcError::invalid_request("message too large"),
            JsonError::DuplicateKey => RpcError::invalid_request("duplicate object key"),
            JsonError::Malformed => RpcError::parse_error(),
        };
        ParseFailure::new(err, None)
    })?;
    message_from_value(value)
}

const REQUEST_KEYS: [&str; 4] = ["jsonrpc", "id", "method", "params"];
const RESPONSE_KEYS: [&str; 4] = ["jsonrpc", "id", "result", "error"];

/// Interprets a parsed value as one message.
pub fn message_from_value(value: Value) -> Result<Message, ParseFailure> {
    let invalid = |m: &'static str, id: Option<RequestId>| {
        ParseFailure::new(RpcError::invalid_request(m), id)
    };
    let mut obj = match value {
        Value::Object(o) => o,
        Value::Array(_) => return Err(invalid("batches are not supported", None)),
        _ => return Err(invalid("message must be an object", None)),
    };
    // Read the id first so later errors can answer under it.
    let id = match obj.get("id") {
        None => None,
        Some(v) => match RequestId::from_value(v) {
            Some(id) => Some(id),
            None => return Err(invalid("id must be a string or an integer", None)),
        },
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid("jsonrpc must be \"2.0\"", id));
    }
    let is_response = obj.contains_key("result") || obj.contains_key("error");
    let allowed: &[&str] = if is_response {
        &RESPONSE_KEYS
    } else {
        &REQUEST_KEYS
    };
    if obj.keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid("unknown member in message", id));
    }
    if is_response {
        let Some(id) = id else {
            return Err(invalid("response without id", None));
        };
        let outcome = match (obj.remove("result"), obj.remove("error")) {
            (Some(r), None) => Ok(r),
            (None, Some(e)) if e.is_object() => Err(e),
            _ => {
                return Err(invalid(
                    "response must have exactly one of result or error",
                    Some(id),
                ))
            }
        };
        return Ok(Message::Response(Response { id, outcome }));
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) if !m.is_empty() => m,
        _ => return Err(invalid("method must be a non-empty string", id)),
    };
    let params = match obj.remove("params") {
        None => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => return Err(invalid("params must be an object", id)),
    };
    Ok(match id {
        Some(id) => Message::Request(Request { id, method, params }),
        None => Message::Notification(Notification { method, params }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::ErrorCode;

    fn parse(s: &str) -> Result<Message, ParseFailure> {
        parse_message(s.as_bytes(), 1 << 20)
    }

    #[test]
    fn batch_refused() {
        let f = parse(r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::InvalidRequest);
        assert_eq!(f.to_response()["id"], Value::Null);
        // An empty batch is refused the same way.
        assert_eq!(
            parse("[]").unwrap_err().error.code,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn unknown_jsonrpc_version_refused() {
        for body in [
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":2.0,"id":1,"method":"ping"}"#,
            r#"{"id":1,"method":"ping"}"#,
        ] {
            let f = parse(body).unwrap_err();
            assert_eq!(f.error.code, ErrorCode::InvalidRequest, "{body}");
        }
        // The id was readable, so the error answers under it.
        let f = parse(r#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#).unwrap_err();
        assert_eq!(f.id, Some(RequestId::String("a".into())));
    }

    #[test]
    fn ids_other_than_string_or_integer_refused() {
        for id in ["null", "1.5", "true", "{}", "[1]", "18446744073709551615"] {
            let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
            let f = parse(&body).unwrap_err();
            assert_eq!(f.error.code, ErrorCode::InvalidRequest, "{id}");
            assert_eq!(f.id, None);
        }
        let ok = parse(r#"{"jsonrpc":"2.0","id":-3,"method":"ping"}"#).unwrap();
        assert!(matches!(
            ok,
            Message::Request(Request {
                id: RequestId::Number(-3),
                ..
            })
        ));
    }

    #[test]
    fn smuggled_members_and_bad_params_refused() {
        let f = parse(r#"{"jsonrpc":"2.0","id":1,"method":"ping","extra":1}"#).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::InvalidRequest);
        let f =
            parse(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["x"]}"#).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::InvalidRequest);
        let f = parse(r#"{"jsonrpc":"2.0","id":1,"method":""}"#).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::InvalidRequest);
        let f = parse(r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{}}"#).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn malformed_json_is_a_parse_error_without_internals() {
        let f = parse(r#"{"jsonrpc":"2.0","id":1,"method":"ping""#).unwrap_err();
        assert_eq!(f.error.code, ErrorCode::ParseError);
        let text = f.to_response().to_string();
        // serde_json's message names line and column; none of it reaches the caller.
        assert!(!text.contains("line") && !text.contains("column"), "{text}");
    }

    #[test]
    fn the_three_kinds_parse() {
        let m = parse(r#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"t"}}"#)
            .unwrap();
        let Message::Request(r) = m else { panic!() };
        assert_eq!(r.param_str("name"), Some("t"));
        assert_eq!(
            r.to_value(),
            serde_json::json!({"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"t"}})
        );
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap(),
            Message::Notification(_)
        ));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","id":4,"result":{}}"#).unwrap(),
            Message::Response(Response { outcome: Ok(_), .. })
        ));
    }
}
