//! Inclusion and consistency proofs as values, with the documented text format that
//! `palisade audit proof` prints and any RFC 6962 implementation can check:
//!
//! ```text
//! palisade-audit inclusion-proof v1      palisade-audit consistency-proof v1
//! index <decimal>                        size1 <decimal>
//! size <decimal>                         size2 <decimal>
//! leaf <hex leaf hash>                   root1 <hex root at size1>
//! root <hex root at size>                root2 <hex root at size2>
//! path <hex>   (0..n lines, leaf→root)   path <hex>   (0..n lines, RFC 6962 PROOF order)
//! ```
//!
//! Every line ends with `\n`; hashes are lowercase hex SHA-256; `leaf` is
//! `SHA-256(0x00 || entry)`. Verification follows RFC 9162 §2.1.3.2 / §2.1.4.2.

use crate::error::AuditError;
use crate::merkle::{self, Hash, ProofError};
use crate::tree::MerkleTree;

/// An inclusion proof of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// Entry index.
    pub index: u64,
    /// Tree size the proof is for.
    pub size: u64,
    /// The entry's leaf hash.
    pub leaf: Hash,
    /// Root of the tree of `size`.
    pub root: Hash,
    /// Audit path, leaf to root.
    pub path: Vec<Hash>,
}

/// A consistency proof between two tree sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// Older size.
    pub size1: u64,
    /// Newer size.
    pub size2: u64,
    /// Root at `size1`.
    pub root1: Hash,
    /// Root at `size2`.
    pub root2: Hash,
    /// The proof hashes.
    pub path: Vec<Hash>,
}

fn out_of_range(m: String) -> AuditError {
    AuditError::OutOfRange(m)
}

impl InclusionProof {
    /// Builds the proof from a tree.
    pub fn from_tree(tree: &MerkleTree, index: u64, size: u64) -> Result<Self, AuditError> {
        let n = tree.size();
        let path = tree.inclusion_proof(index, size).ok_or_else(|| {
            out_of_range(format!(
                "need index < size <= {n}, got index {index} size {size}"
            ))
        })?;
        let leaf = tree
            .leaf(index)
            .ok_or_else(|| out_of_range(format!("no entry {index}")))?;
        let root = tree
            .root(size)
            .ok_or_else(|| out_of_range(format!("size {size} exceeds {n}")))?;
        Ok(InclusionProof {
            index,
            size,
            leaf,
            root,
            path,
        })
    }

    /// Checks the proof.
    pub fn verify(&self) -> Result<(), ProofError> {
        let path: Vec<Vec<u8>> = self.path.iter().map(|h| h.to_vec()).collect();
        merkle::verify_inclusion(self.index, self.size, &self.leaf, &path, &self.root)
    }

    /// The documented text form.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "palisade-audit inclusion-proof v1\nindex {}\nsize {}\nleaf {}\nroot {}\n",
            self.index,
            self.size,
            hex::encode(self.leaf),
            hex::encode(self.root)
        );
        push_path(&mut s, &self.path);
        s
    }

    /// Parses the text form.
    pub fn parse_text(text: &str) -> Result<Self, ProofError> {
        let mut f = Fields::new(text, "palisade-audit inclusion-proof v1")?;
        Ok(InclusionProof {
            index: f.num("index")?,
            size: f.num("size")?,
            leaf: f.hash("leaf")?,
            root: f.hash("root")?,
            path: f.path()?,
        })
    }
}

impl ConsistencyProof {
    /// Builds the proof from a tree.
    pub fn from_tree(tree: &MerkleTree, size1: u64, size2: u64) -> Result<Self, AuditError> {
        let n = tree.size();
        let path = tree.consistency_proof(size1, size2).ok_or_else(|| {
            out_of_range(format!(
                "need 0 < size1 <= size2 <= {n}, got {size1} and {size2}"
            ))
        })?;
        let root1 = tree
            .root(size1)
            .ok_or_else(|| out_of_range(format!("size {size1} exceeds {n}")))?;
        let root2 = tree
            .root(size2)
            .ok_or_else(|| out_of_range(format!("size {size2} exceeds {n}")))?;
        Ok(ConsistencyProof {
            size1,
            size2,
            root1,
            root2,
            path,
        })
    }

    /// Checks the proof.
    pub fn verify(&self) -> Result<(), ProofError> {
        let path: Vec<Vec<u8>> = self.path.iter().map(|h| h.to_vec()).collect();
        merkle::verify_consistency(self.size1, self.size2, &self.root1, &self.root2, &path)
    }

    /// The documented text form.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "palisade-audit consistency-proof v1\nsize1 {}\nsize2 {}\nroot1 {}\nroot2 {}\n",
            self.size1,
            self.size2,
            hex::encode(self.root1),
            hex::encode(self.root2)
        );
        push_path(&mut s, &self.path);
        s
    }

    /// Parses the text form.
    pub fn parse_text(text: &str) -> Result<Self, ProofError> {
        let mut f = Fields::new(text, "palisade-audit consistency-proof v1")?;
        Ok(ConsistencyProof {
            size1: f.num("size1")?,
            size2: f.num("size2")?,
            root1: f.hash("root1")?,
            root2: f.hash("root2")?,
            path: f.path()?,
        })
    }
}

fn push_path(s: &mut String, path: &[Hash]) {
    for h in path {
        s.push_str("path ");
        s.push_str(&hex::encode(h));
        s.push('\n');
    }
}

struct Fields<'a> {
    lines: std::iter::Peekable<std::str::Lines<'a>>,
}

impl<'a> Fields<'a> {
    fn new(text: &'a str, header: &str) -> Result<Self, ProofError> {
        let mut lines = text.lines().peekable();
        if lines.next() != Some(header) {
            return Err(ProofError::BadParameters(format!(
                "expected header {header:?}"
            )));
        }
        Ok(Fields { lines })
    }

    fn value(&mut self, key: &str) -> Result<&'a str, ProofError> {
        self.lines
            .next()
            .and_then(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .ok_or_else(|| ProofError::BadParameters(format!("expected line {key:?}")))
    }

    fn num(&mut self, key: &str) -> Result<u64, ProofError> {
        self.value(key)?
            .parse()
            .map_err(|_| ProofError::BadParameters(format!("{key} is not a number")))
    }

    fn hash(&mut self, key: &str) -> Result<Hash, ProofError> {
        let v = hex::decode(self.value(key)?)
            .map_err(|_| ProofError::BadParameters(format!("{key} is not hex")))?;
        merkle::to_hash(&v)
    }

    fn path(&mut self) -> Result<Vec<Hash>, ProofError> {
        let mut out = Vec::new();
        while self.lines.peek().is_some() {
            out.push(self.hash("path")?);
        }
        Ok(out)
    }
}
