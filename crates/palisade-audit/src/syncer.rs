//! Sync mode's durability stage: overlapping `fdatasync`s. The writer thread writes each group
//! and hands it here instead of waiting for its fsync; a small pool of syncer threads each
//! claim "everything written so far", call `fdatasync` and, when it returns, run the callbacks
//! of every group written before the call began (POSIX: `fdatasync` makes durable all data
//! written to the file before it was called). Why a pool and not the writer: under disk
//! contention one flush takes milliseconds, and a group written while a flush is in flight
//! would otherwise wait for that flush to end before its own could start (up to two flush
//! times per request). Several flushes in flight let the kernel and device overlap them.
//!
//! Ordering: groups are completed strictly in write order, under one lock, so the Merkle
//! frontier grows in index order and a callback never runs before an earlier entry's.

use crate::merkle::Hash;
use crate::writer::Shared;
use palisade_core::{AppendDone, AuditFailure};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Syncer threads: flushes that may be in flight at once.
pub(crate) const SYNCERS: usize = 4;

/// One written, not yet durable group.
struct Group {
    seq: u64,
    leaves: Vec<Hash>,
    done: Vec<(AppendDone, u64)>,
}

struct State {
    /// The segment being written and its path (for error messages).
    file: Arc<File>,
    path: PathBuf,
    /// Sequence number of the last group written.
    written: u64,
    /// Highest group a flush has been started for.
    claimed: u64,
    pending: VecDeque<Group>,
    shutdown: bool,
}

/// The syncer pool, shared by the writer and the syncer threads.
pub(crate) struct Syncer {
    state: Mutex<State>,
    wake: Condvar,
    shared: Arc<Shared>,
}

impl Syncer {
    /// Starts the pool (sync mode only) over the current segment.
    pub(crate) fn start(
        shared: Arc<Shared>,
        file: Arc<File>,
        path: PathBuf,
    ) -> std::io::Result<(Arc<Self>, Vec<JoinHandle<()>>)> {
        let syncer = Arc::new(Self {
            state: Mutex::new(State {
                file,
                path,
                written: 0,
                claimed: 0,
                pending: VecDeque::new(),
                shutdown: false,
            }),
            wake: Condvar::new(),
            shared,
        });
        let mut handles = Vec::with_capacity(SYNCERS);
        for i in 0..SYNCERS {
            let s = syncer.clone();
            let h = std::thread::Builder::new()
                .name(format!("palisade-audit-sync-{i}"))
                .spawn(move || s.run());
            match h {
                Ok(h) => handles.push(h),
                Err(e) => {
                    syncer.stop(handles);
                    return Err(e);
                }
            }
        }
        Ok((syncer, handles))
    }

    /// Hands over a written group; its callbacks run once a flush covering it returns.
    pub(crate) fn submit(&self, leaves: Vec<Hash>, done: Vec<(AppendDone, u64)>) {
        let mut st = self.state.lock();
        st.written += 1;
        let seq = st.written;
        st.pending.push_back(Group { seq, leaves, done });
        drop(st);
        self.wake.notify_one();
    }

    /// Completes every pending group: the caller has just fsynced the file they were written
    /// to (checkpoint, flush, rotation, shutdown).
    pub(crate) fn complete_all(&self) {
        let mut st = self.state.lock();
        let upto = st.written;
        st.claimed = upto;
        self.complete(&mut st, upto);
    }

    /// Switches to a new segment. Every group written to the old one must already be complete
    /// (the writer fsyncs the old segment and calls [`Syncer::complete_all`] first).
    pub(crate) fn set_file(&self, file: Arc<File>, path: PathBuf) {
        let mut st = self.state.lock();
        st.file = file;
        st.path = path;
    }

    /// Fails every pending group (the log is poisoned).
    pub(crate) fn fail_all(&self, msg: &str) {
        let mut st = self.state.lock();
        st.claimed = st.written;
        fail_groups(std::mem::take(&mut st.pending), msg);
    }

    /// Stops the threads; pending groups are failed, never dropped silently.
    pub(crate) fn stop(&self, handles: Vec<JoinHandle<()>>) {
        self.state.lock().shutdown = true;
        self.wake.notify_all();
        for h in handles {
            let _ = h.join();
        }
        self.fail_all("audit log is closed");
    }

    fn run(&self) {
        let mut st = self.state.lock();
        loop {
            if st.shutdown {
                return;
            }
            if st.written <= st.claimed {
                self.wake.wait(&mut st);
                continue;
            }
            // Claim everything written so far: this flush covers it all.
            let target = st.written;
            st.claimed = target;
            let file = st.file.clone();
            let path = st.path.clone();
            drop(st);
            let r = file.sync_data();
            st = self.state.lock();
            match r {
                Ok(()) => self.complete(&mut st, target),
                Err(e) => {
                    let msg = crate::error::AuditError::io(&path, e).to_string();
                    {
                        let mut failed = self.shared.failed.lock();
                        if failed.is_none() {
                            *failed = Some(msg.clone());
                        }
                    }
                    st.claimed = st.written;
                    fail_groups(std::mem::take(&mut st.pending), &msg);
                }
            }
        }
    }

    /// Extends the frontier with, and answers, every pending group up to `upto`, in order.
    fn complete(&self, st: &mut State, upto: u64) {
        while st.pending.front().is_some_and(|g| g.seq <= upto) {
            let Some(g) = st.pending.pop_front() else {
                break;
            };
            self.shared.frontier.write().extend(g.leaves);
            for (cb, index) in g.done {
                cb(Ok(index));
            }
        }
    }
}

fn fail_groups(groups: VecDeque<Group>, msg: &str) {
    for g in groups {
        for (cb, _) in g.done {
            cb(Err(AuditFailure(msg.to_string())));
        }
    }
}
