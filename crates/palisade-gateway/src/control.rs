//! The control-plane hook: enrollment (`/v1/enroll*`), discovery (`/.well-known/*`) and the
//! admin API (`/admin/*`) are answered by a transport-agnostic handler that another crate
//! implements (the identity crate). The gateway owns only the transport around it: limits,
//! request ids, metrics and the audit record; the handler authenticates its callers itself.

use serde_json::Value;

/// One control-plane request, as the gateway hands it to the handler.
///
/// `Debug` prints neither headers nor body: they carry admin credentials, attestation evidence
/// and tokens.
#[derive(Clone, Copy)]
pub struct ControlRequest<'a> {
    /// HTTP method (`GET`, `POST`, ...).
    pub method: &'a str,
    /// Path without query (`/admin/v1/identities/x`).
    pub path: &'a str,
    /// Raw query string without the `?`, if any.
    pub query: Option<&'a str>,
    /// Request headers as received (including `Authorization`).
    pub headers: &'a http::HeaderMap,
    /// The URL addressed, under the configured public origin (what DPoP `htu` must name).
    pub url: &'a str,
    /// The whole body, already read under the control-plane body limit.
    pub body: &'a [u8],
    /// The peer's address (per-source budgets).
    pub peer: std::net::IpAddr,
    /// SHA-256 of the DER client certificate presented in the TLS handshake, if any.
    pub client_cert_sha256: Option<[u8; 32]>,
    /// The gateway's request id (also in the `x-request-id` response header and the audit log).
    pub request_id: &'a str,
}

impl std::fmt::Debug for ControlRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("body_len", &self.body.len())
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// The handler's answer. The body is sent as `application/json`.
///
/// `Debug` prints only the status and header names: bodies carry tokens.
#[derive(Clone, PartialEq)]
pub struct ControlResponse {
    /// HTTP status (100–999; anything else is answered as a gateway error).
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// Extra response headers (e.g. `cache-control`, `dpop-nonce`, `www-authenticate`).
    /// Framing headers (`content-length`, `transfer-encoding`, `connection`) are ignored.
    pub headers: Vec<(String, String)>,
    /// The identity the call acted as or on, for the audit record's `identity` field (e.g. the
    /// enrolled or refreshed identity, or `admin:<name>` for an admin call). Never sent to the
    /// caller. `None`: the control event is recorded without an identity.
    pub audit_identity: Option<String>,
    /// A short reason for the audit record's `detail` field (e.g. `enrolled`, a refusal code,
    /// `revoked research/agent-7`). Never sent to the caller; must not contain tokens, keys or
    /// evidence (it is sealed at rest, but it is still a log).
    pub audit_detail: Option<String>,
}

impl ControlResponse {
    /// A response with a status and JSON body, no extra headers and no audit attribution.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
            audit_identity: None,
            audit_detail: None,
        }
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the identity recorded in the audit event of this call.
    #[must_use]
    pub fn with_audit_identity(mut self, identity: impl Into<String>) -> Self {
        self.audit_identity = Some(identity.into());
        self
    }

    /// Sets the detail recorded in the audit event of this call.
    #[must_use]
    pub fn with_audit_detail(mut self, detail: impl Into<String>) -> Self {
        self.audit_detail = Some(detail.into());
        self
    }
}

impl std::fmt::Debug for ControlResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ControlResponse")
            .field("status", &self.status)
            .field("headers", &names)
            .field("audit_identity", &self.audit_identity)
            .finish_non_exhaustive()
    }
}

/// Answers control-plane requests. Called on a blocking thread (it may touch storage or verify
/// evidence), before any gateway authentication: the handler authenticates its own callers.
pub trait ControlPlane: Send + Sync {
    /// `None` means "not mine": the gateway answers 404 as for any unknown route.
    fn handle(&self, req: &ControlRequest<'_>) -> Option<ControlResponse>;

    /// Whether `authorization` (the presented `Authorization` value) is the admin credential,
    /// for `/metrics` when `[server] metrics_require_admin` is set. Default: nobody.
    fn authorizes_metrics(&self, _authorization: Option<&str>) -> bool {
        false
    }
}

/// Whether `path` belongs to the control plane: `/v1/enroll` and below, `/.well-known/*`,
/// `/admin/*`. Segment-exact, so `/v1/enrollment` or `/administrator` are not matched.
pub(crate) fn is_control_path(path: &str) -> bool {
    under(path, "/v1/enroll") || under(path, "/.well-known") || under(path, "/admin")
}

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_paths_are_matched_by_whole_segments() {
        for p in [
            "/v1/enroll",
            "/v1/enroll/challenge",
            "/.well-known/jwks.json",
            "/admin/v1/identities",
            "/admin",
        ] {
            assert!(is_control_path(p), "{p}");
        }
        for p in [
            "/v1/enrollment",
            "/administrator",
            "/v1/chat/completions",
            "/.well-knownx",
            "/",
        ] {
            assert!(!is_control_path(p), "{p}");
        }
    }

    #[test]
    fn debug_hides_bodies_and_header_values() {
        let mut h = http::HeaderMap::new();
        h.insert("authorization", "Bearer adm-SECRET".parse().unwrap());
        let req = ControlRequest {
            method: "POST",
            path: "/v1/enroll",
            query: None,
            headers: &h,
            url: "https://gw/v1/enroll",
            body: b"{\"evidence\":\"EVIDENCE-SECRET\"}",
            peer: std::net::Ipv4Addr::LOCALHOST.into(),
            client_cert_sha256: None,
            request_id: "r1",
        };
        let d = format!("{req:?}");
        assert!(!d.contains("SECRET"), "{d}");
        let resp = ControlResponse::json(200, serde_json::json!({"access_token": "tok-SECRET"}))
            .with_header("dpop-nonce", "nonce-SECRET")
            .with_audit_identity("research/agent-1")
            .with_audit_detail("refreshed");
        assert_eq!(
            resp.headers,
            vec![("dpop-nonce".into(), "nonce-SECRET".into())]
        );
        assert_eq!(resp.audit_detail.as_deref(), Some("refreshed"));
        let d = format!("{resp:?}");
        assert!(!d.contains("SECRET") && d.contains("200"), "{d}");
    }
}
