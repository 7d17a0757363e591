//! `EnrollError`: why enrollment refused, each with a stable code and HTTP status.

use crate::error::AuthError;
use crate::evidence::EvidenceError;
use palisade_core::IdentityStatus;

/// Why enrollment refused. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollError {
    /// Request body is not valid.
    #[error("invalid enrollment request: {0}")]
    Malformed(String),
    /// Identity not registered.
    #[error("identity is not registered")]
    UnknownIdentity,
    /// Identity not active.
    #[error("identity is {}", .0.as_str())]
    Disabled(IdentityStatus),
    /// Nonce never issued (or long gone).
    #[error("enrollment nonce is unknown")]
    NonceUnknown,
    /// Nonce already used.
    #[error("enrollment nonce was already used")]
    NonceReused,
    /// Nonce past its lifetime.
    #[error("enrollment nonce expired")]
    NonceExpired,
    /// Nonce issued for another identity.
    #[error("enrollment nonce was issued for another identity")]
    NonceIdentityMismatch,
    /// Key/certificate binding problem.
    #[error("key binding refused: {0}")]
    KeyBinding(String),
    /// `jwk` without `proof`.
    #[error("proof of possession of the jwk is missing")]
    ProofMissing,
    /// The proof of possession failed.
    #[error("proof of possession refused: {0}")]
    Proof(AuthError),
    /// A required kind is absent.
    #[error("required evidence `{0}` missing")]
    MissingEvidence(String),
    /// No verifier for this kind.
    #[error("evidence kind `{0}` is not supported")]
    UnsupportedEvidence(String),
    /// A verifier refused.
    #[error(transparent)]
    Evidence(EvidenceError),
    /// Evidence names another identity.
    #[error("{0} evidence attests another identity")]
    EvidenceIdentityMismatch(String),
    /// The appraisal has already expired (or leaves no lifetime).
    #[error("appraisal expired")]
    AppraisalExpired,
    /// This source has used too many enrollment nonces that have not expired yet.
    #[error("too many enrollment attempts from this address, retry later")]
    Busy,
    /// Registry unavailable.
    #[error("identity registry unavailable")]
    Registry,
}

impl EnrollError {
    /// Stable code.
    pub fn code(&self) -> String {
        use EnrollError::*;
        match self {
            Malformed(_) => "invalid_request".into(),
            UnknownIdentity => "identity_unknown".into(),
            Disabled(IdentityStatus::Suspended) => "identity_suspended".into(),
            Disabled(IdentityStatus::Quarantined) => "identity_quarantined".into(),
            Disabled(IdentityStatus::Revoked) => "identity_revoked".into(),
            Disabled(IdentityStatus::Active) => "identity_disabled".into(),
            NonceUnknown => "nonce_unknown".into(),
            NonceReused => "nonce_reused".into(),
            NonceExpired => "nonce_expired".into(),
            NonceIdentityMismatch => "nonce_identity_mismatch".into(),
            KeyBinding(_) => "key_binding_invalid".into(),
            ProofMissing => "proof_missing".into(),
            Proof(e) => format!("proof_{}", e.code()),
            MissingEvidence(_) => "evidence_missing".into(),
            UnsupportedEvidence(_) => "evidence_kind_unsupported".into(),
            Evidence(e) => e.code.clone(),
            EvidenceIdentityMismatch(_) => "evidence_identity_mismatch".into(),
            AppraisalExpired => "appraisal_expired".into(),
            Busy => "enrollment_busy".into(),
            Registry => "registry_unavailable".into(),
        }
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            EnrollError::Malformed(_) => 400,
            EnrollError::Disabled(_) => 403,
            EnrollError::Busy | EnrollError::Registry => 503,
            _ => 401,
        }
    }
}
