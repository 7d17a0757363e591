//! The compact Merkle frontier the live log and the verifiers keep instead of the whole tree:
//! the roots of the perfect subtrees along the right edge of the RFC 6962 tree (one per set
//! bit of the size, so at most 64 hashes, 2 KiB), enough to append and to compute the root at
//! the current size. Random access to old hashes (proofs, roots of earlier sizes) is not
//! possible from it; those come from the index files ([`crate::reader::LogReader`]).

use crate::merkle::{empty_root, node_hash, Hash};

/// Most hashes a frontier holds: one per bit of a `u64` size.
pub const MAX_HASHES: usize = 64;

/// Right-edge perfect subtree roots of a tree of `size` leaves, largest (leftmost) first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `nodes[i]` covers the leaves of the i-th set bit of `size`, from the highest bit down,
    /// so the hashes are in leaf order.
    nodes: Vec<Hash>,
}

impl Default for Frontier {
    fn default() -> Self {
        Self::new()
    }
}

impl Frontier {
    /// The frontier of the empty tree. Its storage is reserved once, so pushes never
    /// reallocate and the memory held is the same at every size.
    pub fn new() -> Self {
        Frontier {
            size: 0,
            nodes: Vec::with_capacity(MAX_HASHES),
        }
    }

    /// Number of leaves pushed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Number of hashes held (the number of set bits of the size, at most [`MAX_HASHES`]).
    pub fn hashes_held(&self) -> usize {
        self.nodes.len()
    }

    /// Appends a leaf hash. Every trailing one bit of the old size is a perfect subtree of the
    /// same height as the carry, so it merges into it (like a binary counter's carry).
    pub fn push(&mut self, leaf: Hash) {
        let mut carry = leaf;
        let mut merges = self.size.trailing_ones();
        while merges > 0 {
            // The frontier has one node per set bit, so the pop always finds one.
            let Some(left) = self.nodes.pop() else { break };
            carry = node_hash(&left, &carry);
            merges -= 1;
        }
        self.nodes.push(carry);
        self.size += 1;
    }

    /// Appends many leaf hashes in order.
    pub fn extend(&mut self, leaves: impl IntoIterator<Item = Hash>) {
        for leaf in leaves {
            self.push(leaf);
        }
    }

    /// RFC 6962 MTH of every leaf pushed so far. MTH splits at the largest power of two below
    /// the size, which is exactly the leftmost frontier node, and recurses on the rest: so the
    /// root is the frontier folded from right to left.
    pub fn root(&self) -> Hash {
        let mut rest = self.nodes.iter().rev();
        let Some(last) = rest.next() else {
            return empty_root();
        };
        rest.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// A frontier that also remembers its root at one chosen size while leaves stream through it:
/// how open and `verify` check a signed root without keeping the tree.
#[derive(Debug, Clone)]
pub(crate) struct RootAt {
    frontier: Frontier,
    target: u64,
    root: Option<Hash>,
}

impl RootAt {
    /// Starts an empty frontier that records its root when it reaches `target` leaves.
    pub(crate) fn new(target: u64) -> Self {
        let mut r = RootAt {
            frontier: Frontier::new(),
            target,
            root: None,
        };
        r.record();
        r
    }

    /// Appends a leaf hash, recording the root if the target size is reached.
    pub(crate) fn push(&mut self, leaf: Hash) {
        self.frontier.push(leaf);
        self.record();
    }

    fn record(&mut self) {
        if self.frontier.size() == self.target {
            self.root = Some(self.frontier.root());
        }
    }

    /// Leaves pushed so far.
    pub(crate) fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The root at the target size, once that size was reached.
    pub(crate) fn root_at_target(&self) -> Option<Hash> {
        self.root
    }

    /// The frontier itself.
    pub(crate) fn into_frontier(self) -> Frontier {
        self.frontier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;
    use crate::tree::MerkleTree;
    use proptest::prelude::*;

    fn leaf(i: u64) -> Hash {
        leaf_hash(&i.to_be_bytes())
    }

    #[test]
    fn empty_frontier_has_the_empty_root() {
        let f = Frontier::new();
        assert_eq!(f.size(), 0);
        assert_eq!(f.hashes_held(), 0);
        assert_eq!(f.root(), empty_root());
    }

    #[test]
    fn holds_one_hash_per_set_bit_and_never_reallocates() {
        let mut f = Frontier::new();
        let cap = f.nodes.capacity();
        for i in 0..5000u64 {
            f.push(leaf(i));
            assert_eq!(f.hashes_held() as u32, f.size().count_ones());
        }
        assert_eq!(f.nodes.capacity(), cap, "storage reserved once");
        assert!(cap >= MAX_HASHES);
    }

    #[test]
    fn root_at_records_the_root_of_its_target_size_only() {
        let mut tree = MerkleTree::new();
        let mut r = RootAt::new(37);
        for i in 0..100u64 {
            assert_eq!(r.root_at_target().is_some(), i >= 37, "after {i} leaves");
            r.push(leaf(i));
            tree.push(leaf(i));
        }
        assert_eq!(r.root_at_target(), tree.root(37));
        assert_eq!(r.into_frontier().root(), tree.root(100).unwrap());
        assert_eq!(RootAt::new(0).root_at_target(), Some(empty_root()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The frontier's root equals the full tree's MTH at every size on the way.
        #[test]
        fn frontier_root_equals_the_tree_root_at_every_size(n in 0u64..2000, salt: u64) {
            let mut f = Frontier::new();
            let mut t = MerkleTree::new();
            prop_assert_eq!(Some(f.root()), t.root(0));
            for i in 0..n {
                let h = leaf_hash(&(i ^ salt).to_le_bytes());
                f.push(h);
                t.push(h);
                prop_assert_eq!(f.size(), t.size());
                prop_assert_eq!(Some(f.root()), t.root(f.size()), "size {}", f.size());
            }
        }
    }
}
