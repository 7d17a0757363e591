//! Segment and index files. A segment `seg-<first index, 20 digits>.log` is a sequence of
//! records `u32 BE length || entry || SHA-256 leaf hash`; the trailing leaf hash lets a torn
//! final record (crash mid-write) be told from a complete one. Its index `seg-<first>.idx`
//! holds one 40-byte record per entry, `u64 BE offset || leaf hash`, so proofs and `show`
//! never rescan segments.

use crate::error::AuditError;
use crate::merkle::{leaf_hash, Hash};
use std::path::{Path, PathBuf};

/// Bytes a record adds around its entry.
pub const RECORD_OVERHEAD: u64 = 4 + 32;
/// Size of one index record.
pub const INDEX_RECORD: usize = 8 + 32;
/// Largest entry accepted (guards the length prefix against garbage).
pub const MAX_ENTRY: u32 = 16 * 1024 * 1024;

/// One segment on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFiles {
    /// Index of its first entry.
    pub first: u64,
    /// The `.log` file.
    pub log: PathBuf,
    /// The `.idx` file.
    pub idx: PathBuf,
}

impl SegmentFiles {
    /// Paths of the segment starting at `first`.
    pub fn new(audit_dir: &Path, first: u64) -> Self {
        SegmentFiles {
            first,
            log: audit_dir.join(format!("seg-{first:020}.log")),
            idx: audit_dir.join(format!("seg-{first:020}.idx")),
        }
    }
}

/// Every segment in the directory, ordered by first index.
pub fn list_segments(audit_dir: &Path) -> Result<Vec<SegmentFiles>, AuditError> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(audit_dir).map_err(|e| AuditError::io(audit_dir, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| AuditError::io(audit_dir, e))?;
        let name = ent.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(num) = name
            .strip_prefix("seg-")
            .and_then(|n| n.strip_suffix(".log"))
        else {
            continue;
        };
        if num.len() == 20 && num.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(first) = num.parse() {
                out.push(SegmentFiles::new(audit_dir, first));
            }
        }
    }
    out.sort_by_key(|s| s.first);
    Ok(out)
}

/// Appends one framed record to `out`.
pub fn encode_record(entry: &[u8], leaf: &Hash, out: &mut Vec<u8>) {
    out.extend_from_slice(&(entry.len() as u32).to_be_bytes());
    out.extend_from_slice(entry);
    out.extend_from_slice(leaf);
}

/// Appends one index record to `out`.
pub fn encode_index(offset: u64, leaf: &Hash, out: &mut Vec<u8>) {
    out.extend_from_slice(&offset.to_be_bytes());
    out.extend_from_slice(leaf);
}

/// Decodes an index file into (offset, leaf hash) pairs; `None` if its length is not a
/// multiple of the record size.
pub fn decode_index(bytes: &[u8]) -> Option<Vec<(u64, Hash)>> {
    if !bytes.chunks_exact(INDEX_RECORD).remainder().is_empty() {
        return None;
    }
    bytes
        .chunks_exact(INDEX_RECORD)
        .map(|c| {
            let (off, leaf) = c.split_at(8);
            Some((
                u64::from_be_bytes(off.try_into().ok()?),
                Hash::try_from(leaf).ok()?,
            ))
        })
        .collect()
}

/// One complete record found by [`scan`].
#[derive(Debug)]
pub struct Record<'a> {
    /// Byte offset of the record in the segment.
    pub offset: u64,
    /// The entry bytes.
    pub entry: &'a [u8],
    /// The leaf hash stored after it.
    pub stored_leaf: Hash,
}

/// How a scan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEnd {
    /// Every byte belonged to a complete record.
    Clean,
    /// The final record is incomplete or its trailer does not match: a torn write.
    Torn {
        /// Where the torn record starts (the length to truncate to).
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// Walks the records of a segment. `visit` sees each complete record; a record whose stored
/// leaf hash does not match is reported by `visit` as well (the caller decides: a bad record
/// in the middle is tampering), unless it is the last bytes of the file (then: torn).
pub fn scan<'a, E>(
    bytes: &'a [u8],
    mut visit: impl FnMut(Record<'a>) -> Result<(), E>,
) -> Result<ScanEnd, E> {
    let mut pos = 0usize;
    while pos < bytes.len() {
        let torn = |reason: &str| ScanEnd::Torn {
            offset: pos as u64,
            reason: reason.to_string(),
        };
        let Some(len_bytes) = bytes.get(pos..pos + 4) else {
            return Ok(torn("partial length prefix"));
        };
        let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        if len > MAX_ENTRY {
            return Ok(torn("length prefix out of range"));
        }
        let end = pos + 4 + len as usize + 32;
        let Some(rec) = bytes.get(pos..end) else {
            return Ok(torn("record shorter than its length prefix"));
        };
        let entry = &rec[4..4 + len as usize];
        let stored_leaf: Hash = rec[4 + len as usize..].try_into().unwrap_or([0; 32]);
        if end == bytes.len() && leaf_hash(entry) != stored_leaf {
            return Ok(torn("final record's stored hash does not match its bytes"));
        }
        visit(Record {
            offset: pos as u64,
            entry,
            stored_leaf,
        })?;
        pos = end;
    }
    Ok(ScanEnd::Clean)
}
