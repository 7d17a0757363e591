//! `IdentityConfig`: strict serde settings of the identity stage (tokens, DPoP, enrollment,
//! Kubernetes attestor), with defaults and a validation step that enforces the hard limits.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Settings of the identity stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// SPIFFE trust domain of every registered identity.
    pub trust_domain: String,
    /// `iss` of access tokens the gateway mints (and the only one it accepts).
    pub issuer: String,
    /// `aud` of access tokens (and the only one accepted).
    pub audience: String,
    /// Default access token lifetime; capped by the identity's maximum and the appraisal.
    pub token_ttl_secs: u64,
    /// Clock leeway for exp/nbf/iat, at most 5 s.
    pub leeway_secs: u64,
    /// How far a DPoP proof's `iat` may lie from now (each side).
    pub dpop_iat_window_secs: u64,
    /// Require a server-issued `DPoP-Nonce` in every proof (RFC 9449 §8; default on: a proof
    /// is then only good for the nonce's two-minute slot, whatever its `iat` claims).
    pub require_dpop_nonce: bool,
    /// How long an enrollment challenge nonce lives.
    pub enroll_nonce_ttl_secs: u64,
    /// How long an appraisal based on a join token is trusted (it has no expiry of its own).
    pub join_token_appraisal_secs: u64,
    /// Kubernetes projected service-account token attestor, if enabled.
    pub k8s: Option<K8sConfig>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            trust_domain: "palisade.local".into(),
            issuer: "https://palisade.local".into(),
            audience: "palisade-gateway".into(),
            token_ttl_secs: 300,
            leeway_secs: 5,
            dpop_iat_window_secs: 60,
            require_dpop_nonce: true,
            enroll_nonce_ttl_secs: 300,
            join_token_appraisal_secs: 3600,
            k8s: None,
        }
    }
}

/// The Kubernetes projected service-account token attestor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct K8sConfig {
    /// The cluster's service-account issuer (`--service-account-issuer`).
    pub issuer: String,
    /// The audience the projected token was requested for.
    pub audience: String,
    /// JWKS of the cluster (`/openid/v1/jwks`), saved to a file.
    pub jwks_file: PathBuf,
    /// `system:serviceaccount:<ns>:<name>` -> SPIFFE id it attests (like SPIRE registration entries).
    #[serde(default)]
    pub service_accounts: BTreeMap<String, String>,
}

/// A configuration value outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid identity config: {0}")]
pub struct ConfigError(pub String);

impl IdentityConfig {
    /// Checks the hard limits (leeway ≤ 5 s, non-zero lifetimes, a valid trust domain).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.leeway_secs > 5 {
            return Err(ConfigError(format!(
                "leeway_secs {} exceeds 5",
                self.leeway_secs
            )));
        }
        for (name, v) in [
            ("token_ttl_secs", self.token_ttl_secs),
            ("dpop_iat_window_secs", self.dpop_iat_window_secs),
            ("enroll_nonce_ttl_secs", self.enroll_nonce_ttl_secs),
            ("join_token_appraisal_secs", self.join_token_appraisal_secs),
        ] {
            if v == 0 {
                return Err(ConfigError(format!("{name} must be positive")));
            }
        }
        if self.token_ttl_secs > 86_400 {
            return Err(ConfigError("token_ttl_secs above one day".into()));
        }
        palisade_core::SpiffeId::new(&self.trust_domain, "s", "n")
            .map_err(|e| ConfigError(format!("trust_domain: {e}")))?;
        if self.issuer.is_empty() || self.audience.is_empty() {
            return Err(ConfigError("issuer and audience must be set".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_unknown_fields_fail() {
        IdentityConfig::default().validate().unwrap();
        let e = serde_json::from_str::<IdentityConfig>(r#"{"token_tll_secs": 5}"#);
        assert!(e.is_err());
        let c: IdentityConfig = serde_json::from_str(r#"{"leeway_secs": 6}"#).unwrap();
        assert!(c.validate().unwrap_err().0.contains("leeway"));
    }
}
