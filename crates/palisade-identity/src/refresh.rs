//! Token refresh without new evidence: a caller that authenticated with a valid, sender-bound
//! token (DPoP proof on the refresh request, or its mTLS certificate) gets a fresh token with
//! the same binding and evidence summary, never past the original appraisal's expiry
//! (`att_exp`). This keeps join-token-bootstrapped workloads alive for the appraisal lifetime
//! without a second join token. Route: `POST /v1/enroll/refresh`.

use crate::authn::{Authenticated, SenderBinding};
use crate::enroll::{Enrollment, Grant, IssuedToken};
use crate::enroll_error::EnrollError;
use crate::service::IdentityService;
use palisade_core::RequestCredentials;
use serde_json::{json, Value};

impl Enrollment {
    /// Refreshes an authenticated caller's token. Legacy bearer tokens are never refreshed.
    pub fn refresh(&self, auth: &Authenticated) -> Result<IssuedToken, EnrollError> {
        if auth.binding == SenderBinding::LegacyBearer {
            return Err(EnrollError::KeyBinding(
                "unbound tokens cannot be refreshed".into(),
            ));
        }
        let claims = &auth.claims;
        let cnf = claims
            .cnf
            .clone()
            .ok_or_else(|| EnrollError::KeyBinding("token has no binding".into()))?;
        let att_exp_s = claims.att_exp.ok_or(EnrollError::AppraisalExpired)?;
        // Re-read the record: scopes and max lifetime may have changed since issuance.
        let rec = self.active_record(&claims.sub)?;
        let token_type = if cnf.jkt.is_some() { "DPoP" } else { "Bearer" };
        let grant = Grant {
            cnf: Some(cnf),
            token_type,
            att: claims.att.clone(),
            att_exp_s,
        };
        self.mint(&rec, grant, self.now_ms() / 1000, Vec::new())
    }
}

impl IdentityService {
    /// `POST /v1/enroll/refresh`: authenticates the request like any call, then refreshes.
    /// Returns the status, the JSON body and, on a nonce challenge, the `DPoP-Nonce` value.
    pub fn handle_refresh_http(
        &self,
        creds: &RequestCredentials<'_>,
    ) -> (u16, Value, Option<String>) {
        let auth = match self.authenticator.authenticate_detailed(creds) {
            Ok(a) => a,
            Err(e) => {
                let f = e.to_failure();
                return (
                    f.status,
                    json!({"error": {"code": f.code, "message": f.message}}),
                    f.dpop_nonce,
                );
            }
        };
        match self.enrollment.refresh(&auth) {
            Ok(t) => (
                200,
                json!({"access_token": t.access_token, "token_type": t.token_type, "expires_in": t.expires_in}),
                None,
            ),
            Err(e) => (
                e.status(),
                json!({"error": {"code": e.code(), "message": e.to_string()}}),
                None,
            ),
        }
    }
}
