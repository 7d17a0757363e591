//! Loading the log's state from disk on open: the leaf hashes of every segment (from the index
//! files, rescanning only the last segment) stream through a [`Frontier`], which is all the
//! running log keeps of the tree, recording the root at the latest checkpoint's size on the
//! way so open can check it; plus the latest checkpoint, and crash repair. Nothing here needs
//! an old hash again once it has been pushed, so open holds no per-entry state.
//!
//! Torn final record policy: open TRUNCATES an incomplete final record and records a note,
//! which the log appends as an `audit_recovery` event. Why not refuse: in sync mode a torn
//! record was never acknowledged (callbacks run after fsync), so nothing a client saw is lost,
//! and refusing would keep the gateway down (fail closed) after every power cut. Why this is
//! still safe: only bytes *after* the last signed checkpoint may go; if the truncation would
//! cut below a checkpoint, open refuses, and offline `verify` reports the torn record without
//! touching it.

use crate::checkpoint_file::{CheckpointNotes, NextNote};
use crate::error::AuditError;
use crate::files;
use crate::frontier::{Frontier, RootAt};
use crate::merkle::{leaf_hash, Hash};
use crate::segment::{self, decode_index, encode_index, list_segments, ScanEnd, SegmentFiles};
use std::path::Path;

/// File with every checkpoint ever written: records `u32 BE length || note`.
pub const CHECKPOINTS_FILE: &str = "checkpoints.log";
/// The newest checkpoint note alone, for distribution.
pub const LATEST_CHECKPOINT_FILE: &str = "checkpoint.latest";

/// What open found.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// The right edge of the tree over every entry found.
    pub frontier: Frontier,
    /// The root over the first `signed_size` entries, when the log has that many.
    pub signed_root: Option<Hash>,
    pub segments: Vec<SegmentFiles>,
    /// Bytes in the last segment.
    pub last_len: u64,
    /// Notes on repairs made (empty when the log was clean).
    pub notes: Vec<String>,
}

/// Reads the newest checkpoint note, streaming past the others (a busy log holds millions);
/// `truncate_torn` repairs a torn final record. Returns the note and, when a torn record was
/// found, the repair note.
pub(crate) fn read_latest_checkpoint(
    audit_dir: &Path,
    truncate_torn: bool,
) -> Result<(Option<String>, Option<String>), AuditError> {
    let mut notes = CheckpointNotes::open(audit_dir)?;
    let mut latest = None;
    loop {
        match notes.next_note()? {
            NextNote::Note(text) => latest = Some(text),
            NextNote::End => return Ok((latest, None)),
            NextNote::Torn { offset, note } => {
                if truncate_torn {
                    truncate(&audit_dir.join(CHECKPOINTS_FILE), offset)?;
                }
                return Ok((latest, Some(note)));
            }
        }
    }
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
/// refused, never truncated, and the root at that size is recorded for the caller to compare.
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
    let mut replay = RootAt::new(signed_size);
    let last_pos = segments.len() - 1;
    let mut last_len = 0;
    for (pos, seg) in segments.iter().enumerate() {
        if seg.first != replay.size() {
            return Err(AuditError::Corrupt(format!(
                "segment {} starts at index {} but {} entries precede it",
                seg.log.display(),
                seg.first,
                replay.size()
            )));
        }
        if pos < last_pos {
            let bytes = std::fs::read(&seg.idx).map_err(|e| AuditError::io(&seg.idx, e))?;
            let idx = decode_index(&bytes).ok_or_else(|| {
                AuditError::Corrupt(format!("index {} has a partial record", seg.idx.display()))
            })?;
            for (_, leaf) in idx {
                replay.push(leaf);
            }
        } else {
            last_len = recover_last(seg, &mut replay, &mut notes, signed_size)?;
        }
    }
    Ok(Recovered {
        signed_root: replay.root_at_target(),
        frontier: replay.into_frontier(),
        segments,
        last_len,
        notes,
    })
}

/// Rescans the last segment, truncates a torn tail and rewrites its index to match.
fn recover_last(
    seg: &SegmentFiles,
    replay: &mut RootAt,
    notes: &mut Vec<String>,
    signed_size: u64,
) -> Result<u64, AuditError> {
    let bytes = std::fs::read(&seg.log).map_err(|e| AuditError::io(&seg.log, e))?;
    let mut idx = Vec::new();
    let end = segment::scan(&bytes, |rec| {
        if leaf_hash(rec.entry) != rec.stored_leaf {
            return Err(AuditError::Corrupt(format!(
                "entry {} in {} does not match its stored hash; run `palisade audit verify`",
                replay.size(),
                seg.log.display()
            )));
        }
        encode_index(rec.offset, &rec.stored_leaf, &mut idx);
        replay.push(rec.stored_leaf);
        Ok(())
    })?;
    let len = match end {
        ScanEnd::Clean => bytes.len() as u64,
        ScanEnd::Torn { offset, reason } => {
            if replay.size() < signed_size {
                return Err(AuditError::Corrupt(format!(
                    "torn record at index {} ({reason}) but the latest checkpoint covers {signed_size}: signed entries are damaged; refusing to open (nothing was changed)",
                    replay.size()
                )));
            }
            notes.push(format!(
                "truncated a torn record at index {} (byte {offset} of {}): {reason}; {} bytes dropped",
                replay.size(),
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
