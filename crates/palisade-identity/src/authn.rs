//! Stage 3: `IdentityAuthenticator` turns request credentials into an `Identity`: static keys
//! refused, access token verified (EdDSA pinned, iss, aud, exp, nbf), sender binding checked
//! (DPoP proof against `cnf.jkt`, or the mTLS certificate against `cnf.x5t#S256`), then the
//! identity's current status read from the registry (cache invalidated on every change).

use crate::config::IdentityConfig;
use crate::dpop::{DpopVerifier, ProofContext};
use crate::error::AuthError;
use crate::jose::b64e;
use crate::keys::SigningKeys;
use crate::registry::Registry;
use crate::token::{check_times, verify_signed, AccessClaims};
use crate::token_cache::{TokenCache, Verified};
use palisade_core::{
    AuthFailure, Authenticator, Identity, IdentityStatus, RequestCredentials, SharedClock,
};
use std::sync::Arc;

/// Marker added to `Identity::attestation_kinds` for calls on a legacy bearer token, so
/// policy and audit can flag (or deny) them.
pub const LEGACY_BEARER_MARK: &str = "legacy_bearer";

/// How the token was bound to its sender on this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderBinding {
    /// DPoP proof verified.
    Dpop,
    /// mTLS certificate matched.
    Mtls,
    /// Unbound legacy bearer token (identity has `legacy_bearer`).
    LegacyBearer,
}

/// The full outcome of authentication.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The identity later stages see.
    pub identity: Identity,
    /// The verified token claims.
    pub claims: Arc<AccessClaims>,
    /// How the sender was bound.
    pub binding: SenderBinding,
}

/// The stage 3 authenticator.
#[derive(Debug)]
pub struct IdentityAuthenticator {
    cfg: IdentityConfig,
    registry: Arc<Registry>,
    keys: Arc<SigningKeys>,
    dpop: DpopVerifier,
    clock: SharedClock,
    verified: TokenCache,
}

fn looks_like_jwt(s: &str) -> bool {
    s.bytes().filter(|b| *b == b'.').count() == 2 && s.starts_with("eyJ")
}

impl IdentityAuthenticator {
    /// Builds the authenticator over `dpop` (whose replay cache and nonce key decide whether
    /// a restart forgets proofs: the service gives it the persistent ones).
    pub fn new(
        cfg: IdentityConfig,
        registry: Arc<Registry>,
        keys: Arc<SigningKeys>,
        dpop: DpopVerifier,
        clock: SharedClock,
    ) -> Self {
        Self {
            cfg,
            registry,
            keys,
            dpop,
            clock,
            verified: TokenCache::default(),
        }
    }

    /// A fresh server nonce for the `DPoP-Nonce` response header.
    pub fn dpop_nonce(&self) -> String {
        self.dpop.current_nonce(self.clock.now_secs())
    }

    /// Authenticates and reports the binding used.
    pub fn authenticate_detailed(
        &self,
        creds: &RequestCredentials<'_>,
    ) -> Result<Authenticated, AuthError> {
        let now_s = self.clock.now_secs();
        let Some(authz) = creds.authorization else {
            return Err(if creds.api_key.is_some() {
                AuthError::StaticApiKey
            } else {
                AuthError::MissingCredential
            });
        };
        let (scheme, token) = authz.trim().split_once(' ').ok_or(AuthError::Scheme)?;
        let token = token.trim();
        let dpop_scheme = scheme.eq_ignore_ascii_case("dpop");
        if !dpop_scheme && !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Scheme);
        }
        if !looks_like_jwt(token) {
            // `Bearer sk-...` and friends: long-lived static keys are exactly what was stolen.
            return Err(AuthError::StaticApiKey);
        }
        let claims = self.verified_claims(token, now_s)?;
        let binding = self.check_binding(creds, &claims, token, dpop_scheme, now_s)?;
        let rec = self
            .registry
            .lookup(&claims.sub)
            .map_err(|_| AuthError::Registry)?
            .ok_or(AuthError::UnknownIdentity)?;
        if rec.status != IdentityStatus::Active {
            return Err(AuthError::Disabled(rec.status));
        }
        if binding == SenderBinding::LegacyBearer && !rec.legacy_bearer {
            return Err(AuthError::Unbound);
        }
        let mut att = claims.att.clone();
        if binding == SenderBinding::LegacyBearer {
            att.push(LEGACY_BEARER_MARK.to_owned());
        }
        let identity = rec.to_identity(att, now_s.saturating_sub(claims.iat));
        Ok(Authenticated {
            identity,
            claims,
            binding,
        })
    }

    /// Signature, iss and aud from the cache or a fresh check; time always re-checked.
    fn verified_claims(&self, token: &str, now_s: u64) -> Result<Arc<AccessClaims>, AuthError> {
        let digest = TokenCache::digest(token);
        if let Some(v) = self.verified.get(&digest) {
            // A rotated-out key must stop a cached token exactly as it stops a fresh one.
            if self.keys.verifying_key(&v.kid).is_some() {
                check_times(&v.claims, now_s, self.cfg.leeway_secs)?;
                return Ok(v.claims);
            }
        }
        let (claims, kid) = verify_signed(&self.keys, token, &self.cfg.issuer, &self.cfg.audience)?;
        check_times(&claims, now_s, self.cfg.leeway_secs)?;
        let claims = Arc::new(claims);
        self.verified.insert(
            digest,
            Verified {
                claims: claims.clone(),
                kid,
            },
            now_s,
        );
        Ok(claims)
    }

    fn check_binding(
        &self,
        creds: &RequestCredentials<'_>,
        claims: &AccessClaims,
        token: &str,
        dpop_scheme: bool,
        now_s: u64,
    ) -> Result<SenderBinding, AuthError> {
        let cnf = claims.cnf.as_ref();
        if let Some(jkt) = cnf.and_then(|c| c.jkt.as_deref()) {
            if !dpop_scheme {
                return Err(AuthError::DpopScheme);
            }
            let proof = creds.dpop.ok_or(AuthError::DpopMissing)?;
            let ctx = ProofContext {
                method: creds.method,
                url: Some(creds.url),
                access_token: Some(token),
                now_s,
            };
            let verified = self.dpop.verify(proof, &ctx)?;
            if !bool::from(subtle::ConstantTimeEq::ct_eq(
                verified.jkt.as_bytes(),
                jkt.as_bytes(),
            )) {
                return Err(AuthError::DpopKeyMismatch);
            }
            return Ok(SenderBinding::Dpop);
        }
        if let Some(x5t) = cnf.and_then(|c| c.x5t_s256.as_deref()) {
            let cert = creds.client_cert_sha256.ok_or(AuthError::MtlsMissing)?;
            if b64e(&cert) != x5t {
                return Err(AuthError::MtlsMismatch);
            }
            return Ok(SenderBinding::Mtls);
        }
        if dpop_scheme {
            return Err(AuthError::Unbound);
        }
        // Unbound: allowed only for legacy identities, decided after the registry lookup.
        Ok(SenderBinding::LegacyBearer)
    }
}

impl Authenticator for IdentityAuthenticator {
    fn authenticate(&self, creds: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        self.authenticate_detailed(creds)
            .map(|a| a.identity)
            .map_err(|e| e.to_failure())
    }

    fn dpop_nonce(&self) -> Option<String> {
        self.dpop
            .requires_nonce()
            .then(|| IdentityAuthenticator::dpop_nonce(self))
    }
}
