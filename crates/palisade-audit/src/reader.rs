//! Read-only access to a log on disk for the CLI (`audit tail`, `show`, `proof`, `export`) and
//! for the live log's proof methods: loads the index files (never rescanning segments), builds
//! the tree for proofs (about 64 bytes per entry while the reader lives), reads single entries
//! by offset, and decrypts sealed parts when given the vault. [`LogReader::open_upto`] reads a
//! prefix only, which is safe while a writer appends.

use crate::entry::{decode_entry, open_sensitive, DataKey, LeafEntry, Sensitive};
use crate::error::AuditError;
use crate::frontier::Frontier;
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
        Self::load(&audit_dir(data_dir), vault, None)
    }

    /// Opens only the first `size` entries: index records and segment files past them are
    /// never read. This is the way to read a log a writer is appending to: every entry below
    /// the writer's acknowledged size ([`crate::AuditLog::size`]) is fully written to its
    /// segment and index, while the newest segment may still lack its index (rotation creates
    /// the `.log` first) and the newest index may end in a partly written record. Fails with
    /// `OutOfRange` when fewer than `size` entries are indexed.
    pub fn open_upto(
        data_dir: &Path,
        vault: Option<&Vault>,
        size: u64,
    ) -> Result<LogReader, AuditError> {
        Self::load(&audit_dir(data_dir), vault, Some(size))
    }

    /// Loads the first `limit` entries (all when `None`) of the log in `dir`.
    pub(crate) fn load(
        dir: &Path,
        vault: Option<&Vault>,
        limit: Option<u64>,
    ) -> Result<LogReader, AuditError> {
        let segments = list_segments(dir)?;
        let mut tree = MerkleTree::new();
        let mut locations = Vec::new();
        for_each_indexed(&segments, limit, |pos, off, leaf| {
            tree.push(leaf);
            locations.push((pos, off));
        })?;
        let key = vault.map(|v| load_data_key(dir, v)).transpose()?;
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

/// RFC 6962 root over the first `size` entries of the log in `dir`, streamed from the index
/// files through a [`Frontier`]: constant memory, whatever the size.
pub(crate) fn prefix_root(dir: &Path, size: u64) -> Result<Hash, AuditError> {
    let segments = list_segments(dir)?;
    let mut frontier = Frontier::new();
    for_each_indexed(&segments, Some(size), |_, _, leaf| frontier.push(leaf))?;
    Ok(frontier.root())
}

/// Calls `visit(segment position, offset, leaf hash)` for the first `limit` entries (all when
/// `None`) listed by the index files, in order. Without a limit, a partly written final index
/// record (a writer mid-append) is skipped; with one, nothing past the limit is read at all.
fn for_each_indexed(
    segments: &[SegmentFiles],
    limit: Option<u64>,
    mut visit: impl FnMut(usize, u64, Hash),
) -> Result<(), AuditError> {
    let reached = |n: u64| limit.is_some_and(|l| n >= l);
    let mut n = 0u64;
    for (pos, seg) in segments.iter().enumerate() {
        if reached(n) {
            break;
        }
        if seg.first != n {
            return Err(AuditError::Corrupt(format!(
                "segment {} does not follow {n} entries",
                seg.first
            )));
        }
        let bytes = std::fs::read(&seg.idx).map_err(|e| AuditError::io(&seg.idx, e))?;
        // A writer may be mid-append: read whole records only.
        for rec in bytes.chunks_exact(INDEX_RECORD) {
            if reached(n) {
                break;
            }
            let (off, leaf) = rec.split_at(8);
            let off = u64::from_be_bytes(off.try_into().unwrap_or([0; 8]));
            visit(pos, off, leaf.try_into().unwrap_or([0; 32]));
            n += 1;
        }
    }
    match limit {
        Some(l) if n < l => Err(AuditError::OutOfRange(format!(
            "the log has {n} indexed entries, fewer than {l}"
        ))),
        _ => Ok(()),
    }
}
