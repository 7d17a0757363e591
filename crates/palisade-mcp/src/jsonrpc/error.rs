//! JSON-RPC error objects as the gateway answers them: the JSON-RPC 2.0 codes, the codes the MCP
//! specification defines (2025-11-25 and 2026-07-28), and one Palisade code for refusals, placed
//! outside the reserved range -32768..-32000 as MCP 2026-07-28 asks of implementation codes.
//! Messages are `&'static str`: an error can never carry a body, a path, a token or a cause.

use super::message::RequestId;
use serde_json::{json, Value};

/// The error codes the gateway emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// -32700: the body is not JSON.
    ParseError,
    /// -32600: JSON, but not a valid JSON-RPC request (batches included).
    InvalidRequest,
    /// -32601: no such method.
    MethodNotFound,
    /// -32602: bad parameters (unknown tool, unsupported version at `initialize`).
    InvalidParams,
    /// -32603: something failed inside; never says what.
    InternalError,
    /// -32002: resource not found (sessions-based revisions only).
    ResourceNotFound,
    /// -32020: mirrored headers missing, malformed or not matching the body (2026-07-28).
    HeaderMismatch,
    /// -32021: a client capability the request needs was not declared (2026-07-28).
    MissingRequiredClientCapability,
    /// -32022: protocol version not supported (2026-07-28).
    UnsupportedProtocolVersion,
    /// -31000: refused by Palisade (policy, unapproved definition, session owner, taint).
    Refused,
}

impl ErrorCode {
    /// The integer on the wire.
    pub fn code(self) -> i64 {
        match self {
            Self::ParseError => -32700,
            Self::InvalidRequest => -32600,
            Self::MethodNotFound => -32601,
            Self::InvalidParams => -32602,
            Self::InternalError => -32603,
            Self::ResourceNotFound => -32002,
            Self::HeaderMismatch => -32020,
            Self::MissingRequiredClientCapability => -32021,
            Self::UnsupportedProtocolVersion => -32022,
            Self::Refused => -31000,
        }
    }
}

/// One error answer: code, fixed message, optional structured data the spec defines, and the
/// HTTP status the Streamable HTTP transport prescribes for it.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// The code.
    pub code: ErrorCode,
    /// A fixed, human-readable message.
    pub message: &'static str,
    /// Spec-defined data (e.g. `supported` versions), never free text from a cause.
    pub data: Option<Value>,
    /// HTTP status for the response carrying this error.
    pub http_status: u16,
}

impl RpcError {
    /// An error with no data.
    pub fn new(code: ErrorCode, message: &'static str, http_status: u16) -> Self {
        Self {
            code,
            message,
            data: None,
            http_status,
        }
    }

    /// -32700 (400).
    pub fn parse_error() -> Self {
        Self::new(ErrorCode::ParseError, "parse error", 400)
    }

    /// -32600 (400) with a fixed reason.
    pub fn invalid_request(message: &'static str) -> Self {
        Self::new(ErrorCode::InvalidRequest, message, 400)
    }

    /// -32601. Streamable HTTP 2026-07-28 answers it with 404; sessions-based revisions with 200.
    pub fn method_not_found(http_status: u16) -> Self {
        Self::new(ErrorCode::MethodNotFound, "method not found", http_status)
    }

    /// -32602 (200: a JSON-RPC level error on a well-formed HTTP exchange).
    pub fn invalid_params(message: &'static str) -> Self {
        Self::new(ErrorCode::InvalidParams, message, 200)
    }

    /// -32603 (500).
    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalError, "internal error", 500)
    }

    /// -32020 (400).
    pub fn header_mismatch(message: &'static str) -> Self {
        Self::new(ErrorCode::HeaderMismatch, message, 400)
    }

    /// -31000 (403): refused by Palisade.
    pub fn refused(message: &'static str) -> Self {
        Self::new(ErrorCode::Refused, message, 403)
    }

    /// Attaches spec-defined data.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The JSON-RPC error response. `id` is `null` when the request's id could not be read.
    pub fn to_response(&self, id: Option<&RequestId>) -> Value {
        let mut error = json!({ "code": self.code.code(), "message": self.message });
        if let (Some(data), Some(obj)) = (&self.data, error.as_object_mut()) {
            obj.insert("data".to_owned(), data.clone());
        }
        json!({
            "jsonrpc": "2.0",
            "id": id.map_or(Value::Null, RequestId::to_value),
            "error": error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_spec_values() {
        let want = [
            (ErrorCode::ParseError, -32700),
            (ErrorCode::InvalidRequest, -32600),
            (ErrorCode::MethodNotFound, -32601),
            (ErrorCode::InvalidParams, -32602),
            (ErrorCode::InternalError, -32603),
            (ErrorCode::ResourceNotFound, -32002),
            (ErrorCode::HeaderMismatch, -32020),
            (ErrorCode::MissingRequiredClientCapability, -32021),
            (ErrorCode::UnsupportedProtocolVersion, -32022),
        ];
        for (c, n) in want {
            assert_eq!(c.code(), n);
        }
        // Palisade's own code stays outside the JSON-RPC reserved range.
        assert!(!(-32768..=-32000).contains(&ErrorCode::Refused.code()));
    }

    #[test]
    fn error_response_shape() {
        let e = RpcError::refused("tool definition not approved");
        let v = e.to_response(Some(&RequestId::Number(7)));
        assert_eq!(
            v,
            json!({"jsonrpc":"2.0","id":7,"error":{"code":-31000,"message":"tool definition not approved"}})
        );
        let v = RpcError::parse_error().to_response(None);
        assert_eq!(v["id"], Value::Null);
        assert!(v["error"].get("data").is_none());
    }
}
