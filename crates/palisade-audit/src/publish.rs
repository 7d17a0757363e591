//! The log's side of C2SP tlog-witness, without HTTP: submits each new checkpoint to every
//! configured witness (old size + consistency proof from the size that witness last saw; a
//! 409 tells the witness's size and the request is retried from it), checks each returned
//! cosignature against the pinned witness key, and stores the checkpoint with its
//! cosignatures (`cosigned.latest`) only when the quorum is met: only then does it count as
//! published. A witness that holds a larger checkpoint than the log, or refuses the proof from
//! its own size, has seen another history: that is a rollback or a fork, never retried away.
//! The HTTP round trip is the caller's ([`WitnessTransport`]), so this runs in tests against an
//! in-process [`crate::Witness`] and in the gateway over hyper.

use crate::checkpoint::Checkpoint;
use crate::config::AuditConfig;
use crate::cosignature::CosignatureVerifier;
use crate::log::AuditLog;
use crate::note::{SignedNote, SIG_PREFIX};
use crate::witness::AddCheckpoint;
use parking_lot::Mutex;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Sends one add-checkpoint request body to a witness URL prefix and returns the status and
/// body of the answer (or why there was none).
pub trait WitnessTransport {
    /// POSTs `body` to `<url>/add-checkpoint`.
    fn add_checkpoint(&self, url: &str, body: &str) -> Result<(u16, String), String>;
}

/// Why one witness did not cosign a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The witness holds a checkpoint larger than the log: the log lost entries (rollback).
    #[error("witness {witness} has cosigned size {witness_size} but the log's checkpoint is {log_size}: the log was rolled back")]
    Rollback {
        /// Witness name.
        witness: String,
        /// Size the witness holds.
        witness_size: u64,
        /// Size of the log's checkpoint.
        log_size: u64,
    },
    /// The witness saw another tree at its size (same-size 409, or the proof from its size
    /// does not verify): the log was rewritten.
    #[error("witness {witness} holds another tree at size {size}: the log forked ({detail})")]
    Fork {
        /// Witness name.
        witness: String,
        /// The witness's size.
        size: u64,
        /// What the witness said.
        detail: String,
    },
    /// The witness refused, answered something unusable, or could not be reached.
    #[error("witness {witness}: {reason}")]
    Unavailable {
        /// Witness name.
        witness: String,
        /// Why.
        reason: String,
    },
}

impl PublishError {
    /// Rollback and fork are evidence against the log, not outages: the gateway refuses to
    /// start on them.
    pub fn is_evidence(&self) -> bool {
        !matches!(self, PublishError::Unavailable { .. })
    }
}

/// One configured witness and the size it is known to hold.
#[derive(Debug)]
struct Peer {
    url: String,
    key: CosignatureVerifier,
    known: Option<u64>,
}

/// Outcome of one publication round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundReport {
    /// Size of the submitted checkpoint.
    pub size: u64,
    /// Valid cosignatures received.
    pub cosigned: usize,
    /// Whether the quorum was met and the cosigned checkpoint stored.
    pub published: bool,
    /// Witnesses that did not cosign, and why.
    pub problems: Vec<PublishError>,
}

/// Submits checkpoints to the configured witnesses.
#[derive(Debug)]
pub struct Publisher {
    audit_dir: PathBuf,
    peers: Vec<Peer>,
    quorum: usize,
    status: std::sync::Arc<WitnessStatus>,
}

/// Most 409 round trips per witness and checkpoint: one to learn its size, one to resend.
const MAX_ATTEMPTS: usize = 3;

impl Publisher {
    /// A publisher for the log in `<data_dir>/audit` with the `[audit]` witness settings.
    pub fn new(data_dir: &std::path::Path, cfg: &AuditConfig) -> Result<Self, crate::AuditError> {
        cfg.validate()?;
        let peers = cfg
            .witnesses
            .iter()
            .map(|w| {
                Ok(Peer {
                    url: w.url.trim_end_matches('/').to_string(),
                    key: CosignatureVerifier::parse(&w.key)
                        .map_err(|e| crate::AuditError::Config(e.to_string()))?,
                    known: None,
                })
            })
            .collect::<Result<Vec<_>, crate::AuditError>>()?;
        Ok(Publisher {
            audit_dir: crate::audit_dir(data_dir),
            quorum: cfg.quorum(),
            peers,
            status: std::sync::Arc::new(WitnessStatus::new(cfg.max_witness_lag)),
        })
    }

    /// The lag tracker this publisher updates (for `/readyz` and the fail-closed gate).
    pub fn status(&self) -> std::sync::Arc<WitnessStatus> {
        self.status.clone()
    }

    /// Submits `note` (the log's newest signed checkpoint) to every witness; stores it with
    /// the cosignatures when the quorum is met. Blocking (proofs are read from the index files
    /// and the transport may wait): callers run it off the request path.
    pub fn publish(
        &mut self,
        log: &AuditLog,
        note: &str,
        transport: &dyn WitnessTransport,
    ) -> Result<RoundReport, crate::AuditError> {
        let cp = SignedNote::parse(note)
            .map_err(|e| crate::AuditError::Corrupt(e.to_string()))
            .and_then(|n| {
                Checkpoint::parse_text(n.text)
                    .map_err(|e| crate::AuditError::Corrupt(e.to_string()))
            })?;
        self.status.saw_checkpoint(cp.size, Instant::now());
        let mut lines = Vec::new();
        let mut problems = Vec::new();
        for peer in &mut self.peers {
            match submit(peer, log, note, cp.size, transport) {
                Ok(line) => lines.push(line),
                Err(e) => problems.push(e),
            }
        }
        let published = lines.len() >= self.quorum;
        if published {
            crate::cosigned::store(&self.audit_dir, note, &lines)?;
            self.status.witnessed(cp.size);
        }
        self.status.set_problems(&problems);
        Ok(RoundReport {
            size: cp.size,
            cosigned: lines.len(),
            published,
            problems,
        })
    }
}

/// One witness, one checkpoint: returns that witness's verified cosignature line.
fn submit(
    peer: &mut Peer,
    log: &AuditLog,
    note: &str,
    size: u64,
    transport: &dyn WitnessTransport,
) -> Result<String, PublishError> {
    let name = peer.key.name().to_string();
    let unavailable = |reason: String| PublishError::Unavailable {
        witness: name.clone(),
        reason,
    };
    let mut old = peer.known.unwrap_or(0);
    for _ in 0..MAX_ATTEMPTS {
        if old > size {
            return Err(PublishError::Rollback {
                witness: name.clone(),
                witness_size: old,
                log_size: size,
            });
        }
        let proof = if old == 0 || old == size {
            Vec::new()
        } else {
            log.consistency_proof(old, size)
                .map_err(|e| unavailable(format!("consistency proof {old}..{size}: {e}")))?
                .path
        };
        let body = AddCheckpoint::to_body(old, &proof, note);
        let (status, answer) = transport
            .add_checkpoint(&peer.url, &body)
            .map_err(unavailable)?;
        match status {
            200 => {
                let line = own_cosignature(&peer.key, note, &answer).ok_or_else(|| {
                    unavailable("answered 200 without a valid cosignature of its key".into())
                })?;
                peer.known = Some(size);
                return Ok(line);
            }
            409 => {
                let theirs = answer
                    .trim_end_matches('\n')
                    .parse::<u64>()
                    .map_err(|_| unavailable("409 without a size".into()))?;
                if theirs == old {
                    // Our old size was right, so the conflict is another root at this size.
                    return Err(PublishError::Fork {
                        witness: name.clone(),
                        size: theirs,
                        detail: "same size, another root".into(),
                    });
                }
                peer.known = Some(theirs);
                old = theirs;
            }
            422 => {
                return Err(PublishError::Fork {
                    witness: name.clone(),
                    size: old,
                    detail: "it refused the consistency proof from its checkpoint".into(),
                })
            }
            other => {
                return Err(unavailable(format!(
                    "refused with status {other}: {}",
                    answer
                        .lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(200)
                        .collect::<String>()
                )))
            }
        }
    }
    Err(unavailable("its size kept changing (409 loop)".into()))
}

/// The first line of `answer` that is a valid cosignature of `key` on `note`.
fn own_cosignature(key: &CosignatureVerifier, note: &str, answer: &str) -> Option<String> {
    answer
        .split_inclusive('\n')
        .filter(|l| l.starts_with(SIG_PREFIX) && l.ends_with('\n'))
        .find(|l| key.verify(&format!("{note}{l}")).is_ok())
        .map(str::to_string)
}

/// How far witnessing is behind the log: the newest checkpoint seen, the newest with a
/// quorum, and since when a checkpoint has waited for its quorum.
#[derive(Debug)]
pub struct WitnessStatus {
    max_lag: Duration,
    inner: Mutex<StatusInner>,
}

#[derive(Debug, Default)]
struct StatusInner {
    checkpoint_size: u64,
    witnessed_size: u64,
    /// When the oldest checkpoint still lacking its quorum was first seen.
    waiting_since: Option<Instant>,
    problems: Vec<String>,
}

/// A snapshot of [`WitnessStatus`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LagReport {
    /// Newest checkpoint size seen.
    pub checkpoint_size: u64,
    /// Newest size with a quorum of cosignatures.
    pub witnessed_size: u64,
    /// How long a checkpoint has waited for its quorum (zero when none waits).
    pub lag: Duration,
    /// `lag` is past the configured maximum.
    pub exceeded: bool,
    /// Why witnesses did not cosign in the last round.
    pub problems: Vec<String>,
}

impl WitnessStatus {
    /// A tracker that calls a lag past `max_lag` exceeded.
    pub fn new(max_lag: Duration) -> Self {
        WitnessStatus {
            max_lag,
            inner: Mutex::new(StatusInner::default()),
        }
    }

    /// Records a checkpoint of `size` seen at `now`; starts the lag clock if it is new.
    pub fn saw_checkpoint(&self, size: u64, now: Instant) {
        let mut s = self.inner.lock();
        if size > s.checkpoint_size {
            s.checkpoint_size = size;
        }
        if s.checkpoint_size > s.witnessed_size && s.waiting_since.is_none() {
            s.waiting_since = Some(now);
        }
    }

    /// Records that `size` reached its quorum.
    pub fn witnessed(&self, size: u64) {
        let mut s = self.inner.lock();
        s.witnessed_size = s.witnessed_size.max(size);
        if s.witnessed_size >= s.checkpoint_size {
            s.waiting_since = None;
        }
    }

    fn set_problems(&self, problems: &[PublishError]) {
        self.inner.lock().problems = problems.iter().map(ToString::to_string).collect();
    }

    /// The state at `now`.
    pub fn report(&self, now: Instant) -> LagReport {
        let s = self.inner.lock();
        let lag = s
            .waiting_since
            .map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
        LagReport {
            checkpoint_size: s.checkpoint_size,
            witnessed_size: s.witnessed_size,
            lag,
            exceeded: lag > self.max_lag,
            problems: s.problems.clone(),
        }
    }
}
