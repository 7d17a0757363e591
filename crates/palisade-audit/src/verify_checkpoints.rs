//! The checkpoint half of offline `verify`: checkpoint notes are streamed from
//! `checkpoints.log` alongside the leaves, and each one's root is compared with the frontier's
//! when the leaf stream reaches its size, so neither the tree nor the list of notes is held.
//!
//! Checkpoints must come in non-decreasing size order (the writer only ever signs a larger
//! size): a checkpoint smaller than the one before it fails ("size goes backwards"), which is
//! also what makes one pass enough. Problems are reported in the same order as when the whole
//! file was read first: a problem of the file itself (unreadable, not UTF-8, torn) before any
//! single checkpoint's, then the first failing checkpoint by position.
//!
//! Why there is no consistency proof between successive checkpoints any more: both roots are
//! recomputed here from the one stream of leaves, and each must equal its checkpoint's root.
//! The tree of the earlier size is then, by construction, the prefix of the later one, which
//! is exactly what a consistency proof would establish; a proof built from those same leaves
//! and checked against those same roots could never fail (RFC 6962 proofs are only needed by
//! someone who holds the two roots but not the leaves). Every alteration a proof check would
//! reveal already fails the root comparison of the first checkpoint covering it.

use crate::checkpoint::Checkpoint;
use crate::checkpoint_file::{CheckpointNotes, NextNote};
use crate::frontier::Frontier;
use crate::note::NoteVerifier;
use crate::verify::VerifyError;
use std::path::Path;

/// Streaming checker of the log's own checkpoints.
pub(crate) struct CheckpointChecks<'a> {
    notes: Option<CheckpointNotes>,
    verifier: &'a NoteVerifier,
    /// The next checkpoint (position, parsed), waiting for the leaves to reach its size.
    pending: Option<(usize, Checkpoint)>,
    /// The last checkpoint that passed.
    prev: Option<Checkpoint>,
    /// First problem of the file itself; reported before any checkpoint's.
    file_error: Option<VerifyError>,
    /// First checkpoint that failed; checking stops there.
    failure: Option<VerifyError>,
}

/// What the checkpoints established.
pub(crate) struct Checked {
    /// Checkpoints read (all of them, on success).
    pub count: usize,
    /// Size of the newest one.
    pub latest_size: Option<u64>,
}

fn problem(
    number: usize,
    size: Option<u64>,
    first_bad_index: Option<u64>,
    problem: String,
) -> VerifyError {
    VerifyError::Checkpoint {
        number,
        size,
        first_bad_index,
        problem,
    }
}

impl<'a> CheckpointChecks<'a> {
    /// Starts reading `checkpoints.log` in `audit_dir` (a missing file has no checkpoints).
    pub(crate) fn open(audit_dir: &Path, verifier: &'a NoteVerifier) -> Self {
        let (notes, file_error) = match CheckpointNotes::open(audit_dir) {
            Ok(n) => (Some(n), None),
            Err(e) => (None, Some(problem(0, None, None, e.to_string()))),
        };
        CheckpointChecks {
            notes,
            verifier,
            pending: None,
            prev: None,
            file_error,
            failure: None,
        }
    }

    /// Called with the frontier at every size from 0 on: checks each checkpoint whose size
    /// the leaves have just reached.
    pub(crate) fn reached(&mut self, frontier: &Frontier) {
        loop {
            if self.failure.is_some() || self.file_error.is_some() {
                return;
            }
            if self.pending.is_none() {
                let Some((number, note)) = self.read_next() else {
                    return;
                };
                match self.parse(number, &note) {
                    Ok(cp) => self.pending = Some((number, cp)),
                    Err(e) => {
                        self.failure = Some(e);
                        return;
                    }
                }
            }
            // A pending size is never below the current one (sizes do not go backwards and
            // every size is visited), so "not equal" means "not reached yet". Checked by
            // reference: this runs once per leaf.
            let reached = matches!(&self.pending, Some((_, cp)) if cp.size == frontier.size());
            if !reached {
                return;
            }
            let Some((number, cp)) = self.pending.take() else {
                return;
            };
            if frontier.root() != cp.root {
                let prev_size = self.prev_size();
                self.failure = Some(problem(
                    number,
                    Some(cp.size),
                    Some(prev_size),
                    format!(
                        "root does not match the entries: an entry in [{prev_size}, {}) was altered",
                        cp.size
                    ),
                ));
                return;
            }
            self.prev = Some(cp);
        }
    }

    /// Ends the check once the leaves are exhausted at `n` entries.
    pub(crate) fn finish(mut self, n: u64) -> Result<Checked, VerifyError> {
        if self.failure.is_none() && self.file_error.is_none() {
            // Still waiting: this checkpoint covers entries the log does not have.
            if let Some((number, cp)) = self.pending.take() {
                self.failure = Some(problem(
                    number,
                    Some(cp.size),
                    Some(n),
                    format!("covers {} entries but the log has {n}: entries after index {n} are missing (truncated)", cp.size),
                ));
            }
        }
        // Read the rest of the file (framing only): a problem of the file itself is reported
        // first, as before, even when it lies after a failing checkpoint.
        while self.file_error.is_none() && self.read_next().is_some() {}
        if let Some(e) = self.file_error.take().or(self.failure.take()) {
            return Err(e);
        }
        Ok(Checked {
            count: self.notes.as_ref().map_or(0, CheckpointNotes::count),
            latest_size: self.prev.map(|p| p.size),
        })
    }

    fn prev_size(&self) -> u64 {
        self.prev.as_ref().map_or(0, |p| p.size)
    }

    /// The next note and its position; `None` at the end or on a file problem (recorded).
    fn read_next(&mut self) -> Option<(usize, String)> {
        let notes = self.notes.as_mut()?;
        match notes.next_note() {
            Ok(NextNote::Note(text)) => Some((notes.count().saturating_sub(1), text)),
            Ok(NextNote::End) => None,
            Ok(NextNote::Torn { note, .. }) => {
                self.file_error = Some(problem(notes.count(), None, None, note));
                None
            }
            Err(e) => {
                self.file_error = Some(problem(0, None, None, e.to_string()));
                None
            }
        }
    }

    /// Signature, origin and order: everything that does not need the leaves.
    fn parse(&self, number: usize, note: &str) -> Result<Checkpoint, VerifyError> {
        let cp = Checkpoint::verify_note(note, self.verifier)
            .map_err(|e| problem(number, None, None, e.to_string()))?;
        let size = Some(cp.size);
        if cp.origin != self.verifier.name() {
            return Err(problem(
                number,
                size,
                None,
                format!(
                    "origin {:?} is not this log's {:?}",
                    cp.origin,
                    self.verifier.name()
                ),
            ));
        }
        let prev_size = self.prev_size();
        if cp.size < prev_size {
            return Err(problem(
                number,
                size,
                None,
                format!("size goes backwards from {prev_size}"),
            ));
        }
        Ok(cp)
    }
}
