//! Bounded sketches: a stable 64-bit hash, a fixed-size Bloom filter (first-seen destinations,
//! action n-grams) and a 64-bit linear counter (distinct values per hour). Their size never
//! grows with traffic, which is what bounds memory per identity.

use serde::{Deserialize, Serialize};

/// FNV-1a followed by a SplitMix64 finaliser. Stable across Rust versions and restarts (unlike
/// `DefaultHasher`), which matters because the sketches are persisted.
pub fn hash64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// SplitMix64 finaliser: spreads the bits of `x`.
pub fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A Bloom filter of a fixed number of 64-bit words with 3 probes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bloom {
    words: Vec<u64>,
}

impl Bloom {
    /// A filter of `words * 64` bits.
    pub fn new(words: usize) -> Self {
        Self {
            words: vec![0; words.max(1)],
        }
    }

    /// Whether the snapshot has the size this version expects.
    pub fn has_words(&self, words: usize) -> bool {
        self.words.len() == words
    }

    fn probes(&self, h: u64) -> [(usize, u64); 3] {
        let bits = (self.words.len() as u64) * 64;
        let h2 = mix(h ^ 0x9e37_79b9_7f4a_7c15) | 1;
        let mut out = [(0usize, 0u64); 3];
        for (i, slot) in out.iter_mut().enumerate() {
            let bit = h.wrapping_add((i as u64).wrapping_mul(h2)) % bits;
            *slot = ((bit / 64) as usize, 1u64 << (bit % 64));
        }
        out
    }

    /// Heap bytes of the bit array.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    /// Whether `h` was (probably) inserted.
    pub fn contains(&self, h: u64) -> bool {
        self.probes(h)
            .iter()
            .all(|&(w, m)| self.words.get(w).is_some_and(|x| x & m != 0))
    }

    /// Inserts `h`; returns whether it was new.
    pub fn insert(&mut self, h: u64) -> bool {
        let mut new = false;
        for (w, m) in self.probes(h) {
            if let Some(x) = self.words.get_mut(w) {
                new |= *x & m == 0;
                *x |= m;
            }
        }
        new
    }

    /// Estimated number of distinct inserted items (Swamidass–Baldi), for the baseline view.
    pub fn estimate(&self) -> f64 {
        let m = (self.words.len() * 64) as f64;
        let set: u32 = self.words.iter().map(|w| w.count_ones()).sum();
        let x = f64::from(set).min(m - 1.0);
        -(m / 3.0) * (1.0 - x / m).ln()
    }
}

/// Linear counting over 64 bits: distinct values per window, accurate to a few percent up to
/// ~40 values and saturating at ~260, which is plenty for "distinct models per hour".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearCounter(pub u64);

impl LinearCounter {
    /// Adds a hashed value.
    pub fn add(&mut self, h: u64) {
        self.0 |= 1u64 << (h % 64);
    }

    /// Estimated distinct values.
    pub fn estimate(self) -> f64 {
        let zeros = f64::from(self.0.count_zeros()).max(0.5);
        -64.0 * (zeros / 64.0).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED_OPENAI: u64 = 15_606_703_219_973_015_566;

    #[test]
    fn hash_is_stable_and_separates_parts() {
        // Pinned value: changing the hash would silently invalidate persisted sketches.
        assert_eq!(hash64(&[b"abc"]), hash64(&[b"abc"]));
        assert_ne!(hash64(&[b"ab", b"c"]), hash64(&[b"a", b"bc"]));
        assert_eq!(hash64(&[b"api.openai.com"]), PINNED_OPENAI);
    }

    #[test]
    fn bloom_remembers_and_estimates() {
        let mut b = Bloom::new(8);
        for i in 0..50u64 {
            assert!(b.insert(mix(i)) || b.contains(mix(i)));
        }
        for i in 0..50u64 {
            assert!(b.contains(mix(i)));
        }
        let fp = (1000..2000u64).filter(|&i| b.contains(mix(i))).count();
        assert!(fp < 100, "false positives {fp}");
        let est = b.estimate();
        assert!((40.0..60.0).contains(&est), "estimate {est}");
    }

    #[test]
    fn linear_counter_estimates_small_sets() {
        let mut c = LinearCounter::default();
        assert_eq!(c.estimate(), 0.0);
        for i in 0..10u64 {
            c.add(mix(i));
        }
        let e = c.estimate();
        assert!((8.0..13.0).contains(&e), "estimate {e}");
    }
}
