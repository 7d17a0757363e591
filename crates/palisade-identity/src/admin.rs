//! The admin API, transport-agnostic: the gateway routes `/admin/v1/...` here with the
//! presented admin credential. Routes (identities addressed as `<segment>/<name>` in the
//! configured trust domain):
//!
//! - `GET  /admin/v1/identities`
//! - `POST /admin/v1/identities` (body: `NewIdentity`)
//! - `GET  /admin/v1/identities/<segment>/<name>`
//! - `POST /admin/v1/identities/<segment>/<name>/{suspend|quarantine|release|revoke}`
//!   (body: `{"reason": ..., "actor"?: ...}`)
//! - `POST /admin/v1/identities/<segment>/<name>/join-token` (body: `{"ttl_secs": N}`)
//! - `POST /admin/v1/keys/rotate`

use crate::admin_credential::AdminCredential;
use crate::keys::SigningKeys;
use crate::record::{NewIdentity, StatusAction};
use crate::registry::{Registry, RegistryError};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// The admin API.
#[derive(Debug)]
pub struct AdminApi {
    registry: Arc<Registry>,
    keys: Arc<SigningKeys>,
    credential: AdminCredential,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    reason: String,
    #[serde(default)]
    actor: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    #[serde(default = "default_ttl")]
    ttl_secs: u64,
}

fn default_ttl() -> u64 {
    600
}

fn err(status: u16, code: &str, message: impl Into<String>) -> (u16, Value) {
    (
        status,
        json!({"error": {"code": code, "message": message.into()}}),
    )
}

fn reg_err(e: &RegistryError) -> (u16, Value) {
    match e {
        RegistryError::NotFound(_) => err(404, "identity_unknown", e.to_string()),
        RegistryError::Exists(_) => err(409, "identity_exists", e.to_string()),
        RegistryError::Transition { .. } => err(409, "invalid_transition", e.to_string()),
        RegistryError::TrustDomain { .. } | RegistryError::Invalid(_) => {
            err(400, "invalid_request", e.to_string())
        }
        RegistryError::Store(_) => {
            err(503, "registry_unavailable", "identity registry unavailable")
        }
    }
}

fn body<'a, T: Deserialize<'a>>(b: &'a [u8]) -> Result<T, (u16, Value)> {
    serde_json::from_slice(b)
        .map_err(|e| err(400, "invalid_request", crate::enroll_http::json_error(&e)))
}

impl AdminApi {
    /// The API over `registry` and `keys`, guarded by `credential`.
    pub fn new(
        registry: Arc<Registry>,
        keys: Arc<SigningKeys>,
        credential: AdminCredential,
    ) -> Self {
        Self {
            registry,
            keys,
            credential,
        }
    }

    /// Whether `presented` is the admin credential (also guards `/metrics` when configured).
    pub fn authorizes(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|c| self.credential.matches(c))
    }

    /// Handles one request. `admin_credential` is the presented `Authorization` value (or the
    /// raw secret); anything but the stored credential gets 401 before any routing.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        admin_credential: Option<&str>,
    ) -> (u16, Value) {
        if !self.authorizes(admin_credential) {
            return err(
                401,
                "admin_unauthorized",
                "a valid admin credential is required",
            );
        }
        match self.route(method, path, body) {
            Ok(v) => v,
            Err(e) => e,
        }
    }

    fn route(&self, method: &str, path: &str, b: &[u8]) -> Result<(u16, Value), (u16, Value)> {
        let rest = path
            .strip_prefix("/admin/v1/")
            .ok_or_else(|| err(404, "not_found", "no such admin endpoint"))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let to_json =
            |r: &crate::record::IdentityRecord| serde_json::to_value(r).unwrap_or(Value::Null);
        match (method, parts.as_slice()) {
            ("GET", ["identities"]) => {
                let list = self.registry.list().map_err(|e| reg_err(&e))?;
                Ok((
                    200,
                    json!({"identities": list.iter().map(to_json).collect::<Vec<_>>()}),
                ))
            }
            ("POST", ["identities"]) => {
                let new: NewIdentity = body(b)?;
                let rec = self
                    .registry
                    .create(new, "admin-api")
                    .map_err(|e| reg_err(&e))?;
                Ok((201, to_json(&rec)))
            }
            ("GET", ["identities", seg, name]) => {
                let id = self
                    .registry
                    .resolve(&format!("{seg}/{name}"))
                    .map_err(|e| reg_err(&e))?;
                let rec = self.registry.show(&id).map_err(|e| reg_err(&e))?;
                Ok((200, to_json(&rec)))
            }
            ("POST", ["identities", seg, name, "join-token"]) => {
                let jb: JoinBody = if b.is_empty() {
                    JoinBody {
                        ttl_secs: default_ttl(),
                    }
                } else {
                    body(b)?
                };
                let id = self
                    .registry
                    .resolve(&format!("{seg}/{name}"))
                    .map_err(|e| reg_err(&e))?;
                let t = self
                    .registry
                    .join_token(&id, jb.ttl_secs)
                    .map_err(|e| reg_err(&e))?;
                Ok((
                    201,
                    json!({"identity": t.identity, "token": t.token, "expires_at": t.expires_at_ms / 1000}),
                ))
            }
            ("POST", ["identities", seg, name, action]) => {
                let action = StatusAction::parse(action)
                    .ok_or_else(|| err(404, "not_found", "no such admin endpoint"))?;
                let sb: StatusBody = body(b)?;
                let id = self
                    .registry
                    .resolve(&format!("{seg}/{name}"))
                    .map_err(|e| reg_err(&e))?;
                let actor = sb.actor.unwrap_or_else(|| "admin-api".into());
                let rec = self
                    .registry
                    .set_status(&id, action, &actor, &sb.reason)
                    .map_err(|e| reg_err(&e))?;
                Ok((200, to_json(&rec)))
            }
            ("POST", ["keys", "rotate"]) => {
                let kid = self.keys.rotate().map_err(|_| {
                    err(
                        503,
                        "key_store_unavailable",
                        "could not persist rotated keys",
                    )
                })?;
                Ok((200, json!({"kid": kid})))
            }
            _ => Err(err(404, "not_found", "no such admin endpoint")),
        }
    }
}
