//! Errors answered to callers, rendered in the caller's API format: OpenAI
//! `{"error":{"message","type","code"}}`, Anthropic `{"type":"error","error":{"type","message"}}`.
//! Messages are written here from fixed text plus caller-supplied names; upstream bodies,
//! internal error chains and secrets never reach them.

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use palisade_core::ApiKind;
use serde_json::json;
use std::borrow::Cow;

/// One refusal or failure, with everything needed to render it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code, e.g. `model_not_found`, or the precise code a stage reported
    /// (`identity_revoked`, `dpop_replay`, ...).
    pub code: Cow<'static, str>,
    /// Human-readable message (never containing secrets or upstream bodies).
    pub message: String,
    /// Ids of deciding policies (policy denials).
    pub policy_ids: Vec<String>,
    /// `DPoP-Nonce` to return, if the authenticator asked for one.
    pub dpop_nonce: Option<String>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            policy_ids: Vec::new(),
            dpop_nonce: None,
        }
    }
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
    /// 404 for an unknown model.
    pub fn unknown_model(model: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "model_not_found",
            format!(
                "the model `{}` is not routed by this gateway",
                truncate(model)
            ),
        )
    }
    /// 404 for an unknown path.
    pub fn unknown_route(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route for `{}`", truncate(path)),
        )
    }
    /// 413.
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("request body exceeds the limit of {limit} bytes"),
        )
    }
    /// 502.
    pub fn upstream_unavailable(upstream: &str) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "upstream_unavailable",
            format!("upstream `{upstream}` could not be reached"),
        )
    }
    /// 504.
    pub fn upstream_timeout(upstream: &str) -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            format!("upstream `{upstream}` did not answer in time"),
        )
    }
    /// 500 for a failure inside the gateway; the detail goes to the log, not to the caller.
    pub fn internal(code: &'static str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code,
            "the gateway could not process the request",
        )
    }

    /// The OpenAI `type` / Anthropic `error.type` for this status.
    fn kind(&self, anthropic: bool) -> &'static str {
        match (self.status.as_u16(), anthropic) {
            (400, _) | (413, false) => "invalid_request_error",
            (413, true) => "request_too_large",
            (401, _) => "authentication_error",
            (403, _) => "permission_error",
            (404, _) => "not_found_error",
            (408, _) | (504, _) => "timeout_error",
            (429, _) => "rate_limit_error",
            (502, true) | (503, true) => "api_error",
            (502, false) | (503, false) => "upstream_error",
            _ => "api_error",
        }
    }

    /// The JSON body in the format of `api`.
    pub fn body(&self, api: ApiKind) -> Bytes {
        let mut message = self.message.clone();
        if !self.policy_ids.is_empty() {
            message = format!("{message} (policies: {})", self.policy_ids.join(", "));
        }
        let v = if api.is_anthropic() {
            json!({"type": "error", "error": {"type": self.kind(true), "message": message, "code": self.code, "policy_ids": self.policy_ids}})
        } else {
            json!({"error": {"message": message, "type": self.kind(false), "code": self.code, "param": null, "policy_ids": self.policy_ids}})
        };
        Bytes::from(v.to_string())
    }

    /// The full HTTP response in the format of `api`.
    pub fn response(&self, api: ApiKind) -> http::Response<crate::body::GwBody> {
        let mut resp = crate::body::json(self.status, self.body(api));
        if let Some(n) = self
            .dpop_nonce
            .as_deref()
            .and_then(|n| HeaderValue::from_str(n).ok())
        {
            resp.headers_mut().insert("dpop-nonce", n);
        }
        resp
    }
}

/// Caller-supplied names are quoted in messages, but bounded so an error cannot be used to
/// reflect a large payload back.
fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(128).filter(|c| !c.is_control()).collect();
    if s.chars().count() > 128 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_formats() {
        let e = ApiError::unknown_model("gpt-x");
        let o: serde_json::Value = serde_json::from_slice(&e.body(ApiKind::OpenAiChat)).unwrap();
        assert_eq!(o["error"]["code"], "model_not_found");
        assert_eq!(o["error"]["type"], "not_found_error");
        assert!(o["error"]["message"].as_str().unwrap().contains("gpt-x"));
        let a: serde_json::Value =
            serde_json::from_slice(&e.body(ApiKind::AnthropicMessages)).unwrap();
        assert_eq!(a["type"], "error");
        assert_eq!(a["error"]["type"], "not_found_error");
        let long = "x".repeat(1000);
        assert!(ApiError::unknown_model(&long).message.len() < 200);
    }
}
