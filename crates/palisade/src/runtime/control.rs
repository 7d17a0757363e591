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
        // DPoP `htu` is the URL the client addressed; rebuild it from Host like the API routes do.
        let host = header(req, "host").unwrap_or("localhost");
        let url = format!("https://{host}{}", req.path);
        let creds = RequestCredentials {
            method: req.method,
            url: &url,
            authorization: header(req, "authorization"),
            dpop: header(req, "dpop"),
            client_cert_sha256: req.client_cert_sha256,
            api_key: header(req, "x-api-key"),
        };
        let (status, body, nonce) = self.identity.handle_refresh_http(&creds);
        let mut resp = ControlResponse::json(status, body);
        if let Some(n) = nonce {
            resp.headers.push(("dpop-nonce".into(), n));
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
        ControlResponse::json(status, body)
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
        let (status, body) =
            self.identity
                .enrollment
                .handle_enroll_http_tls(path, req.body, req.client_cert_sha256);
        Some(ControlResponse::json(status, body))
    }
}
