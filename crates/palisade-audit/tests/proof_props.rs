//! Property tests: every inclusion and consistency proof the tree produces verifies with the
//! RFC 9162 verifier, and altered proofs (a flipped bit, a missing or extra hash, a swapped
//! leaf position, a wrong leaf) are rejected. Tree sizes are not altered: a bare proof does not
//! bind the size; signed checkpoints do.

use palisade_audit::merkle::{leaf_hash, verify_consistency, verify_inclusion};
use palisade_audit::tree::MerkleTree;
use proptest::prelude::*;

fn tree(n: u64) -> MerkleTree {
    let mut t = MerkleTree::new();
    for i in 0..n {
        t.push(leaf_hash(&i.to_be_bytes()));
    }
    t
}

fn vecs(p: &[[u8; 32]]) -> Vec<Vec<u8>> {
    p.iter().map(|h| h.to_vec()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn inclusion_proofs_verify_and_altered_ones_fail(n in 1u64..400, i_seed: u64, bit in 0usize..256, pick: usize) {
        let t = tree(n);
        let i = i_seed % n;
        let root = t.root(n).unwrap();
        let leaf = t.leaf(i).unwrap();
        let proof = vecs(&t.inclusion_proof(i, n).unwrap());
        prop_assert!(verify_inclusion(i, n, &leaf, &proof, &root).is_ok());
        if !proof.is_empty() {
            let mut flipped = proof.clone();
            let k = pick % flipped.len();
            flipped[k][bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_inclusion(i, n, &leaf, &flipped, &root).is_err());
            let mut shorter = proof.clone();
            shorter.pop();
            prop_assert!(verify_inclusion(i, n, &leaf, &shorter, &root).is_err());
            if i ^ 1 < n {
                prop_assert!(verify_inclusion(i ^ 1, n, &leaf, &proof, &root).is_err());
            }
        }
        let mut longer = proof.clone();
        longer.push(vec![0u8; 32]);
        prop_assert!(verify_inclusion(i, n, &leaf, &longer, &root).is_err());
        let other = leaf_hash(b"not in the tree");
        prop_assert!(verify_inclusion(i, n, &other, &proof, &root).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_altered_ones_fail(n2 in 1u64..400, n1_seed: u64, bit in 0usize..256, pick: usize) {
        let t = tree(n2);
        let n1 = 1 + n1_seed % n2;
        let (r1, r2) = (t.root(n1).unwrap(), t.root(n2).unwrap());
        let proof = vecs(&t.consistency_proof(n1, n2).unwrap());
        prop_assert!(verify_consistency(n1, n2, &r1, &r2, &proof).is_ok());
        if !proof.is_empty() {
            let mut flipped = proof.clone();
            let k = pick % flipped.len();
            flipped[k][bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_consistency(n1, n2, &r1, &r2, &flipped).is_err());
            let mut shorter = proof.clone();
            shorter.pop();
            prop_assert!(verify_consistency(n1, n2, &r1, &r2, &shorter).is_err());
        }
        let mut longer = proof.clone();
        longer.push(vec![0u8; 32]);
        prop_assert!(verify_consistency(n1, n2, &r1, &r2, &longer).is_err());
        let mut wrong_root = r1;
        wrong_root[0] ^= 1;
        prop_assert!(verify_consistency(n1, n2, &wrong_root, &r2, &proof).is_err());
    }
}
