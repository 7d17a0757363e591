//! One-time join tokens: minted for one identity with a short lifetime, stored only as their
//! SHA-256, consumed atomically by the `join_token` evidence verifier.

use crate::evidence::{Appraisal, EvidenceError, EvidenceVerifier, BOUND_IDENTITY};
use crate::jose::b64e;
use crate::registry::{Registry, RegistryError};
use palisade_core::{IdentityStatus, SpiffeId};
use palisade_store::rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Prefix that makes a join token recognisable in logs and scanners.
pub const JOIN_TOKEN_PREFIX: &str = "pjt_";

/// A freshly minted join token. The secret is shown once; Debug hides it.
#[derive(Clone, serde::Serialize)]
pub struct JoinToken {
    /// The identity it may enroll.
    pub identity: String,
    /// The secret (hand to the workload once).
    pub token: String,
    /// Expiry, ms since epoch.
    pub expires_at_ms: u64,
}

impl std::fmt::Debug for JoinToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinToken")
            .field("identity", &self.identity)
            .field("token", &"<redacted>")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl Registry {
    /// Mints a one-time join token for `id`, valid `ttl_secs` (1 s to 1 day).
    pub fn join_token(&self, id: &SpiffeId, ttl_secs: u64) -> Result<JoinToken, RegistryError> {
        if ttl_secs == 0 || ttl_secs > 86_400 {
            return Err(RegistryError::Invalid(
                "join token ttl must be 1..=86400 seconds".into(),
            ));
        }
        let rec = self.show(id)?;
        if rec.status != IdentityStatus::Active {
            return Err(RegistryError::Transition {
                action: "issue a join token for".into(),
                from: rec.status.as_str().into(),
            });
        }
        let secret: [u8; 32] = rand::random();
        let token = format!("{JOIN_TOKEN_PREFIX}{}", b64e(&secret));
        let expires = self.now_ms().saturating_add(ttl_secs.saturating_mul(1000));
        let key = id.to_string();
        self.store().with(|c| {
            c.execute(
                "INSERT INTO identity_join_tokens (hash, id, expires_ms) VALUES (?1, ?2, ?3)",
                params![
                    hash(&token),
                    key,
                    i64::try_from(expires).unwrap_or(i64::MAX)
                ],
            )
        })?;
        Ok(JoinToken {
            identity: key,
            token,
            expires_at_ms: expires,
        })
    }
}

/// The `join_token` evidence verifier: `{"kind":"join_token","token":"pjt_..."}`.
#[derive(Debug, Clone)]
pub struct JoinTokenVerifier {
    registry: Arc<Registry>,
    appraisal_secs: u64,
}

impl JoinTokenVerifier {
    /// A verifier whose appraisals are trusted `appraisal_secs` after use.
    pub fn new(registry: Arc<Registry>, appraisal_secs: u64) -> Self {
        Self {
            registry,
            appraisal_secs,
        }
    }
}

const KIND: &str = "join_token";

impl EvidenceVerifier for JoinTokenVerifier {
    fn kind(&self) -> &str {
        KIND
    }

    /// Consumes the token (single use, even if other evidence later fails: fail closed).
    /// A join token is a bearer secret, not nonce-bound; see `evidence` for where binding comes from.
    fn verify(
        &self,
        evidence: &Value,
        _binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, EvidenceError> {
        let err = |code: &str, msg: &str| EvidenceError::new(KIND, code, msg);
        let token = evidence
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| err("join_token_malformed", "missing `token`"))?;
        if !token.starts_with(JOIN_TOKEN_PREFIX) || token.len() > 128 {
            return Err(err("join_token_malformed", "not a palisade join token"));
        }
        let h = hash(token);
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let outcome = self
            .registry
            .store()
            .with_tx(|tx| {
                let row: Option<(String, i64, Option<i64>)> = tx
                    .query_row(
                        "SELECT id, expires_ms, used_ms FROM identity_join_tokens WHERE hash = ?1",
                        [&h],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                let Some((id, expires, used)) = row else {
                    return Ok(Err(err("join_token_unknown", "unknown join token")));
                };
                if used.is_some() {
                    return Ok(Err(err("join_token_used", "join token already used")));
                }
                if now >= expires {
                    return Ok(Err(err("join_token_expired", "join token expired")));
                }
                tx.execute(
                    "UPDATE identity_join_tokens SET used_ms = ?2 WHERE hash = ?1 AND used_ms IS NULL",
                    params![h, now],
                )?;
                Ok(Ok(id))
            })
            .map_err(|_| err("join_token_store", "registry unavailable"))??;
        let mut claims = BTreeMap::new();
        claims.insert(BOUND_IDENTITY.to_owned(), json!(outcome));
        Ok(Appraisal {
            kind: KIND.into(),
            expires_at_ms: now_ms.saturating_add(self.appraisal_secs.saturating_mul(1000)),
            claims,
        })
    }
}
