//! Access tokens: the claims the gateway mints (sub, aud, iat, nbf, exp, jti, segment, scopes,
//! attestation summary, cnf) and their verification with the algorithm pinned to EdDSA.

use crate::error::AuthError;
use crate::jose::{b64e, CompactJws, JoseError};
use crate::keys::SigningKeys;
use serde::{Deserialize, Serialize};

/// Sender binding (RFC 7800 `cnf`): exactly one member is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cnf {
    /// RFC 7638 thumbprint of the DPoP key (RFC 9449).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// base64url SHA-256 of the client certificate DER (RFC 8705).
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
}

/// Claims of a Palisade access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer (the gateway).
    pub iss: String,
    /// The SPIFFE id.
    pub sub: String,
    /// Audience (the gateway).
    pub aud: String,
    /// Issued at (s).
    pub iat: u64,
    /// Not before (s).
    pub nbf: u64,
    /// Expiry (s).
    pub exp: u64,
    /// Unique token id.
    pub jti: String,
    /// Segment of the identity.
    pub segment: String,
    /// Scopes of the identity at issuance.
    pub scopes: Vec<String>,
    /// Evidence kinds the credential was issued on.
    pub att: Vec<String>,
    /// Sender binding; absent only for legacy bearer identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Cnf>,
    /// When the appraisal behind this token expires (s): a refreshed token never outlives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub att_exp: Option<u64>,
}

/// A random 128-bit id, base64url.
pub fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    b64e(&bytes)
}

/// Verifies signature, algorithm, issuer, audience and time of an access token.
/// Time checks use `leeway` seconds on each side.
pub fn verify_access_token(
    keys: &SigningKeys,
    token: &str,
    issuer: &str,
    audience: &str,
    now_s: u64,
    leeway: u64,
) -> Result<AccessClaims, AuthError> {
    let (claims, _kid) = verify_signed(keys, token, issuer, audience)?;
    check_times(&claims, now_s, leeway)?;
    Ok(claims)
}

/// exp / nbf / iat against now with `leeway` seconds.
pub fn check_times(claims: &AccessClaims, now_s: u64, leeway: u64) -> Result<(), AuthError> {
    if now_s >= claims.exp.saturating_add(leeway) {
        return Err(AuthError::Expired);
    }
    if claims.nbf > now_s.saturating_add(leeway) || claims.iat > now_s.saturating_add(leeway) {
        return Err(AuthError::NotYetValid);
    }
    Ok(())
}

/// Signature, algorithm, issuer and audience (not time); returns the claims and the kid.
pub fn verify_signed(
    keys: &SigningKeys,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<(AccessClaims, String), AuthError> {
    let jws = CompactJws::parse(token).map_err(|e| match e {
        JoseError::Malformed(m) => AuthError::Malformed(m),
        _ => AuthError::Malformed("undecodable"),
    })?;
    // Pinned: only EdDSA is ever accepted, whatever the header says (none, HS256, ES256...).
    if jws.header.alg != "EdDSA" {
        return Err(AuthError::Alg(jws.header.alg.chars().take(16).collect()));
    }
    if jws.header.typ.as_deref().is_some_and(|t| t != "at+jwt") {
        return Err(AuthError::Malformed("typ must be at+jwt"));
    }
    let kid = jws
        .header
        .kid
        .as_deref()
        .ok_or(AuthError::Malformed("kid missing"))?;
    let vk = keys.verifying_key(kid).ok_or(AuthError::UnknownKey)?;
    let sig: [u8; 64] = jws
        .signature
        .as_slice()
        .try_into()
        .map_err(|_| AuthError::BadSignature)?;
    vk.verify_strict(
        jws.signing_input.as_bytes(),
        &ed25519_dalek::Signature::from_bytes(&sig),
    )
    .map_err(|_| AuthError::BadSignature)?;
    let claims: AccessClaims =
        serde_json::from_slice(&jws.payload).map_err(|_| AuthError::Malformed("claims"))?;
    if claims.iss != issuer {
        return Err(AuthError::WrongIssuer);
    }
    if claims.aud != audience {
        return Err(AuthError::WrongAudience);
    }
    Ok((claims, kid.to_owned()))
}
