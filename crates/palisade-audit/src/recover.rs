//! Loading the log's state from disk on open: the leaf hashes of every segment (from the index
//! files, rescanning only the last segment), the latest checkpoint, and crash repair.
//!
//! Torn final record policy: open TRUNCATES an incomplete final record and records a note,
//! which the log appends as an `audit_recovery` event. Why not refuse: in sync mode a torn
//! record was never acknowledged (callbacks run after fsync), so nothing a client saw is lost,
//! and refusing would keep the gateway down (fail closed) after every power cut. Why this is
//! still safe: only bytes *after* the last signed checkpoint may go; if the truncation would
//! cut below a checkpoint, open refuses, and offline `verify` reports the torn record without
//! touching it.

use crate::error::AuditError;
use crate::files;
use crate::merkle::leaf_hash;
use crate::segment::{self, decode_index, encode_index, list_segments, ScanEnd, SegmentFiles};
use crate::tree::MerkleTree;
use std::path::Path;

/// File with every checkpoint ever written: records `u32 BE length || note`.
pub const CHECKPOINTS_FILE: &str = "checkpoints.log";
/// The newest checkpoint note alone, for distribution.
pub const LATEST_CHECKPOINT_FILE: &str = "checkpoint.latest";

/// What open found.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub tree: MerkleTree,
    pub segments: Vec<SegmentFiles>,
    /// Bytes in the last segment.
    pub last_len: u64,
    /// Notes on repairs made (empty when the log was clean).
    pub notes: Vec<String>,
}

/// Reads every checkpoint note; `truncate_torn` repairs a torn final record.
pub(crate) fn read_checkpoints(
    audit_dir: &Path,
    truncate_torn: bool,
) -> Result<(Vec<String>, Option<String>), AuditError> {
    let path = audit_dir.join(CHECKPOINTS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), None)),
        Err(e) => return Err(AuditError::io(&path, e)),
    };
    let mut notes = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let len = bytes
            .get(pos..pos + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
        let body = len.and_then(|l| bytes.get(pos + 4..pos + 4 + l));
        let Some(body) = body else {
            let note = format!("torn checkpoint record at byte {pos} of {CHECKPOINTS_FILE}");
            if truncate_torn {
                truncate(&path, pos as u64)?;
            }
            return Ok((notes, Some(note)));
        };
        let text = std::str::from_utf8(body)
            .map_err(|_| AuditError::Corrupt(format!("checkpoint at byte {pos} is not utf-8")))?;
        notes.push(text.to_string());
        pos += 4 + body.len();
    }
    Ok((notes, None))
}

fn truncate(path: &Path, len: u64) -> Result<(), AuditError> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| AuditError::io(path, e))?;
    f.set_len(len).map_err(|e| AuditError::io(path, e))?;
    f.sync_all().map_err(|e| AuditError::io(path, e))
}

/// Loads the log for writing, repairing a torn tail as the module docs describe.
/// `signed_size` is the size of the latest verified checkpoint: a torn record below it is
/// refused, never truncated.
pub(crate) fn recover(audit_dir: &Path, signed_size: u64) -> Result<Recovered, AuditError> {
    let mut segments = list_segments(audit_dir)?;
    let mut notes = Vec::new();
    if segments.is_empty() {
        let seg = SegmentFiles::new(audit_dir, 0);
        for p in [&seg.log, &seg.idx] {
            files::private_options()
                .write(true)
                .create(true)
                .truncate(false)
                .open(p)
                .map_err(|e| AuditError::io(p, e))?;
        }
        files::sync_dir(&seg.log)?;
        segments.push(seg);
    }
    let mut tree = MerkleTree::new();
    let last_pos = segments.len() - 1;
    let mut last_len = 0;
    for (pos, seg) in segments.iter().enumerate() {
        if seg.first != tree.size() {
            return Err(AuditError::Corrupt(format!(
                "segment {} starts at index {} but {} entries precede it",
                seg.log.display(),
                seg.first,
                tree.size()
            )));
        }
        if pos < last_pos {
            let bytes = std::fs::read(&seg.idx).map_err(|e| AuditError::io(&seg.idx, e))?;
            let idx = decode_index(&bytes).ok_or_else(|| {
                AuditError::Corrupt(format!("index {} has a partial record", seg.idx.display()))
            })?;
            for (_, leaf) in idx {
                tree.push(leaf);
            }
        } else {
            last_len = recover_last(seg, &mut tree, &mut notes, signed_size)?;
        }
    }
    Ok(Recovered {
        tree,
        segments,
        last_len,
        notes,
    })
}

/// Rescans the last segment, truncates a torn tail and rewrites its index to match.
fn recover_last(
    seg: &SegmentFiles,
    tree: &mut MerkleTree,
    notes: &mut Vec<String>,
    signed_size: u64,
) -> Result<u64, AuditError> {
    let bytes = std::fs::read(&seg.log).map_err(|e| AuditError::io(&seg.log, e))?;
    let mut idx = Vec::new();
    let end = segment::scan(&bytes, |rec| {
        if leaf_hash(rec.entry) != rec.stored_leaf {
            return Err(AuditError::Corrupt(format!(
                "entry {} in {} does not match its stored hash; run `palisade audit verify`",
                tree.size(),
                seg.log.display()
            )));
        }
        encode_index(rec.offset, &rec.stored_leaf, &mut idx);
        tree.push(rec.stored_leaf);
        Ok(())
    })?;
    let len = match end {
        ScanEnd::Clean => bytes.len() as u64,
        ScanEnd::Torn { offset, reason } => {
            if tree.size() < signed_size {
                return Err(AuditError::Corrupt(format!(
                    "torn record at index {} ({reason}) but the latest checkpoint covers {signed_size}: signed entries are damaged; refusing to open (nothing was changed)",
                    tree.size()
                )));
            }
            notes.push(format!(
                "truncated a torn record at index {} (byte {offset} of {}): {reason}; {} bytes dropped",
                tree.size(),
                seg.log.file_name().and_then(|n| n.to_str()).unwrap_or("segment"),
                bytes.len() as u64 - offset
            ));
            truncate(&seg.log, offset)?;
            offset
        }
    };
    let on_disk = std::fs::read(&seg.idx).unwrap_or_default();
    if on_disk != idx {
        files::write_atomic(&seg.idx, &idx)?;
    }
    Ok(len)
}
