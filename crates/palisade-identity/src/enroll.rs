//! Enrollment, KBS-style: `challenge` hands out a single-use nonce for one identity (stateless,
//! see [`crate::enroll_nonce`], so anonymous challenges have nothing to exhaust); `enroll`
//! takes the nonce, the workload key (DPoP JWK with a proof of possession, or an mTLS
//! certificate thumbprint) and evidence, appraises every item, checks the identity's
//! requirements, and mints an access token that never outlives the appraisal.

use crate::config::IdentityConfig;
use crate::dpop::{DpopVerifier, ProofContext};
use crate::enroll_error::EnrollError;
use crate::enroll_nonce::{NonceBook, Source};
use crate::evidence::{binding, Appraisal, EvidenceVerifier, BOUND_IDENTITY};
use crate::jose::{b64e, PublicJwk};
use crate::keys::SigningKeys;
use crate::record::IdentityRecord;
use crate::registry::Registry;
use crate::token::{random_id, AccessClaims, Cnf};
use palisade_core::{IdentityStatus, SharedClock};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A challenge nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nonce {
    /// base64url random value.
    pub nonce: String,
    /// Expiry, ms since epoch.
    pub expires_at_ms: u64,
}

/// `POST /v1/enroll` body. Debug shows only the identity and evidence kinds (evidence can
/// hold secrets such as join tokens).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// SPIFFE id.
    pub identity: String,
    /// The challenge nonce.
    pub nonce: String,
    /// Public JWK of the DPoP key (ES256 P-256 or Ed25519).
    #[serde(default)]
    pub jwk: Option<Value>,
    /// Proof of possession of `jwk`: a `dpop+jwt` with htm POST whose `nonce` claim is the
    /// challenge nonce. Required with `jwk`.
    #[serde(default)]
    pub proof: Option<String>,
    /// base64url SHA-256 of the mTLS client certificate (instead of `jwk`).
    #[serde(default, rename = "x5t#S256")]
    pub x5t_s256: Option<String>,
    /// Evidence items, each `{"kind": ..., ...}`.
    pub evidence: Vec<Value>,
}

impl std::fmt::Debug for EnrollRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<&str> = self
            .evidence
            .iter()
            .map(|e| e.get("kind").and_then(Value::as_str).unwrap_or("?"))
            .collect();
        f.debug_struct("EnrollRequest")
            .field("identity", &self.identity)
            .field("evidence_kinds", &kinds)
            .finish_non_exhaustive()
    }
}

/// Per-evidence outcome reported with the token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceStatus {
    /// Kind.
    pub kind: String,
    /// `ok` (failures abort enrollment with their code).
    pub status: &'static str,
    /// Appraisal expiry, ms.
    pub expires_at_ms: u64,
}

/// An issued access token. Debug hides the token.
#[derive(Clone, Serialize)]
pub struct IssuedToken {
    /// The JWT.
    pub access_token: String,
    /// `DPoP` (jkt-bound) or `Bearer` (mTLS-bound).
    pub token_type: &'static str,
    /// Seconds until expiry.
    pub expires_in: u64,
    /// Expiry, ms.
    pub expires_at_ms: u64,
    /// Token id.
    pub jti: String,
    /// Appraisal results.
    pub appraisals: Vec<EvidenceStatus>,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("jti", &self.jti)
            .finish_non_exhaustive()
    }
}

/// What a token is granted on: binding, evidence kinds and the appraisal expiry.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// `None` only for a legacy bearer identity enrolling without a key.
    pub(crate) cnf: Option<Cnf>,
    pub(crate) token_type: &'static str,
    pub(crate) att: Vec<String>,
    pub(crate) att_exp_s: u64,
}

/// The enrollment service.
pub struct Enrollment {
    cfg: IdentityConfig,
    registry: Arc<Registry>,
    keys: Arc<SigningKeys>,
    clock: SharedClock,
    verifiers: HashMap<String, Arc<dyn EvidenceVerifier>>,
    nonces: NonceBook,
    pop: DpopVerifier,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<&String> = self.verifiers.keys().collect();
        kinds.sort();
        f.debug_struct("Enrollment")
            .field("verifiers", &kinds)
            .finish_non_exhaustive()
    }
}

impl Enrollment {
    /// An enrollment service with no verifiers yet (add them with `add_verifier`).
    pub fn new(
        cfg: IdentityConfig,
        registry: Arc<Registry>,
        keys: Arc<SigningKeys>,
        clock: SharedClock,
    ) -> Self {
        let pop = DpopVerifier::new(cfg.dpop_iat_window_secs, false);
        Self {
            cfg,
            registry,
            keys,
            clock,
            verifiers: HashMap::new(),
            nonces: NonceBook::default(),
            pop,
        }
    }

    /// Registers a verifier for its kind (replacing an earlier one of the same kind).
    pub fn add_verifier(&mut self, v: Arc<dyn EvidenceVerifier>) {
        self.verifiers.insert(v.kind().to_owned(), v);
    }

    /// The evidence kinds this service can appraise.
    pub fn kinds(&self) -> Vec<String> {
        let mut k: Vec<String> = self.verifiers.keys().cloned().collect();
        k.sort();
        k
    }

    /// The gateway's signing keys (for the JWKS endpoint).
    pub fn keys(&self) -> &Arc<SigningKeys> {
        &self.keys
    }

    pub(crate) fn active_record(
        &self,
        identity: &str,
    ) -> Result<Arc<crate::record::IdentityRecord>, EnrollError> {
        let rec = self
            .registry
            .lookup(identity)
            .map_err(|_| EnrollError::Registry)?
            .ok_or(EnrollError::UnknownIdentity)?;
        if rec.status != IdentityStatus::Active {
            return Err(EnrollError::Disabled(rec.status));
        }
        Ok(rec)
    }

    /// Issues a single-use nonce for `identity` (which must be registered and active).
    pub fn challenge(&self, identity: &str) -> Result<Nonce, EnrollError> {
        self.active_record(identity)?;
        let now = self.clock.now_millis();
        let expires_at_ms = now.saturating_add(self.cfg.enroll_nonce_ttl_secs.saturating_mul(1000));
        let nonce = self.nonces.issue(identity, expires_at_ms);
        Ok(Nonce {
            nonce,
            expires_at_ms,
        })
    }

    /// Enrolls with no TLS client certificate (DPoP keys only).
    pub fn enroll(&self, req: &EnrollRequest) -> Result<IssuedToken, EnrollError> {
        self.enroll_with_cert(req, None)
    }

    /// Enrolls; `client_cert_sha256` is the TLS client certificate hash, needed for `x5t#S256`.
    pub fn enroll_with_cert(
        &self,
        req: &EnrollRequest,
        client_cert_sha256: Option<[u8; 32]>,
    ) -> Result<IssuedToken, EnrollError> {
        self.enroll_from(req, client_cert_sha256, None)
    }

    /// Enrolls a caller from `source` (its address: used nonces are budgeted per source).
    pub fn enroll_from(
        &self,
        req: &EnrollRequest,
        client_cert_sha256: Option<[u8; 32]>,
        source: Source,
    ) -> Result<IssuedToken, EnrollError> {
        let now = self.clock.now_millis();
        let rec = self.active_record(&req.identity)?;
        // Single use starts now, whatever the outcome: a failed attempt burns the nonce.
        self.nonces.redeem(&req.nonce, &req.identity, source, now)?;
        let (cnf, key_id, token_type) =
            if req.jwk.is_none() && req.x5t_s256.is_none() && rec.legacy_bearer {
                // Migration only: an unbound token, flagged on every call it makes. The binding
                // then covers the nonce alone.
                (None, String::new(), "Bearer")
            } else {
                let (cnf, key_id, token_type) = self.key_binding(req, client_cert_sha256, now)?;
                (Some(cnf), key_id, token_type)
            };
        let bind = binding(&req.nonce, &key_id);
        let appraisals = self.appraise(&req.evidence, &bind, now, &req.identity)?;
        for needed in &rec.requirements {
            if !appraisals.iter().any(|a| &a.kind == needed) {
                return Err(EnrollError::MissingEvidence(needed.clone()));
            }
        }
        let now_s = now / 1000;
        let appraisal_exp_s = appraisals
            .iter()
            .map(|a| a.expires_at_ms / 1000)
            .min()
            .unwrap_or(0);
        let mut att: Vec<String> = appraisals.iter().map(|a| a.kind.clone()).collect();
        att.sort();
        att.dedup();
        let statuses = appraisals
            .iter()
            .map(|a| EvidenceStatus {
                kind: a.kind.clone(),
                status: "ok",
                expires_at_ms: a.expires_at_ms,
            })
            .collect();
        let grant = Grant {
            cnf,
            token_type,
            att,
            att_exp_s: appraisal_exp_s,
        };
        self.mint(&rec, grant, now_s, statuses)
    }

    /// Signs a token for `rec`: lifetime = min(configured ttl, identity max, appraisal expiry).
    pub(crate) fn mint(
        &self,
        rec: &IdentityRecord,
        grant: Grant,
        now_s: u64,
        appraisals: Vec<EvidenceStatus>,
    ) -> Result<IssuedToken, EnrollError> {
        let exp = now_s
            .saturating_add(self.cfg.token_ttl_secs)
            .min(now_s.saturating_add(rec.max_ttl_secs))
            .min(grant.att_exp_s);
        if exp <= now_s {
            return Err(EnrollError::AppraisalExpired);
        }
        let jti = random_id();
        let claims = AccessClaims {
            iss: self.cfg.issuer.clone(),
            sub: rec.id.to_string(),
            aud: self.cfg.audience.clone(),
            iat: now_s,
            nbf: now_s,
            exp,
            jti: jti.clone(),
            segment: rec.segment.clone(),
            scopes: rec.scopes.clone(),
            att: grant.att,
            cnf: grant.cnf,
            att_exp: Some(grant.att_exp_s),
        };
        let value = serde_json::to_value(&claims).map_err(|_| EnrollError::Registry)?;
        Ok(IssuedToken {
            access_token: self.keys.sign_jwt(&value),
            token_type: grant.token_type,
            expires_in: exp - now_s,
            expires_at_ms: exp.saturating_mul(1000),
            jti,
            appraisals,
        })
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_millis()
    }

    fn key_binding(
        &self,
        req: &EnrollRequest,
        client_cert: Option<[u8; 32]>,
        now_ms: u64,
    ) -> Result<(Cnf, String, &'static str), EnrollError> {
        match (&req.jwk, &req.x5t_s256) {
            (Some(jwk), None) => {
                let key = PublicJwk::from_json(jwk)
                    .map_err(|e| EnrollError::KeyBinding(e.to_string()))?;
                if matches!(key, PublicJwk::Rsa(_)) {
                    return Err(EnrollError::KeyBinding(
                        "only P-256 and Ed25519 keys are accepted".into(),
                    ));
                }
                let jkt = key.thumbprint();
                let proof = req.proof.as_deref().ok_or(EnrollError::ProofMissing)?;
                let ctx = ProofContext {
                    method: "POST",
                    url: None,
                    access_token: None,
                    now_s: now_ms / 1000,
                };
                let verified = self.pop.verify(proof, &ctx).map_err(EnrollError::Proof)?;
                if verified.jkt != jkt {
                    return Err(EnrollError::KeyBinding(
                        "proof is not signed by the enrolled jwk".into(),
                    ));
                }
                if verified.nonce.as_deref() != Some(req.nonce.as_str()) {
                    return Err(EnrollError::KeyBinding(
                        "proof does not carry the challenge nonce".into(),
                    ));
                }
                Ok((
                    Cnf {
                        jkt: Some(jkt.clone()),
                        x5t_s256: None,
                    },
                    jkt,
                    "DPoP",
                ))
            }
            (None, Some(x5t)) => {
                let cert = client_cert.ok_or_else(|| {
                    EnrollError::KeyBinding("x5t#S256 enrollment needs a client certificate".into())
                })?;
                if b64e(&cert) != *x5t {
                    return Err(EnrollError::KeyBinding(
                        "x5t#S256 does not match the client certificate".into(),
                    ));
                }
                Ok((
                    Cnf {
                        jkt: None,
                        x5t_s256: Some(x5t.clone()),
                    },
                    x5t.clone(),
                    "Bearer",
                ))
            }
            _ => Err(EnrollError::KeyBinding(
                "give exactly one of jwk and x5t#S256".into(),
            )),
        }
    }

    fn appraise(
        &self,
        evidence: &[Value],
        bind: &[u8; 32],
        now: u64,
        identity: &str,
    ) -> Result<Vec<Appraisal>, EnrollError> {
        if evidence.len() > 16 {
            return Err(EnrollError::Malformed("at most 16 evidence items".into()));
        }
        let mut out = Vec::with_capacity(evidence.len());
        for item in evidence {
            let kind = item
                .get("kind")
                .and_then(Value::as_str)
                .ok_or_else(|| EnrollError::Malformed("evidence item without kind".into()))?;
            let v = self
                .verifiers
                .get(kind)
                .ok_or_else(|| EnrollError::UnsupportedEvidence(kind.chars().take(64).collect()))?;
            // Every presented item must pass, required or not: fail closed.
            let a = v.verify(item, bind, now).map_err(EnrollError::Evidence)?;
            if a.kind != kind {
                return Err(EnrollError::Malformed(
                    "verifier returned another kind".into(),
                ));
            }
            if let Some(b) = a.claims.get(BOUND_IDENTITY) {
                if b.as_str() != Some(identity) {
                    return Err(EnrollError::EvidenceIdentityMismatch(a.kind.clone()));
                }
            }
            if a.expires_at_ms <= now {
                return Err(EnrollError::AppraisalExpired);
            }
            out.push(a);
        }
        Ok(out)
    }
}
