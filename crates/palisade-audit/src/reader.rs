//! Read-only access to a log on disk for the CLI (`audit tail`, `show`, `proof`, `export`):
//! loads the index files (never rescanning segments), builds the tree for proofs, reads single
//! entries by offset, and decrypts sealed parts when given the vault.

use crate::entry::{decode_entry, open_sensitive, DataKey, LeafEntry, Sensitive};
use crate::error::AuditError;
use crate::log::{audit_dir, load_data_key};
use crate::merkle::Hash;
use crate::proof::{ConsistencyProof, InclusionProof};
use crate::segment::{list_segments, SegmentFiles, INDEX_RECORD};
use crate::tree::MerkleTree;
use palisade_vault::Vault;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// One entry as shown to an operator.
#[derive(Debug, Clone)]
pub struct ShownEntry {
    /// Log index.
    pub index: u64,
    /// Its leaf hash.
    pub leaf: Hash,
    /// The stored entry (event without sealed parts).
    pub entry: LeafEntry,
    /// Decrypted sensitive parts, when a vault was given and the entry has any.
    pub sensitive: Option<Sensitive>,
}

/// A read-only view of the log.
#[derive(Debug)]
pub struct LogReader {
    segments: Vec<SegmentFiles>,
    /// (segment position, offset) of every entry.
    locations: Vec<(usize, u64)>,
    tree: MerkleTree,
    key: Option<DataKey>,
}

impl LogReader {
    /// Opens the log in `<data_dir>/audit`; with a vault, sealed parts are decrypted.
    pub fn open(data_dir: &Path, vault: Option<&Vault>) -> Result<LogReader, AuditError> {
        let dir = audit_dir(data_dir);
        let segments = list_segments(&dir)?;
        let mut tree = MerkleTree::new();
        let mut locations = Vec::new();
        for (pos, seg) in segments.iter().enumerate() {
            if seg.first != tree.size() {
                return Err(AuditError::Corrupt(format!(
                    "segment {} does not follow {} entries",
                    seg.first,
                    tree.size()
                )));
            }
            let bytes = std::fs::read(&seg.idx).map_err(|e| AuditError::io(&seg.idx, e))?;
            // A writer may be mid-append: read whole records only.
            for rec in bytes.chunks_exact(INDEX_RECORD) {
                let (off, leaf) = rec.split_at(8);
                let off = u64::from_be_bytes(off.try_into().unwrap_or([0; 8]));
                tree.push(leaf.try_into().unwrap_or([0; 32]));
                locations.push((pos, off));
            }
        }
        let key = vault.map(|v| load_data_key(&dir, v)).transpose()?;
        Ok(LogReader {
            segments,
            locations,
            tree,
            key,
        })
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The tree (for roots and proofs).
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// Raw entry bytes of `index`.
    pub fn entry_bytes(&self, index: u64) -> Result<Vec<u8>, AuditError> {
        let &(pos, off) = usize::try_from(index)
            .ok()
            .and_then(|i| self.locations.get(i))
            .ok_or_else(|| {
                AuditError::OutOfRange(format!("no entry {index}; the log has {}", self.size()))
            })?;
        let seg = self
            .segments
            .get(pos)
            .ok_or_else(|| AuditError::Corrupt("segment missing".into()))?;
        let io = |e| AuditError::io(&seg.log, e);
        let mut f = std::fs::File::open(&seg.log).map_err(io)?;
        f.seek(SeekFrom::Start(off)).map_err(io)?;
        let mut len = [0u8; 4];
        f.read_exact(&mut len).map_err(io)?;
        let len = u32::from_be_bytes(len);
        if len > crate::segment::MAX_ENTRY {
            return Err(AuditError::Entry {
                index,
                reason: "length prefix out of range".into(),
            });
        }
        let mut buf = vec![0u8; len as usize];
        f.read_exact(&mut buf).map_err(io)?;
        Ok(buf)
    }

    /// Entry `index`, decrypted when the reader holds the data key.
    pub fn show(&self, index: u64) -> Result<ShownEntry, AuditError> {
        let bytes = self.entry_bytes(index)?;
        let leaf = self.tree.leaf(index).unwrap_or_default();
        if crate::merkle::leaf_hash(&bytes) != leaf {
            return Err(AuditError::Entry {
                index,
                reason: "entry does not match its index hash (run verify)".into(),
            });
        }
        let entry = decode_entry(index, &bytes)?;
        let sensitive = match &self.key {
            Some(k) => open_sensitive(&entry, k)?,
            None => None,
        };
        Ok(ShownEntry {
            index,
            leaf,
            entry,
            sensitive,
        })
    }

    /// The last `n` entries, oldest first.
    pub fn tail(&self, n: u64) -> Result<Vec<ShownEntry>, AuditError> {
        let size = self.size();
        (size.saturating_sub(n)..size)
            .map(|i| self.show(i))
            .collect()
    }

    /// Inclusion proof of `index` in the tree of `size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, AuditError> {
        InclusionProof::from_tree(&self.tree, index, size)
    }

    /// Consistency proof between `size1` and `size2`.
    pub fn consistency_proof(
        &self,
        size1: u64,
        size2: u64,
    ) -> Result<ConsistencyProof, AuditError> {
        ConsistencyProof::from_tree(&self.tree, size1, size2)
    }
}
