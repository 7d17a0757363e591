//! The live audit log the gateway holds: [`AuditLog::open`] recovers state and starts the
//! writer thread; appends go through [`palisade_core::AuditSink`]; [`AuditLog::flush`] /
//! [`AuditLog::close`] make everything durable and checkpointed (also done on drop). Pending
//! appends are bounded by `max_queue`: past it, appends are refused (fail closed) and counted,
//! never dropped or queued without limit. Of the Merkle tree the running log keeps only the
//! right-edge frontier (at most 64 hashes), so its memory does not grow with the log; roots of
//! earlier sizes and proofs are read from the index files on demand.

use crate::checkpoint::{load_or_create_signer, Checkpoint};
use crate::config::{AuditConfig, DurabilityMode};
use crate::entry::{BodyCapture, DataKey};
use crate::error::AuditError;
use crate::files;
use crate::note::NoteVerifier;
use crate::proof::{ConsistencyProof, InclusionProof};
use crate::reader::{prefix_root, LogReader};
use crate::recover::{read_latest_checkpoint, recover, CHECKPOINTS_FILE};
use crate::syncer::Syncer;
use crate::writer::{fail_items, Item, Queue, Shared, Writer};
use palisade_core::{AppendDone, AuditEvent, AuditFailure, AuditSink, Effect};
use palisade_vault::Vault;
use parking_lot::{Condvar, Mutex, RwLock};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// Label under which the vault wraps the audit data key.
pub const DATA_KEY_LABEL: &str = "palisade-audit/data-key/v1";
/// File holding the wrapped data key inside the audit directory.
pub const DATA_KEY_FILE: &str = "data-key.wrapped";

/// The audit directory inside a data directory.
pub fn audit_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

/// Loads the data key, creating and wrapping a fresh one on first start.
pub(crate) fn load_or_create_data_key(
    audit_dir: &Path,
    vault: &Vault,
) -> Result<DataKey, AuditError> {
    let path = audit_dir.join(DATA_KEY_FILE);
    if path.exists() {
        return load_data_key(audit_dir, vault);
    }
    let key = zeroize::Zeroizing::new(rand_key());
    files::write_atomic(&path, &vault.wrap_key(&key, DATA_KEY_LABEL))?;
    Ok(DataKey::new(key))
}

/// Unwraps the existing data key (for `show`/`export` with the vault).
pub fn load_data_key(audit_dir: &Path, vault: &Vault) -> Result<DataKey, AuditError> {
    let path = audit_dir.join(DATA_KEY_FILE);
    let wrapped = std::fs::read(&path).map_err(|e| AuditError::io(&path, e))?;
    let key = vault
        .unwrap_key(&wrapped, DATA_KEY_LABEL)
        .map_err(|e| AuditError::DataKey(e.to_string()))?;
    Ok(DataKey::new(key))
}

fn rand_key() -> [u8; 32] {
    use rand_core::RngCore;
    let mut k = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut k);
    k
}

/// The running audit log.
pub struct AuditLog {
    shared: Arc<Shared>,
    /// The audit directory, read by the proof methods.
    dir: PathBuf,
    writer: Mutex<Option<JoinHandle<()>>>,
    verifier: NoteVerifier,
    origin: String,
    recovery_notes: Vec<String>,
    /// Bound on pending appends (`AuditConfig::max_queue`).
    max_queue: usize,
    /// Sync mode: an allowed call's decision is made durable before it is forwarded.
    write_ahead: bool,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("origin", &self.origin)
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (or creates) the log in `<data_dir>/audit` and starts its writer thread. The
    /// checkpoint key and the vault-wrapped data key are created on first start.
    pub fn open(
        data_dir: &Path,
        config: &AuditConfig,
        vault: &Vault,
    ) -> Result<AuditLog, AuditError> {
        config.validate()?;
        let dir = audit_dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(|e| AuditError::io(&dir, e))?;
        let signer = load_or_create_signer(&dir, &config.origin, vault)?;
        let data_key = Arc::new(load_or_create_data_key(&dir, vault)?);
        let verifier = signer.verifier();
        let (latest_note, cp_note) = read_latest_checkpoint(&dir, true)?;
        let latest = match &latest_note {
            Some(note) => Some(
                Checkpoint::verify_note(note, &verifier)
                    .map_err(|e| AuditError::Corrupt(format!("latest checkpoint: {e}")))?,
            ),
            None => None,
        };
        let cp_size = latest.as_ref().map_or(0, |c| c.size);
        let mut rec = recover(&dir, cp_size)?;
        rec.notes.extend(cp_note);
        if let Some(cp) = &latest {
            if cp.size > rec.frontier.size() {
                return Err(AuditError::Corrupt(format!(
                    "the log has {} entries but its latest checkpoint covers {}: entries were lost or rolled back; refusing to append",
                    rec.frontier.size(),
                    cp.size
                )));
            }
            // Recorded by `recover` when the replay passed `cp.size` entries.
            if rec.signed_root != Some(cp.root) {
                return Err(AuditError::Corrupt(format!(
                    "the first {} entries do not match the latest checkpoint; run `palisade audit verify`",
                    cp.size
                )));
            }
        }
        let seg = rec
            .segments
            .last()
            .cloned()
            .ok_or_else(|| AuditError::Corrupt("no segment".into()))?;
        let open_append = |p: &Path| {
            files::private_options()
                .append(true)
                .create(true)
                .open(p)
                .map_err(|e| AuditError::io(p, e))
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            frontier: RwLock::new(rec.frontier),
            failed: Mutex::new(None),
            latest_checkpoint: Mutex::new(latest_note),
            pending: Arc::new(AtomicUsize::new(0)),
            rejected: AtomicU64::new(0),
        });
        let next = shared.frontier.read().size();
        let seg_file = Arc::new(open_append(&seg.log)?);
        // Opened before the syncer threads start, so a failure here leaves no thread behind.
        let idx_file = open_append(&seg.idx)?;
        let cp_file = open_append(&dir.join(CHECKPOINTS_FILE))?;
        let (syncer, sync_threads) = if config.mode == DurabilityMode::Sync {
            let (s, h) = Syncer::start(shared.clone(), seg_file.clone(), seg.log.clone())
                .map_err(|e| AuditError::io(&dir, e))?;
            (Some(s), h)
        } else {
            (None, Vec::new())
        };
        let writer = Writer {
            cfg: config.clone(),
            audit_dir: dir.clone(),
            seg_file,
            idx_file,
            seg,
            seg_len: rec.last_len,
            next,
            dirty: false,
            last_sync: Instant::now(),
            cp_size,
            cp_time: Instant::now(),
            signer,
            data_key,
            shared: shared.clone(),
            cp_file,
            scratch: Vec::with_capacity(1024),
            syncer,
            sync_threads,
        };
        let handle = std::thread::Builder::new()
            .name("palisade-audit-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| AuditError::io(&dir, e))?;
        let log = AuditLog {
            shared,
            dir,
            writer: Mutex::new(Some(handle)),
            verifier,
            origin: config.origin.clone(),
            recovery_notes: rec.notes,
            max_queue: config.max_queue,
            write_ahead: config.mode == DurabilityMode::Sync,
        };
        // Recovery entries skip the bound: there is one per repair, they are queued before
        // any caller can append, and refusing one would hide a repair from the log.
        for note in &log.recovery_notes {
            log.enqueue(recovery_event(note), None, Box::new(|_| {}), false);
        }
        Ok(log)
    }

    /// Appends an event with an optional body capture (kept only when `capture_bodies`).
    /// Refused at once (never queued, never dropped) when the log has failed, is closed, or
    /// already holds `max_queue` pending appends.
    pub fn append_with_capture(
        &self,
        event: AuditEvent,
        capture: Option<BodyCapture>,
        done: AppendDone,
    ) {
        self.enqueue(event, capture, done, true);
    }

    /// Queues one append; `bounded` is false only for the log's own recovery entries.
    pub(crate) fn enqueue(
        &self,
        event: AuditEvent,
        capture: Option<BodyCapture>,
        done: AppendDone,
        bounded: bool,
    ) {
        if let Some(msg) = self.shared.failed.lock().clone() {
            done(Err(AuditFailure(msg)));
            return;
        }
        let mut q = self.shared.queue.lock();
        if q.shutdown {
            drop(q);
            done(Err(AuditFailure("audit log is closed".into())));
            return;
        }
        // Checked and taken under the queue lock, so concurrent appenders cannot overshoot
        // the bound; slots are released (without the lock) as appends are answered. The
        // bound counts appends until they are answered, not just while queued: in sync mode a
        // written group leaves the queue but waits in the syncer pool for its fsync, and that
        // stage would grow without limit on a slow disk if only the queue were counted.
        // Flushes are not counted or refused: they carry no event, each blocks its caller
        // (at most one per thread), and refusing them would stop `flush`/`close` from
        // draining the log exactly when it is full.
        if bounded && self.shared.pending.load(Ordering::Acquire) >= self.max_queue {
            drop(q);
            self.shared.rejected.fetch_add(1, Ordering::Relaxed);
            done(Err(AuditFailure(format!(
                "audit queue full ({} pending appends): the call is refused rather than left unrecorded",
                self.max_queue
            ))));
            return;
        }
        self.shared.pending.fetch_add(1, Ordering::AcqRel);
        let slot = PendingSlot(self.shared.pending.clone());
        // The slot is released before the caller's callback runs, so a caller that sees its
        // answer also sees the room it leaves; and released on drop, so an answer path that
        // drops a callback could never leak a slot and shrink the bound for good.
        let done: AppendDone = Box::new(move |r| {
            drop(slot);
            done(r)
        });
        // The writer only sleeps on an empty queue (checked under this lock), so one wake-up
        // per batch is enough; skipping the rest saves a futex call per append.
        let was_empty = q.items.is_empty();
        q.items.push(Item::Append {
            event: Box::new(event),
            capture,
            done,
        });
        drop(q);
        if was_empty {
            self.shared.wake.notify_one();
        }
    }

    /// Appends and blocks until the entry is done per the mode; returns its index.
    pub fn append_blocking(&self, event: AuditEvent) -> Result<u64, AuditFailure> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.append_with_capture(
            event,
            None,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv()
            .unwrap_or_else(|_| Err(AuditFailure("audit writer stopped".into())))
    }

    /// Makes everything appended so far durable and checkpointed; returns the newest
    /// checkpoint note (none while the log is empty).
    pub fn flush(&self) -> Result<Option<String>, AuditError> {
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let mut q = self.shared.queue.lock();
            if q.shutdown {
                return Err(AuditError::Failed("audit log is closed".into()));
            }
            q.items.push(Item::Flush(tx));
        }
        self.shared.wake.notify_one();
        rx.recv()
            .unwrap_or_else(|_| Err(AuditError::Failed("audit writer stopped".into())))
    }

    /// Flushes, writes a final checkpoint and stops the writer.
    pub fn close(&self) -> Result<(), AuditError> {
        let flushed = self.flush();
        self.shared.queue.lock().shutdown = true;
        self.shared.wake.notify_one();
        if let Some(h) = self.writer.lock().take() {
            let _ = h.join();
        }
        // Anything that raced in before shutdown was seen is failed, never dropped silently.
        let rest = std::mem::take(&mut self.shared.queue.lock().items);
        fail_items(rest, "audit log is closed");
        flushed.map(|_| ())
    }

    /// Entries appended and written so far.
    pub fn size(&self) -> u64 {
        self.shared.frontier.read().size()
    }

    /// Root hash over the first `size` entries.
    ///
    /// Reads the index files: the running log keeps no old hashes. Every entry counted by
    /// [`AuditLog::size`] is already written to its segment and index (they are written before
    /// the size grows), so no flush is needed, and only the first `size` index records are
    /// read. Streams them through a frontier: constant memory, one pass over `40·size` bytes.
    /// Meant for tools and tests, not for the request path.
    pub fn root(&self, size: u64) -> Result<[u8; 32], AuditError> {
        if size > self.size() {
            return Err(AuditError::OutOfRange(format!(
                "size {size} exceeds the log"
            )));
        }
        prefix_root(&self.dir, size)
    }

    /// Inclusion proof of entry `index` in the tree of `size`.
    ///
    /// Reads the first `size` index records from the files and builds their tree for the call
    /// (about 64 bytes per entry, released on return), as `palisade audit proof` does. Meant
    /// for tools and tests, not for the request path.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, AuditError> {
        let n = self.size();
        if index >= size || size > n {
            return Err(AuditError::OutOfRange(format!(
                "need index < size <= {n}, got index {index} size {size}"
            )));
        }
        LogReader::load(&self.dir, None, Some(size))?.inclusion_proof(index, size)
    }

    /// Consistency proof between tree sizes `size1` and `size2`.
    ///
    /// Reads the first `size2` index records from the files and builds their tree for the
    /// call (about 64 bytes per entry, released on return). Meant for tools and tests, not for
    /// the request path.
    pub fn consistency_proof(
        &self,
        size1: u64,
        size2: u64,
    ) -> Result<ConsistencyProof, AuditError> {
        let n = self.size();
        if size1 == 0 || size1 > size2 || size2 > n {
            return Err(AuditError::OutOfRange(format!(
                "need 0 < size1 <= size2 <= {n}, got {size1} and {size2}"
            )));
        }
        LogReader::load(&self.dir, None, Some(size2))?.consistency_proof(size1, size2)
    }

    /// The newest signed checkpoint note.
    pub fn latest_checkpoint(&self) -> Option<String> {
        self.shared.latest_checkpoint.lock().clone()
    }

    /// The checkpoint verifier key string (what `palisade audit key` prints).
    pub fn verifier_key(&self) -> String {
        self.verifier.to_vkey()
    }

    /// Repairs made on open (torn records truncated), also appended as `audit_recovery` events.
    pub fn recovery_notes(&self) -> &[String] {
        &self.recovery_notes
    }

    /// Whether the log has failed closed, with the reason.
    pub fn failure(&self) -> Option<String> {
        self.shared.failed.lock().clone()
    }

    /// Appends accepted and not yet answered (queued, being written, or awaiting their
    /// fsync); new appends are refused while this is at `max_queue`. A metrics gauge.
    pub fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::Acquire)
    }

    /// Appends refused because `max_queue` appends were pending, since open. A metrics
    /// counter.
    pub fn rejected(&self) -> u64 {
        self.shared.rejected.load(Ordering::Relaxed)
    }

    /// Test hook: holds (or releases) the writer so that queued appends stay pending.
    #[cfg(test)]
    pub(crate) fn hold_writer(&self, hold: bool) {
        self.shared.queue.lock().hold = hold;
        self.shared.wake.notify_one();
    }

    /// Tree hashes the running log holds in memory: the frontier's, one per set bit of the
    /// size (at most 64), whatever the number of entries.
    #[cfg(test)]
    pub(crate) fn held_hashes(&self) -> usize {
        self.shared.frontier.read().hashes_held()
    }

    /// Test hook: items (appends and flushes) waiting in the queue right now.
    #[cfg(test)]
    pub(crate) fn queued_items(&self) -> usize {
        self.shared.queue.lock().items.len()
    }
}

/// One pending-append slot; dropping it releases the slot.
struct PendingSlot(Arc<AtomicUsize>);

impl Drop for PendingSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl AuditSink for AuditLog {
    fn append(&self, event: AuditEvent, done: AppendDone) {
        self.append_with_capture(event, None, done);
    }

    fn write_ahead(&self) -> bool {
        self.write_ahead
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn recovery_event(note: &str) -> AuditEvent {
    let time_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    AuditEvent {
        time_ms,
        request_id: String::new(),
        event_type: "audit_recovery".into(),
        identity: None,
        segment: None,
        action: "truncate_torn_record".into(),
        resource: None,
        upstream: None,
        destination: None,
        decision: Effect::Allow,
        policy_ids: Vec::new(),
        findings: Vec::new(),
        anomaly_score: None,
        bytes_in: 0,
        bytes_out: 0,
        latency_us: 0,
        status: 0,
        outcome: palisade_core::AuditOutcome::Completed,
        detail: Some(note.to_string()),
        request_sha256: None,
        response_sha256: None,
    }
}
