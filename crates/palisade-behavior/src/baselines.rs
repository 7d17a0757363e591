//! `Baselines`: the stage-6 `BehaviorScorer`. Holds every identity's state in sharded maps,
//! persists snapshots to the embedded store (on a schedule driven by event time, on `flush()`,
//! and at once on release), queues alerts, and answers baseline views.

use crate::alert::{webhook_key, AlertSender, AlertStats, AlertTransport, HttpTransport};
use crate::config::BehaviorConfig;
use crate::engine::{self, peer_key, Rules};
use crate::error::BehaviorError;
use crate::persist;
use crate::sketch::hash64;
use crate::state::{encode, IdentityState, PeerState};
use crate::view::BaselineView;
use palisade_core::{AnomalyScore, BehaviorScorer, Identity, Observation, SharedClock, SpiffeId};
use palisade_store::Store;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

const SHARDS: usize = 16;

type Shard = Mutex<HashMap<SpiffeId, Box<IdentityState>>>;

struct Inner {
    rules: Rules,
    clock: SharedClock,
    store: Arc<Store>,
    shards: Vec<Shard>,
    // Lock order: a shard, then `peers`. Flushes take one lock at a time.
    peers: Mutex<HashMap<String, PeerState>>,
    alerts: Option<AlertSender>,
    flush_lock: Mutex<()>,
    flush_failures: AtomicU64,
    exposure: crate::exposure::ExposureLedger,
}

/// Behavioural baselines of every identity.
pub struct Baselines {
    inner: Arc<Inner>,
    next_snapshot_ms: AtomicU64,
    flush_tx: Option<SyncSender<()>>,
    flusher: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Baselines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Baselines")
            .field("identities", &self.len())
            .finish_non_exhaustive()
    }
}

fn shard_of(id: &SpiffeId) -> usize {
    let h = hash64(&[id.segment().as_bytes(), id.name().as_bytes()]);
    (h % SHARDS as u64) as usize
}

impl Baselines {
    /// Opens the baselines stored in `store` (creating the tables), alerting through the
    /// built-in HTTP transport if a webhook is configured.
    pub fn open(
        store: Arc<Store>,
        config: BehaviorConfig,
        clock: SharedClock,
    ) -> Result<Self, BehaviorError> {
        Self::open_with_transport(store, config, clock, Arc::new(HttpTransport::default()))
    }

    /// Like `open`, with a custom alert transport (e.g. HTTPS).
    pub fn open_with_transport(
        store: Arc<Store>,
        config: BehaviorConfig,
        clock: SharedClock,
        transport: Arc<dyn AlertTransport>,
    ) -> Result<Self, BehaviorError> {
        config.validate()?;
        let alerts = match &config.webhook {
            Some(w) => Some(AlertSender::start(w, webhook_key(w)?, transport)?),
            None => None,
        };
        persist::migrate(&store)?;
        let loaded = persist::load(&store)?;
        let shards: Vec<Shard> = (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect();
        for (name, state) in loaded.identities {
            let id: SpiffeId = name.parse().map_err(|e| BehaviorError::Decode {
                identity: name.clone(),
                message: format!("{e}"),
            })?;
            if let Some(sh) = shards.get(shard_of(&id)) {
                sh.lock().insert(id, Box::new(state));
            }
        }
        let peers: HashMap<String, PeerState> = loaded.peers.into_iter().collect();
        let interval = config.snapshot_interval_secs;
        let exposure = crate::exposure::ExposureLedger::new(config.max_document_exposure);
        let inner = Arc::new(Inner {
            exposure,
            rules: Rules::new(config),
            clock,
            store,
            shards,
            peers: Mutex::new(peers),
            alerts,
            flush_lock: Mutex::new(()),
            flush_failures: AtomicU64::new(0),
        });
        let (flush_tx, flusher) = if interval > 0 {
            let (tx, rx) = sync_channel::<()>(1);
            let worker = Arc::clone(&inner);
            let handle = std::thread::Builder::new()
                .name("palisade-behavior-snapshots".into())
                .spawn(move || {
                    while rx.recv().is_ok() {
                        if let Err(e) = worker.flush() {
                            worker.flush_failures.fetch_add(1, Ordering::Relaxed);
                            tracing::error!(error = %e, "behavior snapshot failed");
                        }
                    }
                })
                .map_err(|e| BehaviorError::Thread(e.to_string()))?;
            (Some(tx), Some(handle))
        } else {
            (None, None)
        };
        Ok(Self {
            inner,
            next_snapshot_ms: AtomicU64::new(0),
            flush_tx,
            flusher,
        })
    }

    /// Identities with a baseline.
    pub fn len(&self) -> usize {
        self.inner.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// Whether no identity has a baseline yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes every changed baseline to the store now; returns how many rows were written.
    pub fn flush(&self) -> Result<usize, BehaviorError> {
        self.inner.flush()
    }

    /// Snapshot failures of the background writer so far (for health checks).
    pub fn snapshot_failures(&self) -> u64 {
        self.inner.flush_failures.load(Ordering::Relaxed)
    }

    /// Alert delivery counters, if a webhook is configured.
    pub fn alert_stats(&self) -> Option<&AlertStats> {
        self.inner.alerts.as_ref().map(AlertSender::stats)
    }

    /// When the identity was quarantined (event time of the quarantining call), if it is.
    pub fn quarantined_since(&self, id: &SpiffeId) -> Option<u64> {
        let sh = self.inner.shards.get(shard_of(id))?;
        let map = sh.lock();
        map.get(id)?.quarantine.as_ref().map(|q| q.since_ms)
    }

    /// Whether (and why) the identity is quarantined.
    pub fn quarantine_reason(&self, id: &SpiffeId) -> Option<String> {
        let sh = self.inner.shards.get(shard_of(id))?;
        let map = sh.lock();
        map.get(id)?.quarantine.as_ref().map(|q| q.reason.clone())
    }

    /// Lifts quarantine and step-down (`palisade identity release`), persisting at once so a
    /// restart cannot resurrect the quarantine. Returns whether the identity was quarantined.
    pub fn release(&self, id: &SpiffeId) -> Result<bool, BehaviorError> {
        self.release_detail(id).map(|(was, _)| was)
    }

    /// Like [`Baselines::release`], also clearing the windows that led to the quarantine (so
    /// the same evidence cannot quarantine the identity again); returns whether it was
    /// quarantined and a sentence for the audit log saying what was cleared.
    pub fn release_detail(&self, id: &SpiffeId) -> Result<(bool, String), BehaviorError> {
        let now = self.inner.clock.now_millis();
        let (was, detail, blob) = self.with_state(id, |s| {
            let was = s.quarantine.is_some();
            let detail = engine::release(s, now.max(s.last_ms));
            (was, detail)
        })?;
        persist::write(&self.inner.store, &[(id.to_string(), blob)], &[], now)?;
        Ok((was, detail))
    }

    /// Accepts a baseline flagged for review (learned mostly from sensitive traffic): it is
    /// trusted from now on. Returns whether it was awaiting review.
    pub fn accept_review(&self, id: &SpiffeId) -> Result<bool, BehaviorError> {
        let (was, _, blob) = self.with_state(id, |s| (std::mem::take(&mut s.review), ()))?;
        persist::write(
            &self.inner.store,
            &[(id.to_string(), blob)],
            &[],
            self.inner.clock.now_millis(),
        )?;
        Ok(was)
    }

    /// Runs `f` on an identity's state and encodes the result for an immediate write.
    fn with_state<R, D>(
        &self,
        id: &SpiffeId,
        f: impl FnOnce(&mut IdentityState) -> (R, D),
    ) -> Result<(R, D, Vec<u8>), BehaviorError> {
        let sh = self
            .inner
            .shards
            .get(shard_of(id))
            .ok_or_else(|| BehaviorError::UnknownIdentity(id.to_string()))?;
        let mut map = sh.lock();
        let s = map
            .get_mut(id)
            .ok_or_else(|| BehaviorError::UnknownIdentity(id.to_string()))?;
        let (r, d) = f(s);
        s.dirty = false;
        Ok((r, d, encode(&id.to_string(), &**s)?))
    }

    /// The learned baseline and recent deviations of an identity, by full SPIFFE id or by its
    /// name component when that is unique.
    pub fn baseline(&self, name: &str) -> Result<BaselineView, BehaviorError> {
        let mut found: Option<(SpiffeId, IdentityState)> = None;
        for sh in &self.inner.shards {
            let map = sh.lock();
            for (id, s) in map.iter() {
                if id.to_string() == name || id.name() == name {
                    if found.is_some() {
                        return Err(BehaviorError::Ambiguous(name.to_owned()));
                    }
                    found = Some((id.clone(), (**s).clone()));
                }
            }
        }
        let (id, s) = found.ok_or_else(|| BehaviorError::UnknownIdentity(name.to_owned()))?;
        Ok(BaselineView::build(
            &id.to_string(),
            &peer_key(id.segment(), s.kind),
            &s,
            &self.inner.rules,
        ))
    }

    fn maybe_snapshot(&self, t_ms: u64) {
        let Some(tx) = &self.flush_tx else { return };
        let interval = self
            .inner
            .rules
            .cfg
            .snapshot_interval_secs
            .saturating_mul(1000);
        let next = self.next_snapshot_ms.load(Ordering::Relaxed);
        if next == 0 {
            let _ = self.next_snapshot_ms.compare_exchange(
                0,
                t_ms.saturating_add(interval),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        } else if t_ms >= next
            && self
                .next_snapshot_ms
                .compare_exchange(
                    next,
                    t_ms.saturating_add(interval),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            // Never blocks: if a snapshot is already pending, this one is folded into it.
            let _ = tx.try_send(());
        }
    }
}

impl Inner {
    fn flush(&self) -> Result<usize, BehaviorError> {
        let _one = self.flush_lock.lock();
        let now = self.clock.now_millis();
        let mut written = 0;
        // One shard at a time, cloning under the lock and encoding outside it, so the request
        // path waits at most for a memcpy of one shard's dirty states.
        for sh in &self.shards {
            let dirty: Vec<(String, IdentityState)> = {
                let mut map = sh.lock();
                map.iter_mut()
                    .filter(|(_, s)| s.dirty)
                    .map(|(id, s)| {
                        s.dirty = false;
                        (id.to_string(), (**s).clone())
                    })
                    .collect()
            };
            if dirty.is_empty() {
                continue;
            }
            let rows: Result<Vec<_>, _> = dirty
                .iter()
                .map(|(k, s)| encode(k, s).map(|b| (k.clone(), b)))
                .collect();
            let res = rows.and_then(|rows| persist::write(&self.store, &rows, &[], now));
            if let Err(e) = res {
                // Mark them dirty again so the next flush retries.
                let mut map = sh.lock();
                for (id, s) in map.iter_mut() {
                    if dirty.iter().any(|(k, _)| *k == id.to_string()) {
                        s.dirty = true;
                    }
                }
                return Err(e);
            }
            written += dirty.len();
        }
        let peers: Vec<(String, PeerState)> = {
            let mut map = self.peers.lock();
            map.iter_mut()
                .filter(|(_, p)| p.dirty)
                .map(|(k, p)| {
                    p.dirty = false;
                    (k.clone(), p.clone())
                })
                .collect()
        };
        if !peers.is_empty() {
            let rows: Result<Vec<_>, _> = peers
                .iter()
                .map(|(k, p)| encode(k, p).map(|b| (k.clone(), b)))
                .collect();
            if let Err(e) = rows.and_then(|rows| persist::write(&self.store, &[], &rows, now)) {
                let mut map = self.peers.lock();
                for (k, _) in &peers {
                    if let Some(p) = map.get_mut(k) {
                        p.dirty = true;
                    }
                }
                return Err(e);
            }
            written += peers.len();
        }
        Ok(written)
    }
}

impl BehaviorScorer for Baselines {
    fn observe(&self, obs: &Observation<'_>) -> AnomalyScore {
        let id = &obs.identity.id;
        let Some(sh) = self.inner.shards.get(shard_of(id)) else {
            // Unreachable (shard_of is in range); fail closed all the same.
            return AnomalyScore {
                score: 100.0,
                top_features: Vec::new(),
                action: palisade_core::BehaviorAction::Quarantine,
                stepped_down: true,
                reason: "behavior state unavailable".into(),
            };
        };
        let scored = {
            let mut map = sh.lock();
            let state = map
                .entry(id.clone())
                .or_insert_with(|| Box::new(IdentityState::new(obs.identity.kind, obs.time_ms)));
            let mut peers = self.inner.peers.lock();
            engine::observe(&self.inner.rules, state, &mut peers, &id.to_string(), obs)
        };
        if let (Some(alert), Some(sender)) = (scored.alert, &self.inner.alerts) {
            sender.send(alert);
        }
        self.maybe_snapshot(obs.time_ms);
        scored.score
    }

    fn document_exposure(
        &self,
        identity: &Identity,
        destination: palisade_core::DestinationClass,
        exposure: &[palisade_core::DocExposure],
        time_ms: u64,
    ) -> Result<(), String> {
        self.inner
            .exposure
            .check_and_record(&identity.id, destination, exposure, time_ms)
    }

    fn outcome(&self, identity: &Identity, denied: bool, error: bool, time_ms: u64) {
        let id = &identity.id;
        let Some(sh) = self.inner.shards.get(shard_of(id)) else {
            return;
        };
        let mut map = sh.lock();
        if let Some(state) = map.get_mut(id) {
            let mut peers = self.inner.peers.lock();
            let peer = peers.get_mut(&peer_key(id.segment(), state.kind));
            let peer = peer.filter(|_| self.inner.rules.cfg.peer_baseline);
            engine::outcome(&self.inner.rules, state, peer, denied, error, time_ms);
        }
    }
}

impl Drop for Baselines {
    fn drop(&mut self) {
        // Closing the channel stops the snapshot thread after any pending snapshot.
        self.flush_tx.take();
        if let Some(h) = self.flusher.take() {
            let _ = h.join();
        }
    }
}
