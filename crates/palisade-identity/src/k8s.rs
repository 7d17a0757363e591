//! The Kubernetes projected service-account token attestor (`k8s_sat`), like SPIRE's k8s
//! attestor: the JWT is verified against the cluster's JWKS (file), issuer and audience, and
//! its `system:serviceaccount:<ns>:<name>` subject is mapped to the one SPIFFE id it may enroll.
//!
//! The SA token is platform attestation ("this runs as that service account"); it cannot carry
//! the enrollment nonce, so the binding to the workload key comes from the single-use nonce,
//! the proof of possession at enrollment and any TEE evidence presented alongside.

use crate::config::K8sConfig;
use crate::evidence::{Appraisal, EvidenceError, EvidenceVerifier, BOUND_IDENTITY};
use crate::jose::{CompactJws, PublicJwk};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

const KIND: &str = "k8s_sat";
/// Leeway for the cluster's clock.
const LEEWAY_S: u64 = 5;

/// Verifies projected service-account tokens.
#[derive(Debug)]
pub struct K8sSaVerifier {
    issuer: String,
    audience: String,
    keys: HashMap<String, PublicJwk>,
    accounts: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct SaClaims {
    iss: String,
    sub: String,
    aud: Value,
    exp: u64,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default, rename = "kubernetes.io")]
    k8s: Option<Value>,
}

fn err(code: &str, msg: impl Into<String>) -> EvidenceError {
    EvidenceError::new(KIND, code, msg)
}

impl K8sSaVerifier {
    /// Builds a verifier from a JWKS document (`{"keys":[...]}`); every key needs a `kid`.
    pub fn new(cfg: &K8sConfig, jwks: &Value) -> Result<Self, EvidenceError> {
        let mut keys = HashMap::new();
        for k in jwks
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kid = k
                .get("kid")
                .and_then(Value::as_str)
                .ok_or_else(|| err("k8s_jwks_invalid", "jwks key without kid"))?;
            let key =
                PublicJwk::from_json(k).map_err(|e| err("k8s_jwks_invalid", e.to_string()))?;
            keys.insert(kid.to_owned(), key);
        }
        if keys.is_empty() {
            return Err(err("k8s_jwks_invalid", "jwks has no keys"));
        }
        Ok(Self {
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
            keys,
            accounts: cfg.service_accounts.clone(),
        })
    }

    /// Reads `cfg.jwks_file` and builds the verifier.
    pub fn from_config(cfg: &K8sConfig) -> Result<Self, EvidenceError> {
        let bytes = std::fs::read(&cfg.jwks_file).map_err(|e| {
            err(
                "k8s_jwks_invalid",
                format!("reading {}: {e}", cfg.jwks_file.display()),
            )
        })?;
        let jwks: Value = serde_json::from_slice(&bytes)
            .map_err(|_| err("k8s_jwks_invalid", "jwks is not json"))?;
        Self::new(cfg, &jwks)
    }
}

impl EvidenceVerifier for K8sSaVerifier {
    fn kind(&self) -> &str {
        KIND
    }

    fn verify(
        &self,
        evidence: &Value,
        _binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, EvidenceError> {
        let token = evidence
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| err("k8s_malformed", "missing `token`"))?;
        let jws = CompactJws::parse(token).map_err(|e| err("k8s_malformed", e.to_string()))?;
        let kid = jws
            .header
            .kid
            .as_deref()
            .ok_or_else(|| err("k8s_malformed", "kid missing"))?;
        let key = self
            .keys
            .get(kid)
            .ok_or_else(|| err("k8s_unknown_key", "kid not in the cluster jwks"))?;
        // The key decides the algorithm (RS256 or ES256); a token claiming another is refused.
        key.verify(
            &jws.header.alg,
            jws.signing_input.as_bytes(),
            &jws.signature,
        )
        .map_err(|e| match e {
            crate::jose::JoseError::Alg(a) => err(
                "k8s_alg_rejected",
                format!("algorithm `{a}` is not accepted"),
            ),
            _ => err("k8s_bad_signature", "signature does not verify"),
        })?;
        let c: SaClaims =
            serde_json::from_slice(&jws.payload).map_err(|_| err("k8s_malformed", "claims"))?;
        if c.iss != self.issuer {
            return Err(err(
                "k8s_wrong_issuer",
                "issuer is not the configured cluster",
            ));
        }
        let aud_ok = match &c.aud {
            Value::String(s) => *s == self.audience,
            Value::Array(a) => a.iter().any(|v| v.as_str() == Some(self.audience.as_str())),
            _ => false,
        };
        if !aud_ok {
            return Err(err("k8s_wrong_audience", "audience is not this gateway"));
        }
        let now_s = now_ms / 1000;
        if now_s >= c.exp.saturating_add(LEEWAY_S) {
            return Err(err("k8s_token_expired", "service account token expired"));
        }
        if c.nbf
            .or(c.iat)
            .is_some_and(|t| t > now_s.saturating_add(LEEWAY_S))
        {
            return Err(err(
                "k8s_token_not_yet_valid",
                "service account token not yet valid",
            ));
        }
        let bound = self.accounts.get(&c.sub).ok_or_else(|| {
            err(
                "k8s_unmapped_account",
                format!("service account `{}` is not mapped to an identity", c.sub),
            )
        })?;
        let mut claims = BTreeMap::new();
        claims.insert(BOUND_IDENTITY.to_owned(), json!(bound));
        claims.insert("service_account".to_owned(), json!(c.sub));
        if let Some(pod) = c
            .k8s
            .as_ref()
            .and_then(|k| k.get("pod"))
            .and_then(|p| p.get("name"))
        {
            claims.insert("pod".to_owned(), pod.clone());
        }
        Ok(Appraisal {
            kind: KIND.into(),
            expires_at_ms: c.exp.saturating_mul(1000),
            claims,
        })
    }
}
