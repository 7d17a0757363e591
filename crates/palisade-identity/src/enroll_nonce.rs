//! Enrollment challenge nonces without server state at issue time: a nonce is
//! `expiry ‖ random ‖ HMAC(key, random ‖ expiry) ‖ HMAC(key, random ‖ expiry ‖ identity)`, so
//! handing one out costs nothing to remember and no number of anonymous challenges can crowd
//! out another identity's. Only a *used* nonce is remembered (single use), until its expiry,
//! under a per-source and a global budget. The key is per process: a restart voids every
//! outstanding nonce, so the used-set need not survive it.

use crate::enroll_error::EnrollError;
use crate::jose::{b64d, b64e};
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use sha2::Sha256;
use std::collections::HashMap;
use std::net::IpAddr;

/// Used nonces remembered at once from one source address (until their expiry).
pub const USED_PER_SOURCE: usize = 1024;
/// Used nonces remembered at once in total.
pub const USED_TOTAL: usize = 1 << 20;

const RAND: usize = 16;
const TAG: usize = 16;
const LEN: usize = 8 + RAND + 2 * TAG;

/// Where an enrollment came from, for the used-nonce budget (`None`: not known, one bucket).
pub type Source = Option<IpAddr>;

#[derive(Default)]
struct Used {
    by_nonce: HashMap<[u8; RAND], (u64, Source)>,
    by_source: HashMap<Source, usize>,
}

/// Issues and redeems nonces.
pub struct NonceBook {
    key: [u8; 32],
    used: Mutex<Used>,
}

impl std::fmt::Debug for NonceBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceBook")
            .field("used", &self.used.lock().by_nonce.len())
            .finish_non_exhaustive()
    }
}

impl Default for NonceBook {
    fn default() -> Self {
        Self {
            key: rand::random(),
            used: Mutex::default(),
        }
    }
}

impl NonceBook {
    fn tag(&self, parts: &[&[u8]]) -> [u8; TAG] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        let full = mac.finalize().into_bytes();
        let mut t = [0u8; TAG];
        t.copy_from_slice(full.get(..TAG).unwrap_or(&[0u8; TAG]));
        t
    }

    /// A nonce for `identity` valid until `expires_at_ms`.
    pub fn issue(&self, identity: &str, expires_at_ms: u64) -> String {
        let r: [u8; RAND] = rand::random();
        let exp = expires_at_ms.to_be_bytes();
        let mut out = Vec::with_capacity(LEN);
        out.extend_from_slice(&exp);
        out.extend_from_slice(&r);
        out.extend_from_slice(&self.tag(&[b"nonce", &r, &exp]));
        out.extend_from_slice(&self.tag(&[b"identity", &r, &exp, identity.as_bytes()]));
        b64e(&out)
    }

    /// Checks `nonce` for `identity` and marks it used, whatever happens next: a failed
    /// attempt burns the nonce too.
    pub fn redeem(
        &self,
        nonce: &str,
        identity: &str,
        source: Source,
        now_ms: u64,
    ) -> Result<(), EnrollError> {
        use subtle::ConstantTimeEq;
        let raw = b64d(nonce).ok().filter(|b| b.len() == LEN);
        let raw = raw.ok_or(EnrollError::NonceUnknown)?;
        let (exp, rest) = raw.split_at(8);
        let (r, rest) = rest.split_at(RAND);
        let (t_nonce, t_id) = rest.split_at(TAG);
        if !bool::from(self.tag(&[b"nonce", r, exp]).ct_eq(t_nonce)) {
            return Err(EnrollError::NonceUnknown);
        }
        let mut exp_b = [0u8; 8];
        exp_b.copy_from_slice(exp);
        let expires_at_ms = u64::from_be_bytes(exp_b);
        let mut key = [0u8; RAND];
        key.copy_from_slice(r);
        self.mark_used(key, expires_at_ms, source, now_ms)?;
        if now_ms >= expires_at_ms {
            return Err(EnrollError::NonceExpired);
        }
        if !bool::from(
            self.tag(&[b"identity", r, exp, identity.as_bytes()])
                .ct_eq(t_id),
        ) {
            return Err(EnrollError::NonceIdentityMismatch);
        }
        Ok(())
    }

    fn mark_used(
        &self,
        key: [u8; RAND],
        expires_at_ms: u64,
        source: Source,
        now_ms: u64,
    ) -> Result<(), EnrollError> {
        let mut u = self.used.lock();
        if u.by_nonce.contains_key(&key) {
            return Err(EnrollError::NonceReused);
        }
        if now_ms >= expires_at_ms {
            // Expired nonces need no memory: they are refused by their expiry forever.
            return Ok(());
        }
        let full_source = u.by_source.get(&source).copied().unwrap_or(0) >= USED_PER_SOURCE;
        if full_source || u.by_nonce.len() >= USED_TOTAL {
            let Used {
                by_nonce,
                by_source,
            } = &mut *u;
            by_nonce.retain(|_, (exp, src)| {
                let keep = *exp > now_ms;
                if !keep {
                    if let Some(n) = by_source.get_mut(src) {
                        *n = n.saturating_sub(1);
                    }
                }
                keep
            });
            by_source.retain(|_, n| *n > 0);
        }
        // Over budget: this source (or everyone, past the global cap) must wait for its used
        // nonces to expire; other sources are unaffected by one source's budget.
        if u.by_source.get(&source).copied().unwrap_or(0) >= USED_PER_SOURCE
            || u.by_nonce.len() >= USED_TOTAL
        {
            return Err(EnrollError::Busy);
        }
        u.by_nonce.insert(key, (expires_at_ms, source));
        *u.by_source.entry(source).or_insert(0) += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_is_bound_to_identity_expiry_and_single_use() {
        let b = NonceBook::default();
        let n = b.issue("a", 1_000);
        assert!(matches!(
            b.redeem(&n, "b", None, 10),
            Err(EnrollError::NonceIdentityMismatch)
        ));
        assert!(matches!(
            b.redeem(&n, "a", None, 10),
            Err(EnrollError::NonceReused)
        ));
        let n2 = b.issue("a", 1_000);
        b.redeem(&n2, "a", None, 10).unwrap();
        assert!(matches!(
            b.redeem(&b.issue("a", 5), "a", None, 10),
            Err(EnrollError::NonceExpired)
        ));
        assert!(matches!(
            NonceBook::default().redeem(&n2, "a", None, 10),
            Err(EnrollError::NonceUnknown)
        ));
        assert!(matches!(
            b.redeem("junk", "a", None, 10),
            Err(EnrollError::NonceUnknown)
        ));
    }

    #[test]
    fn one_source_burning_nonces_does_not_block_another() {
        let b = NonceBook::default();
        let attacker: Source = Some("10.0.0.66".parse().unwrap());
        for _ in 0..USED_PER_SOURCE {
            b.redeem(&b.issue("victim", 1_000), "victim", attacker, 1)
                .unwrap();
        }
        assert!(matches!(
            b.redeem(&b.issue("victim", 1_000), "victim", attacker, 1),
            Err(EnrollError::Busy)
        ));
        let victim: Source = Some("10.0.0.7".parse().unwrap());
        b.redeem(&b.issue("victim", 1_000), "victim", victim, 1)
            .unwrap();
        // Once the burnt nonces expire the attacker's budget comes back.
        b.redeem(&b.issue("victim", 5_000), "victim", attacker, 2_000)
            .unwrap();
    }
}
