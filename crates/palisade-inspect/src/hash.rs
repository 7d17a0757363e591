//! Keyed hashing: HMAC-SHA-256 for finding value hashes (so audit records can correlate a value
//! without holding it), and a fast keyed SipHash for the high-volume token lookups of exact data
//! match and document fingerprints (both derived from the one per-deployment key).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use siphasher::sip::SipHasher13;
use std::hash::Hasher;

type HmacSha256 = Hmac<Sha256>;

/// The per-deployment hashing key and the subkeys derived from it.
#[derive(Clone)]
pub struct Keyed {
    finding_key: [u8; 32],
    token_key: [u8; 16],
}

impl std::fmt::Debug for Keyed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyed(<redacted>)")
    }
}

fn hmac_raw(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail; fall back to zeros only to
    // keep this function total (never reached).
    let mut out = [0u8; 32];
    if let Ok(mut mac) = HmacSha256::new_from_slice(key) {
        mac.update(msg);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

impl Keyed {
    /// Derives the subkeys from the deployment key.
    pub fn new(key: [u8; 32]) -> Self {
        let finding_key = hmac_raw(&key, b"palisade-inspect/finding/v1");
        let t = hmac_raw(&key, b"palisade-inspect/token/v1");
        let mut token_key = [0u8; 16];
        token_key.copy_from_slice(&t[..16]);
        Self {
            finding_key,
            token_key,
        }
    }

    /// Hex HMAC-SHA-256 of a matched value, for `Finding::value_hash`.
    pub fn value_hash(&self, value: &[u8]) -> String {
        hex::encode(hmac_raw(&self.finding_key, value))
    }

    /// Fast keyed 64-bit hash of a normalized token (exact data match, fingerprints).
    pub fn token(&self, bytes: &[u8]) -> u64 {
        let mut h = SipHasher13::new_with_key(&self.token_key);
        h.write(bytes);
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_hash_is_keyed_and_stable() {
        let a = Keyed::new([1; 32]);
        let b = Keyed::new([2; 32]);
        assert_eq!(a.value_hash(b"x"), a.value_hash(b"x"));
        assert_ne!(a.value_hash(b"x"), b.value_hash(b"x"));
        assert_eq!(a.value_hash(b"x").len(), 64);
        assert_ne!(a.token(b"x"), b.token(b"x"));
        assert!(!format!("{a:?}").contains('1'));
    }
}
