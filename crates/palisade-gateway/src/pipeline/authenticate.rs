//! Stage 3 — authenticate. Runs on headers and the TLS client certificate only, before the body
//! is read: a copied or expired token is refused before any content work is done.

use crate::error::ApiError;
use http::{HeaderMap, StatusCode};
use palisade_core::{Authenticator, Identity, RequestCredentials};

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
    auth.authenticate(&creds).map_err(|f| {
        let status = match f.status {
            403 => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        let mut e = ApiError::new(
            status,
            if status == StatusCode::FORBIDDEN {
                "forbidden"
            } else {
                "unauthenticated"
            },
            f.message,
        );
        e.dpop_nonce = f.dpop_nonce;
        e
    })
}
