//! Offline verification of a whole log (`palisade audit verify`): recompute every leaf from
//! the segment bytes, check framing, positions and the index files, stream the leaves through
//! a Merkle frontier, check every checkpoint's signature and its root when the stream reaches
//! its size (`verify_checkpoints.rs`, which also says why that implies consistency
//! between checkpoints), and optionally check against a trusted checkpoint kept elsewhere
//! (which catches rollback). Memory is bounded by a few segments, not by the log: a
//! billion-entry log verifies without its tree. Needs no decryption key. The first problem
//! found is returned, naming where it is.

use crate::checkpoint::{read_verifier_key, Checkpoint};
use crate::entry::claimed_index;
use crate::frontier::Frontier;
use crate::merkle::{leaf_hash, Hash};
use crate::note::NoteVerifier;
use crate::segment::{decode_index, list_segments, scan, ScanEnd};
use crate::verify_checkpoints::CheckpointChecks;
use std::path::Path;

/// A checkpoint the verifier trusts, obtained out of band, and the key to check it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCheckpoint {
    /// The signed checkpoint note.
    pub note: String,
    /// The log's verifier key (`name+id+key`); also used for the log's own checkpoints.
    pub verifier_key: String,
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Segment files checked.
    pub segments: usize,
    /// Checkpoints whose signature and root were checked (which implies their consistency,
    /// see `verify_checkpoints.rs`).
    pub checkpoints: usize,
    /// Size of the newest checkpoint (entries after it are not yet signed).
    pub latest_checkpoint_size: Option<u64>,
    /// Root over all entries.
    pub root: Hash,
    /// Size of the trusted checkpoint the log was proven consistent with.
    pub trusted_size: Option<u64>,
}

/// What is wrong with one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryProblem {
    /// The record is cut short (crash mid-write, or truncation).
    Torn {
        /// Byte offset in its segment.
        offset: u64,
        /// Details.
        reason: String,
    },
    /// The entry bytes do not hash to the leaf hash stored with them: the entry was altered.
    HashMismatch,
    /// The entry is not in canonical form.
    NotCanonical,
    /// The entry at this position belongs elsewhere: deleted or reordered entries.
    WrongPosition {
        /// The index the entry claims.
        claims: u64,
    },
    /// The index file disagrees with the segment.
    IndexFile(String),
}

impl std::fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntryProblem::Torn { offset, reason } => {
                write!(f, "torn record at byte {offset}: {reason}")
            }
            EntryProblem::HashMismatch => {
                f.write_str("entry bytes do not match their leaf hash (entry altered)")
            }
            EntryProblem::NotCanonical => f.write_str("entry is not in canonical form"),
            EntryProblem::WrongPosition { claims } => {
                write!(
                    f,
                    "entry claims index {claims} (entries deleted or reordered)"
                )
            }
            EntryProblem::IndexFile(m) => write!(f, "index file disagrees: {m}"),
        }
    }
}

/// Why verification failed, naming the first bad place.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path.
        path: std::path::PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The audit directory could not be listed.
    #[error("cannot read the audit directory: {0}")]
    Unreadable(String),
    /// The verifier key could not be loaded or parsed.
    #[error("verifier key: {0}")]
    Key(String),
    /// A segment file does not continue where the previous one ended.
    #[error(
        "segment starting at index {first} follows {preceding} entries (segment missing or extra)"
    )]
    SegmentGap {
        /// First index in its name.
        first: u64,
        /// Entries before it.
        preceding: u64,
    },
    /// An entry is bad.
    #[error("entry {index}: {problem}")]
    Entry {
        /// First bad index.
        index: u64,
        /// What is wrong.
        problem: EntryProblem,
    },
    /// A checkpoint is bad.
    #[error("checkpoint #{number}{}: {problem}", size.map(|s| format!(" (size {s})")).unwrap_or_default())]
    Checkpoint {
        /// Position in checkpoints.log, from 0.
        number: usize,
        /// Its tree size, if it could be read.
        size: Option<u64>,
        /// The first entry index that may be bad, when known.
        first_bad_index: Option<u64>,
        /// What is wrong.
        problem: String,
    },
    /// The log is shorter than a trusted checkpoint: rolled back or truncated.
    #[error(
        "rollback: the log has {log_size} entries but the trusted checkpoint covers {trusted_size}"
    )]
    Rollback {
        /// Entries present.
        log_size: u64,
        /// Entries the trusted checkpoint covers.
        trusted_size: u64,
    },
    /// The trusted checkpoint does not verify or the log diverges from it.
    #[error("trusted checkpoint: {0}")]
    Trusted(String),
    /// A checkpoint trusted from outside (a trusted file, or one cosigned by the witnesses)
    /// has another root than the log's first `size` entries: the history was rewritten and
    /// re-signed, or the log showed two views (a fork).
    #[error("fork: the {what} of size {size} has another root than the log's first {size} entries (history rewritten and re-signed)")]
    Fork {
        /// Size of the outside checkpoint.
        size: u64,
        /// Which outside checkpoint (`trusted checkpoint`, `witnessed checkpoint`).
        what: String,
    },
    /// Witness keys were given but no checkpoint carries a quorum of valid cosignatures.
    #[error("no checkpoint carries {quorum} valid cosignature(s) of the given witness keys: nothing here is witnessed")]
    NotWitnessed {
        /// The quorum asked for.
        quorum: usize,
    },
}

impl VerifyError {
    /// The first entry index implicated, when one is known.
    pub fn first_bad_index(&self) -> Option<u64> {
        match self {
            VerifyError::Entry { index, .. } => Some(*index),
            VerifyError::SegmentGap { preceding, .. } => Some(*preceding),
            VerifyError::Checkpoint {
                first_bad_index, ..
            } => *first_bad_index,
            VerifyError::Rollback { log_size, .. } => Some(*log_size),
            _ => None,
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, VerifyError> {
    std::fs::read(path).map_err(|e| VerifyError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Verifies the log in `<data_dir>/audit`. Without `trusted`, checkpoints are checked with the
/// log's own `checkpoint.vkey` (self-consistency only: whoever can write the directory can
/// also rewrite that key; see [`crate::trust`] for verification with outside trust); with it,
/// with the trusted key, and the log must extend the trusted checkpoint.
pub fn verify(
    data_dir: &Path,
    trusted: Option<&TrustedCheckpoint>,
) -> Result<VerifyReport, VerifyError> {
    let verifier = match trusted {
        Some(t) => {
            NoteVerifier::parse(&t.verifier_key).map_err(|e| VerifyError::Key(e.to_string()))?
        }
        None => read_verifier_key(data_dir).map_err(|e| VerifyError::Key(e.to_string()))?,
    };
    // Parsed now so its root can be recorded as the leaves stream past its size; its
    // problems are still reported after the log's own, as before.
    let trusted_cp = trusted.map(|t| Checkpoint::verify_note(&t.note, &verifier));
    let trusted_at: Vec<u64> = trusted_cp
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|c| c.size)
        .into_iter()
        .collect();
    let (mut report, roots) = verify_with_roots_at(data_dir, &verifier, &trusted_at)?;
    if let Some(cp) = trusted_cp {
        let cp = cp.map_err(|e| VerifyError::Trusted(e.to_string()))?;
        check_against(&cp, report.entries, &roots, "trusted checkpoint")?;
        report.trusted_size = Some(cp.size);
    }
    Ok(report)
}

/// Checks that a checkpoint trusted from outside is covered by the log and matches its root.
pub(crate) fn check_against(
    cp: &Checkpoint,
    log_size: u64,
    roots: &[(u64, Hash)],
    what: &str,
) -> Result<(), VerifyError> {
    if cp.size > log_size {
        return Err(VerifyError::Rollback {
            log_size,
            trusted_size: cp.size,
        });
    }
    let root = roots.iter().find(|(s, _)| *s == cp.size).map(|(_, r)| *r);
    if root != Some(cp.root) {
        return Err(VerifyError::Fork {
            size: cp.size,
            what: what.to_string(),
        });
    }
    Ok(())
}

/// The whole-log check with `verifier`, also returning the log's root at each of `sizes`
/// (those not above the log's size) as the leaves stream past them.
pub(crate) fn verify_with_roots_at(
    data_dir: &Path,
    verifier: &NoteVerifier,
    sizes: &[u64],
) -> Result<(VerifyReport, Vec<(u64, Hash)>), VerifyError> {
    let dir = crate::audit_dir(data_dir);
    let segments = list_segments(&dir).map_err(|e| VerifyError::Unreadable(e.to_string()))?;
    let mut roots = Vec::new();
    let mut checks = CheckpointChecks::open(&dir, verifier);
    let mut frontier = Frontier::new();
    let mut at_size = |f: &Frontier, checks: &mut CheckpointChecks| {
        checks.reached(f);
        if sizes.contains(&f.size()) {
            roots.push((f.size(), f.root()));
        }
    };
    at_size(&frontier, &mut checks);
    // Segments are checked `workers()` at a time in parallel (hashing dominates), then taken in
    // order, so the error reported is still the first one in the log and only a window of
    // segments is in memory at once.
    for window in segments.chunks(workers()) {
        let leaves = parallel_map(window, |seg| {
            verify_segment(seg.first, &read(&seg.log)?, &read(&seg.idx)?)
        });
        for (seg, result) in window.iter().zip(leaves) {
            if seg.first != frontier.size() {
                return Err(VerifyError::SegmentGap {
                    first: seg.first,
                    preceding: frontier.size(),
                });
            }
            for leaf in result? {
                frontier.push(leaf);
                at_size(&frontier, &mut checks);
            }
        }
    }
    let n = frontier.size();
    let checked = checks.finish(n)?;
    Ok((
        VerifyReport {
            entries: n,
            segments: segments.len(),
            checkpoints: checked.count,
            latest_checkpoint_size: checked.latest_size,
            root: frontier.root(),
            trusted_size: None,
        },
        roots,
    ))
}

/// Segments verified in parallel: up to 4, no more than the cores.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
}

/// Runs `f` over `items` on up to 4 threads, returning results in input order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = workers().min(items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<parking_lot::Mutex<Option<R>>> = items
        .iter()
        .map(|_| parking_lot::Mutex::new(None))
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                if let Some(slot) = slots.get(i) {
                    *slot.lock() = Some(r);
                }
            });
        }
    });
    slots.into_iter().filter_map(|s| s.into_inner()).collect()
}

/// Checks one segment whose first entry is `first`; returns its leaf hashes.
fn verify_segment(first: u64, bytes: &[u8], idx_bytes: &[u8]) -> Result<Vec<Hash>, VerifyError> {
    let idx = decode_index(idx_bytes).ok_or(VerifyError::Entry {
        index: first,
        problem: EntryProblem::IndexFile("partial index record".into()),
    })?;
    let mut leaves: Vec<Hash> = Vec::with_capacity(idx.len());
    let end = scan(bytes, |rec| {
        let k = leaves.len();
        let index = first + k as u64;
        let bad = |problem| Err(VerifyError::Entry { index, problem });
        let leaf = leaf_hash(rec.entry);
        if leaf != rec.stored_leaf {
            return bad(EntryProblem::HashMismatch);
        }
        match claimed_index(rec.entry) {
            None => return bad(EntryProblem::NotCanonical),
            Some(c) if c != index => return bad(EntryProblem::WrongPosition { claims: c }),
            Some(_) => {}
        }
        if idx.get(k) != Some(&(rec.offset, leaf)) {
            return bad(EntryProblem::IndexFile(
                "offset or leaf hash differs".into(),
            ));
        }
        leaves.push(leaf);
        Ok(())
    })?;
    let next = first + leaves.len() as u64;
    if let ScanEnd::Torn { offset, reason } = end {
        return Err(VerifyError::Entry {
            index: next,
            problem: EntryProblem::Torn { offset, reason },
        });
    }
    if idx.len() != leaves.len() {
        return Err(VerifyError::Entry {
            index: next,
            problem: EntryProblem::IndexFile(format!(
                "index lists {} entries, segment holds {}",
                idx.len(),
                leaves.len()
            )),
        });
    }
    Ok(leaves)
}
