//! The identity registry in the embedded store, with the status cache that authentication
//! reads. Every write through this registry updates the cache at once; writes by another
//! process (the CLI on the same database) are noticed through SQLite's `data_version`, which
//! changes whenever another connection commits, so the next request never sees stale status.

use crate::record::{
    parse_kind, parse_status, IdentityRecord, NewIdentity, StatusAction, StatusChange,
};
use palisade_core::{IdentityStatus, SharedClock, SpiffeId};
use palisade_store::rusqlite::{self, params, OptionalExtension};
use palisade_store::{Store, StoreError};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

const MIGRATIONS: &[&str] = &["
CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    segment TEXT NOT NULL,
    scopes TEXT NOT NULL,
    max_ttl_secs INTEGER NOT NULL,
    requirements TEXT NOT NULL,
    legacy_bearer INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE identity_status_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL REFERENCES identities(id),
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE TABLE identity_join_tokens (
    hash BLOB PRIMARY KEY,
    id TEXT NOT NULL REFERENCES identities(id),
    expires_ms INTEGER NOT NULL,
    used_ms INTEGER
);
"];

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such identity.
    #[error("identity `{0}` is not registered")]
    NotFound(String),
    /// Already registered.
    #[error("identity `{0}` already exists")]
    Exists(String),
    /// Id in another trust domain.
    #[error("identity `{id}` is not in trust domain `{expected}`")]
    TrustDomain {
        /// The id.
        id: String,
        /// The configured domain.
        expected: String,
    },
    /// Status move not allowed.
    #[error("cannot {action} an identity that is {from}")]
    Transition {
        /// Action name.
        action: String,
        /// Current status.
        from: String,
    },
    /// Bad input.
    #[error("invalid identity: {0}")]
    Invalid(String),
}

impl From<rusqlite::Error> for RegistryError {
    fn from(e: rusqlite::Error) -> Self {
        RegistryError::Store(StoreError::from(e))
    }
}

struct Cache {
    data_version: i64,
    /// Bumped by every own write, so a lookup that read the database before a concurrent
    /// write does not put the stale row back into the cache.
    generation: u64,
    records: HashMap<String, Arc<IdentityRecord>>,
}

/// The registry. Share it behind an `Arc`.
pub struct Registry {
    store: Arc<Store>,
    trust_domain: String,
    clock: SharedClock,
    cache: RwLock<Cache>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("trust_domain", &self.trust_domain)
            .finish()
    }
}

fn row_to_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<IdentityRecord> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad stored {what}").into(),
        )
    };
    let id: String = r.get(0)?;
    let scopes: String = r.get(4)?;
    let reqs: String = r.get(6)?;
    Ok(IdentityRecord {
        id: id.parse().map_err(|_| bad(0, "id"))?,
        kind: parse_kind(&r.get::<_, String>(1)?).ok_or_else(|| bad(1, "kind"))?,
        owner: r.get(2)?,
        segment: r.get(3)?,
        scopes: serde_json::from_str(&scopes).map_err(|_| bad(4, "scopes"))?,
        max_ttl_secs: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        requirements: serde_json::from_str(&reqs).map_err(|_| bad(6, "requirements"))?,
        legacy_bearer: r.get(7)?,
        status: parse_status(&r.get::<_, String>(8)?).ok_or_else(|| bad(8, "status"))?,
        created_ms: u64::try_from(r.get::<_, i64>(9)?).unwrap_or(0),
        updated_ms: u64::try_from(r.get::<_, i64>(10)?).unwrap_or(0),
        history: Vec::new(),
    })
}

const SELECT: &str = "SELECT id, kind, owner, segment, scopes, max_ttl_secs, requirements, \
                      legacy_bearer, status, created_ms, updated_ms FROM identities";

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Registry {
    /// Opens the registry on `store` (running its migrations) for `trust_domain`.
    pub fn open(
        store: Arc<Store>,
        trust_domain: &str,
        clock: SharedClock,
    ) -> Result<Self, RegistryError> {
        store.migrate("identity", MIGRATIONS)?;
        Ok(Self {
            store,
            trust_domain: trust_domain.to_owned(),
            clock,
            cache: RwLock::new(Cache {
                data_version: -1,
                generation: 0,
                records: HashMap::new(),
            }),
        })
    }

    /// The configured trust domain.
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }

    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_millis()
    }

    /// Resolves `segment/name` or a full SPIFFE id.
    pub fn resolve(&self, name: &str) -> Result<SpiffeId, RegistryError> {
        let full = if name.starts_with("spiffe://") {
            name.to_owned()
        } else {
            format!("spiffe://{}/{}", self.trust_domain, name)
        };
        full.parse()
            .map_err(|e: palisade_core::SpiffeIdError| RegistryError::Invalid(e.to_string()))
    }

    /// Registers a new, active identity.
    pub fn create(&self, new: NewIdentity, actor: &str) -> Result<IdentityRecord, RegistryError> {
        if new.id.trust_domain() != self.trust_domain {
            return Err(RegistryError::TrustDomain {
                id: new.id.to_string(),
                expected: self.trust_domain.clone(),
            });
        }
        if new.owner.trim().is_empty() {
            return Err(RegistryError::Invalid("owner must not be empty".into()));
        }
        if new.max_ttl_secs == 0 || new.max_ttl_secs > 86_400 {
            return Err(RegistryError::Invalid(
                "max_ttl_secs must be 1..=86400".into(),
            ));
        }
        if new.requirements.is_empty() {
            return Err(RegistryError::Invalid(
                "at least one enrollment requirement is needed".into(),
            ));
        }
        let now = self.now_ms();
        let id = new.id.to_string();
        let scopes = serde_json::to_string(&new.scopes).unwrap_or_else(|_| "[]".into());
        let reqs = serde_json::to_string(&new.requirements).unwrap_or_else(|_| "[]".into());
        let inserted = self.store.with_tx(|tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO identities VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active', ?9, ?9)",
                params![id, new.kind.as_str(), new.owner, new.id.segment(), scopes,
                        ms(new.max_ttl_secs), reqs, new.legacy_bearer, ms(now)],
            )?;
            if n == 1 {
                tx.execute(
                    "INSERT INTO identity_status_history (id, status, actor, reason, at_ms) VALUES (?1, 'active', ?2, 'created', ?3)",
                    params![id, actor, ms(now)],
                )?;
            }
            Ok(n == 1)
        })?;
        if !inserted {
            return Err(RegistryError::Exists(id));
        }
        self.invalidate(&id);
        self.show(&new.id)
    }

    /// All identities, by id.
    pub fn list(&self) -> Result<Vec<IdentityRecord>, RegistryError> {
        Ok(self.store.with(|c| {
            let mut st = c.prepare(&format!("{SELECT} ORDER BY id"))?;
            let rows = st.query_map([], row_to_record)?;
            rows.collect::<Result<Vec<_>, _>>()
        })?)
    }

    /// One identity with its status history.
    pub fn show(&self, id: &SpiffeId) -> Result<IdentityRecord, RegistryError> {
        let key = id.to_string();
        let found = self.store.with(|c| {
            let rec = c
                .query_row(&format!("{SELECT} WHERE id = ?1"), [&key], row_to_record)
                .optional()?;
            let Some(mut rec) = rec else { return Ok(None) };
            let mut st = c.prepare(
                "SELECT status, actor, reason, at_ms FROM identity_status_history WHERE id = ?1 ORDER BY seq",
            )?;
            let rows = st.query_map([&key], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?))
            })?;
            for row in rows {
                let (s, actor, reason, at): (String, String, String, i64) = row?;
                if let Some(status) = parse_status(&s) {
                    rec.history.push(StatusChange { status, actor, reason, at_ms: u64::try_from(at).unwrap_or(0) });
                }
            }
            Ok(Some(rec))
        })?;
        found.ok_or(RegistryError::NotFound(key))
    }

    /// Applies an operator action; effective for the very next request.
    pub fn set_status(
        &self,
        id: &SpiffeId,
        action: StatusAction,
        actor: &str,
        reason: &str,
    ) -> Result<IdentityRecord, RegistryError> {
        if reason.trim().is_empty() {
            return Err(RegistryError::Invalid("a reason is required".into()));
        }
        let key = id.to_string();
        let now = self.now_ms();
        let target = action.target().as_str();
        let outcome = self.store.with_tx(|tx| {
            let cur: Option<String> = tx
                .query_row("SELECT status FROM identities WHERE id = ?1", [&key], |r| r.get(0))
                .optional()?;
            let Some(cur) = cur else { return Ok(Err(RegistryError::NotFound(key.clone()))) };
            let from = parse_status(&cur).unwrap_or(IdentityStatus::Revoked);
            if !action.allowed_from(from) {
                return Ok(Err(RegistryError::Transition {
                    action: format!("{action:?}").to_lowercase(),
                    from: cur,
                }));
            }
            tx.execute(
                "UPDATE identities SET status = ?2, updated_ms = ?3 WHERE id = ?1",
                params![key, target, ms(now)],
            )?;
            tx.execute(
                "INSERT INTO identity_status_history (id, status, actor, reason, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key, target, actor, reason, ms(now)],
            )?;
            Ok(Ok(()))
        })?;
        // Invalidate even on error paths that changed nothing: cheap and never wrong.
        self.invalidate(&key);
        outcome?;
        self.show(id)
    }

    fn invalidate(&self, key: &str) {
        let mut cache = self.cache.write();
        cache.records.remove(key);
        cache.generation = cache.generation.wrapping_add(1);
    }

    /// The record authentication uses: cached, but never older than the last committed write
    /// (own writes invalidate; other connections' commits bump `data_version`).
    pub fn lookup(&self, id: &str) -> Result<Option<Arc<IdentityRecord>>, RegistryError> {
        let dv: i64 = self
            .store
            .with(|c| c.query_row("PRAGMA data_version", [], |r| r.get(0)))?;
        let generation = {
            let cache = self.cache.read();
            if cache.data_version == dv {
                if let Some(r) = cache.records.get(id) {
                    return Ok(Some(r.clone()));
                }
            }
            cache.generation
        };
        let rec = self.store.with(|c| {
            c.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row_to_record)
                .optional()
        })?;
        let mut cache = self.cache.write();
        if cache.data_version != dv {
            cache.records.clear();
            cache.data_version = dv;
        }
        Ok(rec.map(|r| {
            let r = Arc::new(r);
            if cache.generation == generation {
                cache.records.insert(id.to_owned(), r.clone());
            }
            r
        }))
    }
}
