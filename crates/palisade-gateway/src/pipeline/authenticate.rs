//! Stage 3 — authenticate. Runs on headers and the TLS client certificate only, before the body
//! is read: a copied or expired token is refused before any content work is done. The refusal
//! carries the authenticator's precise code (`identity_revoked`, `token_expired`,
//! `dpop_replay`, ...) so a client can tell "refresh your token" from "you are revoked", and the
//! audit record can tell a revoked identity from a copied token.

use crate::error::ApiError;
use http::{HeaderMap, StatusCode};
use palisade_core::{AuthFailure, Authenticator, Identity, RequestCredentials};

/// Longest code passed through to callers and the audit log.
const MAX_CODE_LEN: usize = 64;

/// Authenticates from the request head. `url` is the request URL as the client addressed it.
pub(crate) fn run(
    auth: &dyn Authenticator,
    method: &str,
    url: &str,
    headers: &HeaderMap,
    client_cert_sha256: Option<[u8; 32]>,
) -> Result<Identity, ApiError> {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let creds = RequestCredentials {
        method,
        url,
        authorization: h("authorization"),
        dpop: h("dpop"),
        client_cert_sha256,
        api_key: h("x-api-key"),
    };
    auth.authenticate(&creds).map_err(refusal)
}

/// The caller-facing error of an authentication failure: 403 for a valid credential of a
/// disabled identity, 401 otherwise, the precise code, and the `DPoP-Nonce` to retry with.
pub(crate) fn refusal(f: AuthFailure) -> ApiError {
    let status = match f.status {
        403 => StatusCode::FORBIDDEN,
        _ => StatusCode::UNAUTHORIZED,
    };
    let generic = if status == StatusCode::FORBIDDEN {
        "forbidden"
    } else {
        "unauthenticated"
    };
    // The code is meant to be a stable identifier; anything else (empty, long, or with
    // characters outside `[a-z0-9_.-]`) is replaced by the generic code rather than reflected,
    // so a misbehaving authenticator cannot put arbitrary text into responses and logs.
    let code = if is_code(&f.code) {
        f.code
    } else {
        generic.to_owned()
    };
    let mut e = ApiError::new(status, code, f.message);
    e.dpop_nonce = f.dpop_nonce;
    e
}

fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::ApiKind;

    fn failure(status: u16, code: &str, nonce: Option<&str>) -> AuthFailure {
        AuthFailure {
            status,
            code: code.into(),
            message: "m".into(),
            dpop_nonce: nonce.map(Into::into),
        }
    }

    #[test]
    fn precise_codes_reach_both_formats() {
        let e = refusal(failure(403, "identity_revoked", None));
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        let o: serde_json::Value = serde_json::from_slice(&e.body(ApiKind::OpenAiChat)).unwrap();
        assert_eq!(o["error"]["code"], "identity_revoked");
        assert_eq!(o["error"]["type"], "permission_error");
        let a: serde_json::Value =
            serde_json::from_slice(&e.body(ApiKind::AnthropicMessages)).unwrap();
        assert_eq!(a["error"]["code"], "identity_revoked");
        assert_eq!(a["error"]["type"], "permission_error");
    }

    #[test]
    fn nonce_is_returned_and_status_defaults_to_401() {
        let e = refusal(failure(400, "dpop_nonce_required", Some("n-7")));
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert_eq!(e.code, "dpop_nonce_required");
        let r = e.response(ApiKind::OpenAiChat);
        assert_eq!(r.headers()["dpop-nonce"], "n-7");
    }

    #[test]
    fn malformed_codes_are_not_reflected() {
        for bad in ["", "Bearer eyJhbGciOi", "a\nb", &"x".repeat(65)] {
            let e = refusal(failure(401, bad, None));
            assert_eq!(e.code, "unauthenticated", "{bad:?}");
        }
        assert_eq!(refusal(failure(403, "", None)).code, "forbidden");
    }
}
