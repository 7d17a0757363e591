//! The dedicated writer thread: group commit. It drains every queued append, writes them with
//! one `write` per file, `fdatasync`s the segment once for the whole group (sync mode; the
//! index is rebuilt from the segment on recovery, see [`Writer::sync`]) and only then runs the
//! callbacks with their indices. In batch mode callbacks run after the write and fsync happens every
//! `batch_interval_ms`. Any write error poisons the log: every pending and future append fails.

use crate::checkpoint::Checkpoint;
use crate::config::{AuditConfig, DurabilityMode};
use crate::entry::{encode_entry_into, BodyCapture, DataKey};
use crate::error::AuditError;
use crate::files;
use crate::frontier::Frontier;
use crate::merkle::{leaf_hash, Hash};
use crate::note::NoteSigner;
use crate::recover::{CHECKPOINTS_FILE, LATEST_CHECKPOINT_FILE};
use crate::segment::{encode_index, encode_record, SegmentFiles, MAX_ENTRY, RECORD_OVERHEAD};
use crate::syncer::Syncer;
use palisade_core::{AppendDone, AuditEvent, AuditFailure};
use parking_lot::{Condvar, Mutex, RwLock};
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Reply channel of a flush: the newest checkpoint note after everything is durable.
pub(crate) type FlushReply = std::sync::mpsc::Sender<Result<Option<String>, AuditError>>;

/// One queued request.
pub(crate) enum Item {
    Append {
        event: Box<AuditEvent>,
        capture: Option<BodyCapture>,
        done: AppendDone,
    },
    Flush(FlushReply),
}

/// The queue and state shared by appenders, readers and the writer.
pub(crate) struct Shared {
    pub queue: Mutex<Queue>,
    pub wake: Condvar,
    /// The right edge of the Merkle tree over every acknowledged entry: all the running log
    /// keeps of the tree (at most 64 hashes, whatever the size). Enough for the size and for
    /// the root each checkpoint signs; proofs and older roots are read from the index files.
    pub frontier: RwLock<Frontier>,
    pub failed: Mutex<Option<String>>,
    pub latest_checkpoint: Mutex<Option<String>>,
    /// Appends accepted and not yet answered, wherever they are (queue, writer, syncer pool).
    /// Its own `Arc` so that the callbacks holding it do not keep `Shared` alive (a cycle
    /// through the queue).
    pub pending: Arc<AtomicUsize>,
    /// Appends refused because `pending` had reached `max_queue`, since open.
    pub rejected: AtomicU64,
}

#[derive(Default)]
pub(crate) struct Queue {
    pub items: Vec<Item>,
    pub shutdown: bool,
    /// Test hook: while set, the writer leaves the queue alone, so a test can fill it
    /// deterministically instead of racing the writer.
    #[cfg(test)]
    pub hold: bool,
}

impl Queue {
    #[cfg(test)]
    fn held(&self) -> bool {
        self.hold
    }

    #[cfg(not(test))]
    #[inline]
    fn held(&self) -> bool {
        false
    }
}

/// State owned by the writer thread.
pub(crate) struct Writer {
    pub cfg: AuditConfig,
    pub audit_dir: PathBuf,
    pub seg: SegmentFiles,
    /// Shared with the syncer threads, which `fdatasync` it.
    pub seg_file: Arc<File>,
    pub idx_file: File,
    pub seg_len: u64,
    pub next: u64,
    pub dirty: bool,
    pub last_sync: Instant,
    pub cp_size: u64,
    pub cp_time: Instant,
    pub signer: NoteSigner,
    pub data_key: Arc<DataKey>,
    pub shared: Arc<Shared>,
    pub cp_file: File,
    /// Reused serialization buffer of the hot path.
    pub scratch: Vec<u8>,
    /// Sync mode: the pool that makes written groups durable (see `syncer.rs`).
    pub syncer: Option<Arc<Syncer>>,
    pub sync_threads: Vec<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// The thread body.
    pub(crate) fn run(mut self) {
        loop {
            let mut q = self.shared.queue.lock();
            while !q.shutdown {
                if q.held() {
                    self.shared.wake.wait(&mut q);
                    continue;
                }
                if !q.items.is_empty() {
                    break;
                }
                match self.next_deadline() {
                    None => self.shared.wake.wait(&mut q),
                    Some(d) => {
                        if self.shared.wake.wait_for(&mut q, d).timed_out() {
                            break;
                        }
                    }
                }
            }
            let items = std::mem::take(&mut q.items);
            let shutdown = q.shutdown;
            drop(q);
            let result = self.process(items).and_then(|()| self.timers(shutdown));
            if let Err(e) = result {
                self.poison(&e.to_string());
            }
            if shutdown {
                if let Some(s) = self.syncer.take() {
                    s.stop(std::mem::take(&mut self.sync_threads));
                }
                return;
            }
        }
    }

    fn next_deadline(&self) -> Option<Duration> {
        let mut d: Option<Instant> = None;
        // Sync mode has no fsync timer: every group is flushed by the syncer pool.
        if self.dirty && self.syncer.is_none() {
            d = Some(self.last_sync + Duration::from_millis(self.cfg.batch_interval_ms));
        }
        if self.next > self.cp_size {
            let cp = self.cp_time + Duration::from_millis(self.cfg.checkpoint_every_ms);
            d = Some(d.map_or(cp, |x| x.min(cp)));
        }
        d.map(|t| t.saturating_duration_since(Instant::now()))
    }

    /// Records the failure first, so that anyone woken by a failed callback already sees it.
    fn mark_failed(&self, msg: &str) {
        let mut failed = self.shared.failed.lock();
        if failed.is_none() {
            *failed = Some(msg.to_string());
        }
    }

    fn poison(&mut self, msg: &str) {
        self.mark_failed(msg);
        // Fail whatever is still queued; appenders see `failed` from now on.
        let items = std::mem::take(&mut self.shared.queue.lock().items);
        fail_items(items, msg);
        if let Some(s) = &self.syncer {
            s.fail_all(msg);
        }
    }

    /// Writes one group of appends and answers them.
    fn process(&mut self, items: Vec<Item>) -> Result<(), AuditError> {
        if let Some(msg) = self.shared.failed.lock().clone() {
            fail_items(items, &msg);
            return Ok(());
        }
        let mut buf = Vec::new();
        let mut ibuf = Vec::new();
        let mut leaves: Vec<Hash> = Vec::new();
        let mut done: Vec<(AppendDone, u64)> = Vec::new();
        let mut flushes = Vec::new();
        let mut outcome = Ok(());
        let mut entry = std::mem::take(&mut self.scratch);
        for item in items {
            match item {
                Item::Flush(reply) => flushes.push(reply),
                Item::Append {
                    event,
                    capture,
                    done: cb,
                } => {
                    if outcome.is_err() {
                        cb(Err(AuditFailure("audit write failed".into())));
                        continue;
                    }
                    let index = self.next;
                    let capture = capture.filter(|_| self.cfg.capture_bodies);
                    if let Err(e) = encode_entry_into(
                        index,
                        *event,
                        capture.as_ref(),
                        &self.data_key,
                        &mut entry,
                    ) {
                        cb(Err(AuditFailure(e.to_string())));
                        continue;
                    }
                    if entry.len() > MAX_ENTRY as usize {
                        // Refused here: readers treat a larger length prefix as a torn record.
                        cb(Err(AuditFailure(format!(
                            "audit entry of {} bytes exceeds the {MAX_ENTRY}-byte limit",
                            entry.len()
                        ))));
                        continue;
                    }
                    let rec_len = RECORD_OVERHEAD + entry.len() as u64;
                    let pending = buf.len() as u64;
                    if self.seg_len + pending > 0
                        && self.seg_len + pending + rec_len > self.cfg.segment_max_bytes
                    {
                        outcome = self
                            .write_out(&mut buf, &mut ibuf)
                            .and_then(|()| self.rotate());
                        if let Err(e) = &outcome {
                            self.mark_failed(&e.to_string());
                            cb(Err(AuditFailure("audit write failed".into())));
                            continue;
                        }
                    }
                    let leaf = leaf_hash(&entry);
                    encode_index(self.seg_len + buf.len() as u64, &leaf, &mut ibuf);
                    encode_record(&entry, &leaf, &mut buf);
                    leaves.push(leaf);
                    done.push((cb, index));
                    self.next += 1;
                }
            }
        }
        self.scratch = entry;
        let outcome = outcome.and_then(|()| self.write_out(&mut buf, &mut ibuf));
        // Sync mode without a flush: the syncer pool answers the group once an `fdatasync`
        // covering it returns, while this thread goes on writing the next group.
        if outcome.is_ok() && flushes.is_empty() {
            if let Some(s) = &self.syncer {
                s.submit(leaves, done);
                return Ok(());
            }
        }
        let outcome = outcome.and_then(|()| {
            if self.cfg.mode == DurabilityMode::Sync || !flushes.is_empty() {
                self.sync()
            } else {
                Ok(())
            }
        });
        if let Err(e) = outcome {
            let msg = e.to_string();
            self.mark_failed(&msg);
            for (cb, _) in done {
                cb(Err(AuditFailure(msg.clone())));
            }
            for f in flushes {
                let _ = f.send(Err(AuditError::Failed(msg.clone())));
            }
            return Err(e);
        }
        self.shared.frontier.write().extend(leaves);
        for (cb, index) in done {
            cb(Ok(index));
        }
        if !flushes.is_empty() {
            let r = self.checkpoint();
            let latest = self.shared.latest_checkpoint.lock().clone();
            let msg = r.as_ref().err().map(ToString::to_string);
            for f in flushes {
                let _ = f.send(match &msg {
                    None => Ok(latest.clone()),
                    Some(m) => Err(AuditError::Failed(m.clone())),
                });
            }
            r?;
        }
        Ok(())
    }

    fn write_out(&mut self, buf: &mut Vec<u8>, ibuf: &mut Vec<u8>) -> Result<(), AuditError> {
        if buf.is_empty() {
            return Ok(());
        }
        (&*self.seg_file)
            .write_all(buf)
            .map_err(|e| AuditError::io(&self.seg.log, e))?;
        self.idx_file
            .write_all(ibuf)
            .map_err(|e| AuditError::io(&self.seg.idx, e))?;
        self.seg_len += buf.len() as u64;
        self.dirty = true;
        buf.clear();
        ibuf.clear();
        Ok(())
    }

    /// Makes every written entry durable: ONE `fdatasync` of the current segment, shared by
    /// the whole group. The segment's index file is deliberately not synced here (that was a
    /// second fsync per group, on the hot path of sync mode). Why that is safe: the index of
    /// the LAST segment is never trusted on open — `recover::recover_last` rescans that segment
    /// and rewrites its index to match — and every earlier segment's index is fsynced once, at
    /// rotation ([`Writer::rotate`]) and at shutdown, before the writer leaves it. So a power
    /// cut can leave only the last index behind, and open repairs it from the fsynced segment.
    /// (Offline `verify` on a log that was not reopened since a power cut may report that last
    /// index as disagreeing, as it could before when the cut fell between the two writes.)
    fn sync(&mut self) -> Result<(), AuditError> {
        if self.dirty {
            self.seg_file
                .sync_data()
                .map_err(|e| AuditError::io(&self.seg.log, e))?;
            self.dirty = false;
        }
        // Everything written is durable now, including groups handed to the syncer pool.
        if let Some(s) = &self.syncer {
            s.complete_all();
        }
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Syncs the segment and its index: before leaving a segment (rotation) and at shutdown,
    /// so only the last segment's index can ever be behind after a crash.
    fn sync_with_index(&mut self) -> Result<(), AuditError> {
        self.sync()?;
        self.idx_file
            .sync_data()
            .map_err(|e| AuditError::io(&self.seg.idx, e))
    }

    fn rotate(&mut self) -> Result<(), AuditError> {
        self.sync_with_index()?;
        let seg = SegmentFiles::new(&self.audit_dir, self.next);
        let open = |p: &PathBuf| {
            files::private_options()
                .append(true)
                .create_new(true)
                .open(p)
                .map_err(|e| AuditError::io(p, e))
        };
        self.seg_file = Arc::new(open(&seg.log)?);
        self.idx_file = open(&seg.idx)?;
        files::sync_dir(&seg.log)?;
        if let Some(s) = &self.syncer {
            s.set_file(self.seg_file.clone(), seg.log.clone());
        }
        self.seg = seg;
        self.seg_len = 0;
        Ok(())
    }

    /// Batch fsync and checkpoint timers; `force` (shutdown) checkpoints whatever is new.
    fn timers(&mut self, force: bool) -> Result<(), AuditError> {
        let now = Instant::now();
        let interval = Duration::from_millis(self.cfg.batch_interval_ms);
        if force {
            self.sync_with_index()?;
        } else if self.dirty
            && self.syncer.is_none()
            && now.duration_since(self.last_sync) >= interval
        {
            self.sync()?;
        }
        let due = self.next - self.cp_size >= self.cfg.checkpoint_every_entries
            || now.duration_since(self.cp_time)
                >= Duration::from_millis(self.cfg.checkpoint_every_ms);
        if self.next > self.cp_size && (force || due) {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Signs and stores a checkpoint over every entry written so far (fsynced first, so a
    /// checkpoint never covers entries a crash could lose).
    fn checkpoint(&mut self) -> Result<(), AuditError> {
        if self.next <= self.cp_size {
            return Ok(());
        }
        self.sync()?;
        // `sync` above completed every group in flight, so the frontier covers every entry
        // written; if it does not (a group failed), no checkpoint is signed.
        let root = {
            let frontier = self.shared.frontier.read();
            if frontier.size() != self.next {
                return Err(AuditError::Corrupt("tree is behind the writer".into()));
            }
            frontier.root()
        };
        let cp = Checkpoint {
            origin: self.cfg.origin.clone(),
            size: self.next,
            root,
        };
        let note = self
            .signer
            .sign(&cp.to_text())
            .map_err(|e| AuditError::Key(e.to_string()))?;
        let mut rec = (note.len() as u32).to_be_bytes().to_vec();
        rec.extend_from_slice(note.as_bytes());
        let cp_path = self.audit_dir.join(CHECKPOINTS_FILE);
        self.cp_file
            .write_all(&rec)
            .map_err(|e| AuditError::io(&cp_path, e))?;
        self.cp_file
            .sync_data()
            .map_err(|e| AuditError::io(&cp_path, e))?;
        files::write_atomic(
            &self.audit_dir.join(LATEST_CHECKPOINT_FILE),
            note.as_bytes(),
        )?;
        *self.shared.latest_checkpoint.lock() = Some(note);
        self.cp_size = self.next;
        self.cp_time = Instant::now();
        Ok(())
    }
}

impl Drop for Writer {
    /// Stops the syncer pool if the writer ends without a shutdown (e.g. its thread could not
    /// be spawned), so no syncer thread is left waiting forever.
    fn drop(&mut self) {
        if let Some(s) = self.syncer.take() {
            s.stop(std::mem::take(&mut self.sync_threads));
        }
    }
}

/// Fails every queued item with `msg`.
pub(crate) fn fail_items(items: Vec<Item>, msg: &str) {
    for item in items {
        match item {
            Item::Append { done, .. } => done(Err(AuditFailure(msg.to_string()))),
            Item::Flush(reply) => {
                let _ = reply.send(Err(AuditError::Failed(msg.to_string())));
            }
        }
    }
}
