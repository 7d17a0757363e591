//! The DPoP `jti` replay cache behind a trait: `MemoryReplayCache` (one process, tests) and
//! `StoreReplayCache` (the state store, so a restart does not forget which proofs were seen;
//! replicas later share a PostgreSQL implementation of the same trait). Entries live until
//! `iat + window`, after which the proof is refused by its `iat` anyway.

use palisade_store::{rusqlite, Store};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Most proofs remembered at once; beyond this new proofs are refused (fail closed).
pub const REPLAY_CACHE_CAP: usize = 1 << 20;

/// A replay key: 16 bytes of SHA-256 over the proof key thumbprint and the `jti`.
pub type ReplayKey = [u8; 16];

/// What remembering a proof found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// First time: recorded.
    Fresh,
    /// Already recorded and not yet expired: a replay.
    Replay,
    /// The cache is full: refuse (fail closed).
    Full,
}

/// Why the cache could not answer (the caller fails closed).
#[derive(Debug, thiserror::Error)]
#[error("replay cache unavailable: {0}")]
pub struct ReplayError(String);

/// Remembers proofs until they expire. `remember` must be atomic: two concurrent calls with
/// one key give exactly one `Fresh`.
pub trait ReplayCache: Send + Sync + std::fmt::Debug {
    /// Records `key` until `forget_at` (seconds) unless it is already recorded.
    fn remember(&self, key: ReplayKey, forget_at: u64, now_s: u64) -> Result<Seen, ReplayError>;
    /// Entries currently remembered (expired ones may linger until the next purge).
    fn len(&self) -> usize;
    /// Whether nothing is remembered.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// In-process cache: what a single short-lived verifier (enrollment proofs, tests) needs.
#[derive(Debug, Default)]
pub struct MemoryReplayCache {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    seen: HashMap<ReplayKey, u64>,
    order: VecDeque<(ReplayKey, u64)>,
}

impl ReplayCache for MemoryReplayCache {
    fn remember(&self, key: ReplayKey, forget_at: u64, now_s: u64) -> Result<Seen, ReplayError> {
        let mut r = self.inner.lock();
        while let Some(&(old, at)) = r.order.front() {
            if at >= now_s {
                break;
            }
            r.order.pop_front();
            if r.seen.get(&old) == Some(&at) {
                r.seen.remove(&old);
            }
        }
        if r.seen.contains_key(&key) {
            return Ok(Seen::Replay);
        }
        if r.seen.len() >= REPLAY_CACHE_CAP {
            return Ok(Seen::Full);
        }
        r.seen.insert(key, forget_at);
        // Out-of-order expiries only delay eviction; the map check above stays exact.
        r.order.push_back((key, forget_at));
        Ok(Seen::Fresh)
    }

    fn len(&self) -> usize {
        self.inner.lock().seen.len()
    }
}

/// Migration steps of the `dpop_replay` component.
const MIGRATIONS: &[&str] = &["CREATE TABLE dpop_replay (
        k BLOB PRIMARY KEY,
        forget_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX dpop_replay_forget ON dpop_replay (forget_at);"];

/// The persistent cache in the state database (`dpop_replay` table).
#[derive(Debug)]
pub struct StoreReplayCache {
    store: Arc<Store>,
    /// Rows in the table, kept in memory so the cap check costs no query.
    rows: AtomicUsize,
    /// Second of the last purge of expired rows (purged at most once a second).
    purged_at: AtomicU64,
}

impl StoreReplayCache {
    /// Opens the table (migrating it) and counts what an earlier run left.
    pub fn open(store: Arc<Store>) -> Result<Self, ReplayError> {
        let e = |e: palisade_store::StoreError| ReplayError(e.to_string());
        store.migrate("dpop_replay", MIGRATIONS).map_err(e)?;
        let rows: i64 = store
            .with(|c| c.query_row("SELECT count(*) FROM dpop_replay", [], |r| r.get(0)))
            .map_err(e)?;
        Ok(Self {
            store,
            rows: AtomicUsize::new(usize::try_from(rows).unwrap_or(usize::MAX)),
            purged_at: AtomicU64::new(0),
        })
    }
}

fn sql_time(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

impl ReplayCache for StoreReplayCache {
    fn remember(&self, key: ReplayKey, forget_at: u64, now_s: u64) -> Result<Seen, ReplayError> {
        let purge = self.purged_at.swap(now_s, Ordering::Relaxed) != now_s;
        let full = self.rows.load(Ordering::Relaxed) >= REPLAY_CACHE_CAP;
        let (purged, inserted) = self
            .store
            .with(|c| {
                let purged = if purge || full {
                    c.prepare_cached("DELETE FROM dpop_replay WHERE forget_at < ?1")?
                        .execute([sql_time(now_s)])?
                } else {
                    0
                };
                // An expired row that the purge has not reached yet is overwritten: only a
                // live row makes this a replay.
                let inserted = c
                    .prepare_cached(
                        "INSERT INTO dpop_replay (k, forget_at) VALUES (?1, ?2)
                         ON CONFLICT(k) DO UPDATE SET forget_at = excluded.forget_at
                         WHERE dpop_replay.forget_at < ?3",
                    )?
                    .execute(rusqlite::params![
                        &key[..],
                        sql_time(forget_at),
                        sql_time(now_s)
                    ])?;
                Ok((purged, inserted))
            })
            .map_err(|e| ReplayError(e.to_string()))?;
        let rows = self.rows.load(Ordering::Relaxed).saturating_sub(purged);
        if inserted == 0 {
            self.rows.store(rows, Ordering::Relaxed);
            return Ok(Seen::Replay);
        }
        if rows >= REPLAY_CACHE_CAP {
            // Over the cap after the purge: take the row back out and refuse.
            self.store
                .with(|c| c.execute("DELETE FROM dpop_replay WHERE k = ?1", [&key[..]]))
                .map_err(|e| ReplayError(e.to_string()))?;
            self.rows.store(rows, Ordering::Relaxed);
            return Ok(Seen::Full);
        }
        self.rows.store(rows + 1, Ordering::Relaxed);
        Ok(Seen::Fresh)
    }

    fn len(&self) -> usize {
        self.rows.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(store: Arc<Store>) -> Vec<Box<dyn ReplayCache>> {
        vec![
            Box::new(MemoryReplayCache::default()),
            Box::new(StoreReplayCache::open(store).unwrap()),
        ]
    }

    #[test]
    fn second_sight_is_a_replay_until_expiry() {
        for c in both(Arc::new(Store::open_in_memory().unwrap())) {
            assert_eq!(c.remember([1; 16], 100, 50).unwrap(), Seen::Fresh);
            assert_eq!(c.remember([1; 16], 100, 99).unwrap(), Seen::Replay);
            assert_eq!(c.remember([2; 16], 100, 99).unwrap(), Seen::Fresh);
            // After expiry the key may be recorded again (its proof's iat is out of window).
            assert_eq!(c.remember([1; 16], 300, 101).unwrap(), Seen::Fresh);
            assert!(c.len() <= 2, "{c:?}");
        }
    }

    #[test]
    fn store_cache_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let c = StoreReplayCache::open(Arc::new(Store::open(dir.path()).unwrap())).unwrap();
            assert_eq!(c.remember([7; 16], 1_000, 10).unwrap(), Seen::Fresh);
        }
        let c = StoreReplayCache::open(Arc::new(Store::open(dir.path()).unwrap())).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c.remember([7; 16], 1_000, 11).unwrap(), Seen::Replay);
    }
}
