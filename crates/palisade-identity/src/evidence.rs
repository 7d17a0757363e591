//! The evidence seam of enrollment: the `EvidenceVerifier` trait every verifier implements
//! (join token and Kubernetes SA token here; DSSE/in-toto, Sigstore, SEV-SNP and the sample TEE
//! in palisade-attest, adapted by the gateway), the `Appraisal` it yields, and the binding.
//!
//! # Binding convention
//! Evidence that can carry caller data must carry
//! `binding = SHA-256(nonce || "." || key_id)` where `nonce` is the challenge nonce exactly as
//! returned by `/v1/enroll/challenge` (its base64url ASCII text) and `key_id` is the RFC 7638
//! JWK thumbprint of the workload's DPoP key (base64url ASCII) or, for mTLS, the `x5t#S256`
//! of its client certificate (base64url ASCII). SEV-SNP puts it in `report_data[0..32]`; the
//! sample TEE in its `report_data` field. Evidence that cannot carry it (join token,
//! Kubernetes SA token) is platform attestation; the binding then comes from the nonce
//! (single use) and the proof of possession of the key made at enrollment.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The result of appraising one piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appraisal {
    /// Evidence kind (`join_token`, `k8s_sat`, `sev_snp`, ...).
    pub kind: String,
    /// The appraisal is trusted until then; the credential never outlives it.
    pub expires_at_ms: u64,
    /// Facts established (measurement, builder id, service account, ...). A claim
    /// `bound_identity` names the only SPIFFE id this evidence may enroll.
    pub claims: BTreeMap<String, Value>,
}

/// Why evidence was refused. `code` is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} evidence refused: {message}")]
pub struct EvidenceError {
    /// Evidence kind.
    pub kind: String,
    /// Stable code, e.g. `join_token_used`, `k8s_wrong_audience`, `snp_measurement_mismatch`.
    pub code: String,
    /// Lowercase human message (never echoes secrets).
    pub message: String,
}

impl EvidenceError {
    /// Builds an error.
    pub fn new(kind: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// A verifier of one evidence kind.
pub trait EvidenceVerifier: Send + Sync {
    /// The kind it handles (the `kind` member of an evidence item).
    fn kind(&self) -> &str;
    /// Appraises `evidence` (the whole item, including `kind`) against `binding`.
    fn verify(
        &self,
        evidence: &Value,
        binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, EvidenceError>;
}

/// `SHA-256(nonce || "." || key_id)`, see the module docs.
pub fn binding(nonce: &str, key_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(nonce.as_bytes());
    h.update(b".");
    h.update(key_id.as_bytes());
    h.finalize().into()
}

/// Name of the claim that pins evidence to one identity.
pub const BOUND_IDENTITY: &str = "bound_identity";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_is_sha256_of_nonce_dot_key() {
        let b = binding("n", "k");
        let want: [u8; 32] = Sha256::digest(b"n.k").into();
        assert_eq!(b, want);
        assert_ne!(binding("n", "k2"), b);
    }
}
