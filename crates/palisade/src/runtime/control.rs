//! The control plane behind the gateway's `/v1/enroll*`, `/.well-known/*` and `/admin/*` routes:
//! enrollment, token refresh and discovery from the identity service, and the admin API. An
//! operator's `release` through the admin API also lifts the behavioural quarantine, so a
//! released identity is not re-quarantined by its own stale verdict on the next call.

use palisade_behavior::Baselines;
use palisade_core::RequestCredentials;
use palisade_gateway::{ControlPlane, ControlRequest, ControlResponse};
use palisade_identity::IdentityService;
use std::sync::Arc;

/// Routes control-plane requests to the identity service.
pub struct IdentityControl {
    /// Enrollment, refresh, JWKS and admin.
    pub identity: Arc<IdentityService>,
    /// Baselines whose quarantine a release lifts.
    pub behavior: Option<Arc<Baselines>>,
}

fn header<'a>(req: &'a ControlRequest<'_>, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

impl IdentityControl {
    fn refresh(&self, req: &ControlRequest<'_>) -> ControlResponse {
        // DPoP `htu` is checked against the gateway's public origin, never the client's Host.
        let creds = RequestCredentials {
            method: req.method,
            url: req.url,
            authorization: header(req, "authorization"),
            dpop: header(req, "dpop"),
            client_cert_sha256: req.client_cert_sha256,
            api_key: header(req, "x-api-key"),
        };
        let (status, body, nonce) = self.identity.handle_refresh_http(&creds);
        // The subject of a successful refresh is in the token just issued; authenticating the
        // request a second time to learn it would consume the DPoP proof.
        let subject = (status == 200)
            .then(|| {
                body.get("access_token")
                    .and_then(|t| t.as_str())
                    .and_then(token_subject)
            })
            .flatten();
        let detail = outcome_detail(status, &body, "refreshed");
        let mut resp = ControlResponse::json(status, body).with_audit_detail(detail);
        if let Some(sub) = subject {
            resp = resp.with_audit_identity(sub);
        }
        if let Some(n) = nonce {
            resp = resp.with_header("dpop-nonce", n);
        }
        resp
    }

    fn admin(&self, req: &ControlRequest<'_>) -> ControlResponse {
        let (status, body) = self.identity.admin.handle(
            req.method,
            req.path,
            req.body,
            header(req, "authorization"),
        );
        if status == 200 && req.method == "POST" && req.path.ends_with("/release") {
            self.lift_behavior_quarantine(req.path);
        }
        // Never the credential: the actor is "admin", the detail the action and its target.
        let action = req.path.trim_start_matches("/admin/v1/");
        let detail = outcome_detail(status, &body, &format!("{} {action}", req.method));
        ControlResponse::json(status, body)
            .with_audit_identity("admin")
            .with_audit_detail(detail)
    }

    fn lift_behavior_quarantine(&self, path: &str) {
        let Some(b) = &self.behavior else { return };
        // /admin/v1/identities/<segment>/<name>/release
        let parts: Vec<&str> = path.trim_end_matches("/release").rsplitn(3, '/').collect();
        let (Some(name), Some(segment)) = (parts.first(), parts.get(1)) else {
            return;
        };
        match self.identity.registry.resolve(&format!("{segment}/{name}")) {
            Ok(id) => {
                if let Err(e) = b.release(&id) {
                    tracing::error!(identity = %id, error = %e, "could not lift behavioural quarantine");
                }
            }
            Err(e) => tracing::warn!(error = %e, "release of an unknown identity"),
        }
    }
}

impl ControlPlane for IdentityControl {
    fn handle(&self, req: &ControlRequest<'_>) -> Option<ControlResponse> {
        let path = req.path;
        if path.starts_with("/admin/") {
            return Some(self.admin(req));
        }
        if path == "/v1/enroll/refresh" && req.method == "POST" {
            return Some(self.refresh(req));
        }
        let routed = matches!(
            (req.method, path),
            ("POST", "/v1/enroll/challenge")
                | ("POST", "/v1/enroll")
                | ("GET", "/.well-known/jwks.json")
        );
        if !routed {
            return None;
        }
        let (status, body) = self.identity.enrollment.handle_enroll_http_from(
            path,
            req.body,
            req.client_cert_sha256,
            Some(req.peer),
        );
        Some(ControlResponse::json(status, body))
    }

    fn authorizes_metrics(&self, authorization: Option<&str>) -> bool {
        self.identity.admin.authorizes(authorization)
    }
}

/// `ok` on success, else the error code the handler answered with.
fn outcome_detail(status: u16, body: &serde_json::Value, ok: &str) -> String {
    if status < 400 {
        return ok.to_owned();
    }
    body.pointer("/error/code")
        .and_then(|c| c.as_str())
        .unwrap_or("error")
        .to_owned()
}

/// The `sub` claim of a JWS the gateway itself just signed (read only for attribution).
fn token_subject(token: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detail_is_the_error_code_or_the_success_word() {
        assert_eq!(outcome_detail(200, &json!({}), "enrolled"), "enrolled");
        assert_eq!(
            outcome_detail(401, &json!({"error": {"code": "nonce_reused"}}), "enrolled"),
            "nonce_reused"
        );
        assert_eq!(outcome_detail(500, &json!("x"), "enrolled"), "error");
    }

    #[test]
    fn subject_is_read_from_the_token_payload() {
        use base64::Engine as _;
        let enc = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let t = format!(
            "{}.{}.sig",
            enc(json!({"alg": "EdDSA"})),
            enc(json!({"sub": "spiffe://lab.example/research/a"}))
        );
        assert_eq!(
            token_subject(&t).as_deref(),
            Some("spiffe://lab.example/research/a")
        );
        assert_eq!(token_subject("not-a-jwt"), None);
    }
}
