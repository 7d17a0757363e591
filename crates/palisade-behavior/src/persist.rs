//! Snapshots in the embedded store: one row per identity and per peer group, each a versioned
//! CBOR blob. Written in one transaction per flush so a crash leaves either the old or the new
//! set of baselines, never a mix within one flush.

use crate::error::BehaviorError;
use crate::state::{decode, IdentityState, PeerState};
use palisade_store::rusqlite::params;
use palisade_store::Store;

/// Migrations of the `behavior` component (append-only).
pub const MIGRATIONS: &[&str] = &["CREATE TABLE behavior_baselines (
        identity TEXT PRIMARY KEY,
        snapshot BLOB NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE behavior_peers (
        peer_group TEXT PRIMARY KEY,
        snapshot BLOB NOT NULL,
        updated_ms INTEGER NOT NULL
    );"];

/// Everything stored.
pub struct Loaded {
    /// (SPIFFE id, state).
    pub identities: Vec<(String, IdentityState)>,
    /// (peer group key, state).
    pub peers: Vec<(String, PeerState)>,
}

/// Creates the tables if needed.
pub fn migrate(store: &Store) -> Result<(), BehaviorError> {
    Ok(store.migrate("behavior", MIGRATIONS)?)
}

/// Reads every snapshot. A snapshot that does not decode fails the load, naming the identity:
/// starting with a silently emptied baseline would hide a quarantine.
pub fn load(store: &Store) -> Result<Loaded, BehaviorError> {
    let read = |table: &str, key: &str| -> Result<Vec<(String, Vec<u8>)>, BehaviorError> {
        Ok(store.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {key}, snapshot FROM {table} ORDER BY {key}"
            ))?;
            let rows = st.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?;
            rows.collect()
        })?)
    };
    let mut identities = Vec::new();
    for (name, blob) in read("behavior_baselines", "identity")? {
        let s: IdentityState = decode(&name, &blob)?;
        if !s.profile.is_well_formed() {
            return Err(BehaviorError::Decode {
                identity: name,
                message: "profile arrays have unexpected sizes".into(),
            });
        }
        identities.push((name, s));
    }
    let mut peers = Vec::new();
    for (name, blob) in read("behavior_peers", "peer_group")? {
        let s: PeerState = decode(&name, &blob)?;
        if !s.profile.is_well_formed() {
            return Err(BehaviorError::Decode {
                identity: name,
                message: "profile arrays have unexpected sizes".into(),
            });
        }
        peers.push((name, s));
    }
    Ok(Loaded { identities, peers })
}

/// Writes encoded snapshots in one transaction.
pub fn write(
    store: &Store,
    identities: &[(String, Vec<u8>)],
    peers: &[(String, Vec<u8>)],
    now_ms: u64,
) -> Result<(), BehaviorError> {
    let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
    store.with_tx(|tx| {
        let mut st = tx.prepare_cached(
            "INSERT INTO behavior_baselines (identity, snapshot, updated_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(identity) DO UPDATE SET snapshot = excluded.snapshot, updated_ms = excluded.updated_ms",
        )?;
        for (k, v) in identities {
            st.execute(params![k, v, now])?;
        }
        let mut st = tx.prepare_cached(
            "INSERT INTO behavior_peers (peer_group, snapshot, updated_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(peer_group) DO UPDATE SET snapshot = excluded.snapshot, updated_ms = excluded.updated_ms",
        )?;
        for (k, v) in peers {
            st.execute(params![k, v, now])?;
        }
        Ok(())
    })?;
    Ok(())
}
