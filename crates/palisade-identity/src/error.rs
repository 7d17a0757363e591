//! `AuthError`: every reason stage 3 refuses a request, each with a stable code and a status
//! (401 for a missing/invalid credential, 403 for a valid one of a disabled identity).

use palisade_core::{AuthFailure, IdentityStatus};

/// Why authentication refused a request. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No Authorization header.
    #[error("no access token presented")]
    MissingCredential,
    /// A static API key (x-api-key or a non-JWT bearer) was presented.
    #[error("static api keys are not accepted; enroll to get a short-lived sender-bound token")]
    StaticApiKey,
    /// The Authorization scheme is neither DPoP nor Bearer.
    #[error("unsupported authorization scheme")]
    Scheme,
    /// The token is not a well-formed JWT.
    #[error("malformed access token: {0}")]
    Malformed(&'static str),
    /// `alg` is not the pinned one (none, HS256, ...).
    #[error("access token algorithm `{0}` is not accepted")]
    Alg(String),
    /// `kid` is not a current or previous signing key.
    #[error("access token signed by an unknown key")]
    UnknownKey,
    /// Signature check failed.
    #[error("access token signature is invalid")]
    BadSignature,
    /// `exp` is past (beyond leeway).
    #[error("access token expired")]
    Expired,
    /// `nbf`/`iat` lies in the future (beyond leeway).
    #[error("access token not yet valid")]
    NotYetValid,
    /// `aud` is not ours.
    #[error("access token audience is not this gateway")]
    WrongAudience,
    /// `iss` is not ours.
    #[error("access token issuer is not this gateway")]
    WrongIssuer,
    /// No `cnf` and no legacy switch.
    #[error("unbound bearer tokens are refused; use a DPoP or mTLS bound token")]
    Unbound,
    /// DPoP-bound token sent with the Bearer scheme.
    #[error("a DPoP-bound token must use the DPoP authorization scheme")]
    DpopScheme,
    /// DPoP header missing for a DPoP-bound token.
    #[error("DPoP proof missing")]
    DpopMissing,
    /// The proof is not a valid dpop+jwt.
    #[error("invalid DPoP proof: {0}")]
    DpopInvalid(&'static str),
    /// Proof signature failed.
    #[error("DPoP proof signature is invalid")]
    DpopBadSignature,
    /// Proof key is not the token's `cnf.jkt`.
    #[error("DPoP proof key does not match the token's key binding")]
    DpopKeyMismatch,
    /// Proof `jti` seen before.
    #[error("DPoP proof replayed")]
    DpopReplay,
    /// `htm` differs from the request method.
    #[error("DPoP proof htm does not match the request method")]
    DpopHtm,
    /// `htu` differs from the request URL.
    #[error("DPoP proof htu does not match the request url")]
    DpopHtu,
    /// `iat` outside the window.
    #[error("DPoP proof iat outside the accepted window")]
    DpopIat,
    /// No `ath` with an access token.
    #[error("DPoP proof lacks ath")]
    DpopAthMissing,
    /// `ath` differs from the hash of the presented token.
    #[error("DPoP proof ath does not match the access token")]
    DpopAthMismatch,
    /// A server nonce is required (or the one given is stale); carries a fresh one.
    #[error("DPoP proof must carry the server nonce")]
    DpopNonce(String),
    /// The replay cache is full: refuse rather than forget (fail closed).
    #[error("DPoP replay cache full or unavailable, retry later")]
    DpopCacheFull,
    /// mTLS-bound token without a client certificate.
    #[error("token is bound to a client certificate but none was presented")]
    MtlsMissing,
    /// Client certificate differs from `cnf.x5t#S256`.
    #[error("client certificate does not match the token's binding")]
    MtlsMismatch,
    /// `sub` not in the registry.
    #[error("identity is not registered")]
    UnknownIdentity,
    /// Identity not active.
    #[error("identity is {}", .0.as_str())]
    Disabled(IdentityStatus),
    /// Registry unavailable: fail closed.
    #[error("identity registry unavailable")]
    Registry,
}

impl AuthError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        use AuthError::*;
        match self {
            MissingCredential => "missing_credential",
            StaticApiKey => "static_api_key_refused",
            Scheme => "unsupported_auth_scheme",
            Malformed(_) => "malformed_token",
            Alg(_) => "token_alg_rejected",
            UnknownKey => "unknown_signing_key",
            BadSignature => "bad_signature",
            Expired => "token_expired",
            NotYetValid => "token_not_yet_valid",
            WrongAudience => "wrong_audience",
            WrongIssuer => "wrong_issuer",
            Unbound => "unbound_token",
            DpopScheme => "dpop_scheme_required",
            DpopMissing => "dpop_missing",
            DpopInvalid(_) => "dpop_invalid",
            DpopBadSignature => "dpop_bad_signature",
            DpopKeyMismatch => "dpop_key_mismatch",
            DpopReplay => "dpop_replay",
            DpopHtm => "dpop_htm_mismatch",
            DpopHtu => "dpop_htu_mismatch",
            DpopIat => "dpop_iat_window",
            DpopAthMissing => "dpop_ath_missing",
            DpopAthMismatch => "dpop_ath_mismatch",
            DpopNonce(_) => "use_dpop_nonce",
            DpopCacheFull => "dpop_replay_cache_full",
            MtlsMissing => "mtls_cert_missing",
            MtlsMismatch => "mtls_cert_mismatch",
            UnknownIdentity => "identity_unknown",
            Disabled(IdentityStatus::Suspended) => "identity_suspended",
            Disabled(IdentityStatus::Quarantined) => "identity_quarantined",
            Disabled(IdentityStatus::Revoked) => "identity_revoked",
            Disabled(IdentityStatus::Active) => "identity_disabled",
            Registry => "registry_unavailable",
        }
    }

    /// 403 for a proven identity that is disabled, 503 when the registry fails, else 401.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Disabled(_) => 403,
            AuthError::Registry | AuthError::DpopCacheFull => 503,
            _ => 401,
        }
    }

    /// The core failure the gateway renders in the caller's API format.
    pub fn to_failure(&self) -> AuthFailure {
        AuthFailure {
            status: self.status(),
            code: self.code().to_owned(),
            message: self.to_string(),
            dpop_nonce: match self {
                AuthError::DpopNonce(n) => Some(n.clone()),
                _ => None,
            },
        }
    }
}

impl From<AuthError> for AuthFailure {
    fn from(e: AuthError) -> Self {
        e.to_failure()
    }
}
