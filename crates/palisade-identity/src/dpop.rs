//! DPoP proof verification (RFC 9449): typ/alg/jwk header, signature by the embedded key,
//! htm, htu (normalized, no query or fragment), iat window, ath, server nonce (RFC 9449 §8:
//! an HMAC of the time slot under a key the caller keeps sealed, so it rotates every slot and
//! survives restarts), and a jti replay cache ([`crate::replay`]) whose entries live only as
//! long as the iat window.

use crate::error::AuthError;
use crate::jose::{b64e, sha256_b64, CompactJws, PublicJwk};
use crate::replay::{MemoryReplayCache, ReplayCache, Seen};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub use crate::replay::REPLAY_CACHE_CAP;

/// Seconds one server nonce slot lasts; a nonce is accepted in its slot and the next.
pub const NONCE_SLOT_SECS: u64 = 60;

#[derive(Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    iat: u64,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// What a verified proof tells the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// RFC 7638 thumbprint of the proof key.
    pub jkt: String,
    /// The proof's `nonce` claim, if any.
    pub nonce: Option<String>,
}

/// One request's view for proof checking.
#[derive(Debug, Clone, Copy)]
pub struct ProofContext<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Request URL (normalized before comparing); `None` skips the htu check (enrollment,
    /// where the nonce binds the proof instead).
    pub url: Option<&'a str>,
    /// The access token presented with the proof (requires `ath`).
    pub access_token: Option<&'a str>,
    /// Now, seconds.
    pub now_s: u64,
}

/// Verifies proofs and remembers their jti.
pub struct DpopVerifier {
    iat_window: u64,
    require_nonce: bool,
    nonce_key: [u8; 32],
    replay: Arc<dyn ReplayCache>,
}

impl std::fmt::Debug for DpopVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopVerifier")
            .field("iat_window", &self.iat_window)
            .field("require_nonce", &self.require_nonce)
            .finish_non_exhaustive()
    }
}

/// Normalizes a URL for htu comparison: lowercase scheme and host, default port dropped,
/// query and fragment dropped, empty path as `/`. `None` if it is not an http(s) URL.
pub fn normalize_htu(url: &str) -> Option<String> {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let mut host = authority.to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    if let Some(h) = host.strip_suffix(default) {
        host = h.to_owned();
    }
    Some(format!("{scheme}://{host}{path}"))
}

impl DpopVerifier {
    /// A verifier with a fresh random server-nonce key and an in-memory replay cache: for
    /// proofs whose replay is bound otherwise (enrollment, where the nonce is single-use).
    pub fn new(iat_window_secs: u64, require_nonce: bool) -> Self {
        Self::with_state(
            iat_window_secs,
            require_nonce,
            rand::random(),
            Arc::new(MemoryReplayCache::default()),
        )
    }

    /// A verifier over a persistent nonce key (sealed by the caller) and replay cache, so that
    /// neither a restart nor a second replica accepts a proof twice.
    pub fn with_state(
        iat_window_secs: u64,
        require_nonce: bool,
        nonce_key: [u8; 32],
        replay: Arc<dyn ReplayCache>,
    ) -> Self {
        Self {
            iat_window: iat_window_secs,
            require_nonce,
            nonce_key,
            replay,
        }
    }

    fn nonce_for_slot(&self, slot: u64) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.nonce_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"palisade dpop-nonce v1\0");
        mac.update(&slot.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        let mut out = slot.to_be_bytes().to_vec();
        out.extend_from_slice(tag.get(..16).unwrap_or_default());
        b64e(&out)
    }

    /// The server nonce to hand out now (`DPoP-Nonce` header). Stateless: a keyed hash of
    /// the time slot, so any number of clients can hold one without server memory.
    pub fn current_nonce(&self, now_s: u64) -> String {
        self.nonce_for_slot(now_s / NONCE_SLOT_SECS)
    }

    fn nonce_ok(&self, nonce: &str, now_s: u64) -> bool {
        use subtle::ConstantTimeEq;
        let slot = now_s / NONCE_SLOT_SECS;
        [slot, slot.saturating_sub(1)]
            .iter()
            .any(|s| bool::from(self.nonce_for_slot(*s).as_bytes().ct_eq(nonce.as_bytes())))
    }

    /// Whether proofs must carry a server nonce.
    pub fn requires_nonce(&self) -> bool {
        self.require_nonce
    }

    /// Verifies `proof` for `ctx` and records its jti. Checks run cheapest-first, the replay
    /// cache last so that invalid proofs cannot fill it.
    pub fn verify(&self, proof: &str, ctx: &ProofContext<'_>) -> Result<VerifiedProof, AuthError> {
        let jws =
            CompactJws::parse(proof).map_err(|_| AuthError::DpopInvalid("not a compact jws"))?;
        if jws.header.typ.as_deref() != Some("dpop+jwt") {
            return Err(AuthError::DpopInvalid("typ must be dpop+jwt"));
        }
        let jwk = jws
            .header
            .jwk
            .as_ref()
            .ok_or(AuthError::DpopInvalid("jwk header missing"))?;
        let key =
            PublicJwk::from_json(jwk).map_err(|_| AuthError::DpopInvalid("unsupported jwk"))?;
        if matches!(key, PublicJwk::Rsa(_)) {
            return Err(AuthError::DpopInvalid(
                "only ES256 and EdDSA proofs are accepted",
            ));
        }
        key.verify(
            &jws.header.alg,
            jws.signing_input.as_bytes(),
            &jws.signature,
        )
        .map_err(|e| match e {
            crate::jose::JoseError::Alg(_) => AuthError::DpopInvalid("alg does not match jwk"),
            _ => AuthError::DpopBadSignature,
        })?;
        let c: ProofClaims =
            serde_json::from_slice(&jws.payload).map_err(|_| AuthError::DpopInvalid("claims"))?;
        if c.jti.is_empty() || c.jti.len() > 256 {
            return Err(AuthError::DpopInvalid("jti"));
        }
        if !c.htm.eq_ignore_ascii_case(ctx.method) {
            return Err(AuthError::DpopHtm);
        }
        if let Some(url) = ctx.url {
            let want = normalize_htu(url).ok_or(AuthError::DpopHtu)?;
            if normalize_htu(&c.htu).as_deref() != Some(want.as_str()) {
                return Err(AuthError::DpopHtu);
            }
        }
        if c.iat.abs_diff(ctx.now_s) > self.iat_window {
            return Err(AuthError::DpopIat);
        }
        if let Some(token) = ctx.access_token {
            let ath = c.ath.as_deref().ok_or(AuthError::DpopAthMissing)?;
            if ath != sha256_b64(token.as_bytes()) {
                return Err(AuthError::DpopAthMismatch);
            }
        }
        if self.require_nonce
            && !c
                .nonce
                .as_deref()
                .is_some_and(|n| self.nonce_ok(n, ctx.now_s))
        {
            return Err(AuthError::DpopNonce(self.current_nonce(ctx.now_s)));
        }
        let jkt = key.thumbprint();
        self.remember(&jkt, &c.jti, c.iat, ctx.now_s)?;
        Ok(VerifiedProof {
            jkt,
            nonce: c.nonce,
        })
    }

    fn remember(&self, jkt: &str, jti: &str, iat: u64, now_s: u64) -> Result<(), AuthError> {
        // The key is per proof key: jti uniqueness is only promised per signer.
        let mut h = Sha256::new();
        h.update(jkt.as_bytes());
        h.update(b".");
        h.update(jti.as_bytes());
        let d = h.finalize();
        let mut k = [0u8; 16];
        k.copy_from_slice(d.get(..16).unwrap_or(&[0u8; 16]));
        // A proof is only acceptable while its iat is inside the window, so it can be
        // forgotten after iat + window.
        let forget_at = iat.saturating_add(self.iat_window);
        match self.replay.remember(k, forget_at, now_s) {
            Ok(Seen::Fresh) => Ok(()),
            Ok(Seen::Replay) => Err(AuthError::DpopReplay),
            // An unreadable cache cannot tell a replay from a first use: refuse, 503.
            Ok(Seen::Full) | Err(_) => Err(AuthError::DpopCacheFull),
        }
    }

    /// Proofs currently remembered.
    pub fn replay_len(&self) -> usize {
        self.replay.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_normalization() {
        let n = |s| normalize_htu(s);
        assert_eq!(
            n("HTTPS://Gw.Example:443/a?b#c").as_deref(),
            Some("https://gw.example/a")
        );
        assert_eq!(n("http://gw:80").as_deref(), Some("http://gw/"));
        assert_eq!(n("https://gw:8443/a").as_deref(), Some("https://gw:8443/a"));
        assert_ne!(
            n("https://gw/A"),
            n("https://gw/a"),
            "paths are case-sensitive"
        );
        assert_eq!(n("https://user@gw/a"), None);
        assert_eq!(n("ftp://gw/a"), None);
        assert_eq!(n("gw/a"), None);
    }

    #[test]
    fn server_nonce_valid_for_two_slots_only() {
        let d = DpopVerifier::new(60, true);
        let n = d.current_nonce(1_000_000);
        assert!(d.nonce_ok(&n, 1_000_000 + NONCE_SLOT_SECS));
        assert!(!d.nonce_ok(&n, 1_000_000 + 2 * NONCE_SLOT_SECS));
        assert!(
            !DpopVerifier::new(60, true).nonce_ok(&n, 1_000_000),
            "keyed per gateway"
        );
    }
}
