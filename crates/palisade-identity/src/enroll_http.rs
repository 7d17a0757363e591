//! Transport-agnostic handlers of the enrollment endpoints the gateway routes:
//! `POST /v1/enroll/challenge`, `POST /v1/enroll`, `GET /.well-known/jwks.json`.
//! Errors are `{"error": {"code", "message"}}` with the status of the error.

use crate::enroll::{EnrollRequest, Enrollment};
use crate::enroll_error::EnrollError;
use serde::Deserialize;
use serde_json::{json, Value};

/// Largest accepted body (SEV-SNP evidence with its certificate chain fits easily).
pub const MAX_ENROLL_BODY: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeRequest {
    identity: String,
}

/// Describes a JSON error by category and position only: serde's own message can quote the
/// offending value, which may be a secret (a join token given where an object was expected).
pub fn json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "unreadable body",
        serde_json::error::Category::Syntax => "invalid json",
        serde_json::error::Category::Data => "unexpected or missing field",
        serde_json::error::Category::Eof => "truncated json",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

fn error(e: &EnrollError) -> (u16, Value) {
    (
        e.status(),
        json!({"error": {"code": e.code(), "message": e.to_string()}}),
    )
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, EnrollError> {
    if body.len() > MAX_ENROLL_BODY {
        return Err(EnrollError::Malformed("body too large".into()));
    }
    serde_json::from_slice(body).map_err(|e| EnrollError::Malformed(json_error(&e)))
}

impl Enrollment {
    /// Routes one enrollment request (no client certificate).
    pub fn handle_enroll_http(&self, path: &str, body: &[u8]) -> (u16, Value) {
        self.handle_enroll_http_tls(path, body, None)
    }

    /// Routes one enrollment request; `client_cert_sha256` allows `x5t#S256` enrollment.
    pub fn handle_enroll_http_tls(
        &self,
        path: &str,
        body: &[u8],
        client_cert_sha256: Option<[u8; 32]>,
    ) -> (u16, Value) {
        self.handle_enroll_http_from(path, body, client_cert_sha256, None)
    }

    /// Routes one enrollment request from `source` (the caller's address, for its budget).
    pub fn handle_enroll_http_from(
        &self,
        path: &str,
        body: &[u8],
        client_cert_sha256: Option<[u8; 32]>,
        source: crate::enroll_nonce::Source,
    ) -> (u16, Value) {
        match path {
            "/v1/enroll/challenge" => {
                match parse::<ChallengeRequest>(body).and_then(|r| self.challenge(&r.identity)) {
                    Ok(n) => (
                        200,
                        json!({"nonce": n.nonce, "expires_at": n.expires_at_ms / 1000}),
                    ),
                    Err(e) => error(&e),
                }
            }
            "/v1/enroll" => match parse::<EnrollRequest>(body)
                .and_then(|r| self.enroll_from(&r, client_cert_sha256, source))
            {
                Ok(t) => (
                    200,
                    json!({
                        "access_token": t.access_token,
                        "token_type": t.token_type,
                        "expires_in": t.expires_in,
                        "appraisals": t.appraisals,
                    }),
                ),
                Err(e) => error(&e),
            },
            "/.well-known/jwks.json" => (200, self.keys().jwks()),
            _ => (
                404,
                json!({"error": {"code": "not_found", "message": "no such enrollment endpoint"}}),
            ),
        }
    }
}
