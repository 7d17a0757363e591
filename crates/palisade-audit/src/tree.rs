//! The full in-memory Merkle tree: every perfect subtree hash cached by level, so roots and
//! proofs for any size are O(log² n) lookups instead of a rescan (RFC 6962 §2.1 MTH, PATH and
//! PROOF). About 64 bytes per leaf, so only short-lived readers build it from the index files
//! ([`crate::reader::LogReader`] for proofs, `show` and the CLI); the running log and the
//! verifiers keep a [`crate::frontier::Frontier`] instead.

use crate::merkle::{empty_root, node_hash, Hash};

/// Perfect-subtree cache: `levels[l][i]` is the root of leaves `[i·2^l, (i+1)·2^l)`.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        MerkleTree {
            levels: vec![Vec::new()],
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Leaf hash at `index`, if present.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels
            .first()?
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// Appends a leaf hash, completing every perfect subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut carry = leaf;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(carry);
            if row.len() % 2 == 1 {
                return;
            }
            let n = row.len();
            carry = node_hash(&row[n - 2], &row[n - 1]);
            level += 1;
        }
    }

    /// Appends many leaf hashes in order.
    pub fn extend(&mut self, leaves: impl IntoIterator<Item = Hash>) {
        for leaf in leaves {
            self.push(leaf);
        }
    }

    /// Root of the first `size` leaves; `None` when `size` exceeds the tree.
    pub fn root(&self, size: u64) -> Option<Hash> {
        if size > self.size() {
            return None;
        }
        if size == 0 {
            return Some(empty_root());
        }
        Some(self.mth(0, size))
    }

    /// Audit path for `index` in the tree of `size` (RFC 6962 §2.1.1 PATH), leaf to root.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Some(out)
    }

    /// Consistency proof between sizes `size1 ≤ size2` (RFC 6962 §2.1.2 PROOF).
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Option<Vec<Hash>> {
        if size1 == 0 || size1 > size2 || size2 > self.size() {
            return None;
        }
        let mut out = Vec::new();
        if size1 < size2 {
            self.subproof(size1, 0, size2, true, &mut out);
        }
        Some(out)
    }

    /// MTH of leaves `[start, start+n)`; `n ≥ 1`. Every range the RFC recursion visits is
    /// either a perfect aligned subtree (cached) or splits at the largest power of two.
    fn mth(&self, start: u64, n: u64) -> Hash {
        if n.is_power_of_two() && start & (n - 1) == 0 {
            let level = n.trailing_zeros() as usize;
            let idx = (start >> level) as usize;
            if let Some(h) = self.levels.get(level).and_then(|row| row.get(idx)) {
                return *h;
            }
        }
        let k = split_point(n);
        node_hash(&self.mth(start, k), &self.mth(start + k, n - k))
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.mth(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.mth(start, k));
        }
    }

    fn subproof(&self, m: u64, start: u64, n: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !whole {
                out.push(self.mth(start, n));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, k, whole, out);
            out.push(self.mth(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.mth(start, k));
        }
    }
}

/// Largest power of two strictly below `n` (`n ≥ 2`).
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}
