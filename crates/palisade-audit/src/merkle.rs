//! RFC 6962 / RFC 9162 hashing and proof *verification*: leaf and node hashes, and the
//! inclusion and consistency verification algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.
//! Stricter than the bare RFC where the transparency-dev reference is (non-32-byte hashes and
//! consistency from an empty tree are rejected), because a verifier should be.

use sha2::{Digest, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A hash in the proof or an input root is not 32 bytes.
    #[error("hash {0} is not 32 bytes")]
    BadHashLength(usize),
    /// Index or sizes are impossible for the tree.
    #[error("invalid proof parameters: {0}")]
    BadParameters(String),
    /// The proof has the wrong number of hashes.
    #[error("proof has the wrong length")]
    WrongLength,
    /// The recomputed root differs.
    #[error("recomputed root does not match")]
    RootMismatch,
}

/// `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Converts a byte slice to a hash, rejecting any other length.
pub fn to_hash(bytes: &[u8]) -> Result<Hash, ProofError> {
    Hash::try_from(bytes).map_err(|_| ProofError::BadHashLength(bytes.len()))
}

/// Verifies that `leaf` is at `index` in the tree of `size` whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<(), ProofError> {
    let leaf = to_hash(leaf)?;
    let root = to_hash(root)?;
    if index >= size {
        return Err(ProofError::BadParameters(format!(
            "index {index} is not below tree size {size}"
        )));
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        let p = to_hash(p)?;
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(&p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, &p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `size2` with `root2` extends the tree of `size1` with `root1`
/// (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &[u8],
    root2: &[u8],
    proof: &[Vec<u8>],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::BadParameters(format!(
            "size1 {size1} is larger than size2 {size2}"
        )));
    }
    if size1 == 0 {
        // Everything extends the empty tree, so such a "proof" proves nothing; refuse it
        // (transparency-dev vectors `additional/size1-is-zero-*`, `sizes-are-equal-zero-*`).
        return Err(ProofError::BadParameters("size1 is 0".into()));
    }
    if size1 == size2 {
        // Nothing is hashed at equal sizes: the roots are only compared byte for byte, as the
        // transparency-dev vector `sizes-are-equal-one-and-proof-is-empty` requires.
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let root1 = to_hash(root1)?;
    let root2 = to_hash(root2)?;
    let mut hashes = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        hashes.push(root1);
    }
    for p in proof {
        hashes.push(to_hash(p)?);
    }
    let (first, rest) = hashes.split_first().ok_or(ProofError::WrongLength)?;
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != root1 || sr != root2 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
