//! A cache of access tokens whose signature already verified, keyed by SHA-256 of the token.
//! The signature is the costly part of stage 3 and a token is presented many times in its few
//! minutes of life; everything that can change between calls (time, the signing key still
//! being trusted, the DPoP proof, the identity's status) is still checked on every call.

use crate::token::AccessClaims;
use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Most tokens remembered; beyond, expired entries are swept and, if still full, the cache is
/// emptied (a miss only costs one signature check).
pub const TOKEN_CACHE_CAP: usize = 100_000;

/// A verified token: its claims and the key that signed it.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Claims (issuer and audience already checked).
    pub claims: Arc<AccessClaims>,
    /// Signing key id, re-checked against the current key set on every hit.
    pub kid: String,
}

/// Token digest -> verified claims.
#[derive(Debug, Default)]
pub struct TokenCache {
    map: RwLock<HashMap<[u8; 32], Verified>>,
}

impl TokenCache {
    /// The digest used as key.
    pub fn digest(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// A previously verified token.
    pub fn get(&self, digest: &[u8; 32]) -> Option<Verified> {
        self.map.read().get(digest).cloned()
    }

    /// Remembers a verified token.
    pub fn insert(&self, digest: [u8; 32], v: Verified, now_s: u64) {
        let mut m = self.map.write();
        if m.len() >= TOKEN_CACHE_CAP {
            m.retain(|_, e| e.claims.exp > now_s);
            if m.len() >= TOKEN_CACHE_CAP {
                m.clear();
            }
        }
        m.insert(digest, v);
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.map.read().is_empty()
    }
}
