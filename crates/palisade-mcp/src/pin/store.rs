//! Pins in the state store (`mcp_tool_pins` table), so approvals survive restarts; replicas
//! later share a PostgreSQL implementation of the same trait.

use super::{
    verdict_of, DefinitionHash, PinError, PinRecord, PinState, PinStore, PinnedDefinition, Verdict,
};
use palisade_store::rusqlite::{self, params, OptionalExtension, Transaction};
use palisade_store::Store;
use std::sync::Arc;

/// Migration steps of the `mcp_tool_pins` component (append-only).
const MIGRATIONS: &[&str] = &["CREATE TABLE mcp_tool_pins (
        seq INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        tool TEXT NOT NULL,
        hash BLOB NOT NULL,
        canonical TEXT NOT NULL,
        state TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        decided_ms INTEGER,
        UNIQUE (server, tool, hash)
    );"];

/// Pins in the state database.
#[derive(Debug)]
pub struct StorePinStore {
    store: Arc<Store>,
}

fn storage(e: impl std::fmt::Display) -> PinError {
    PinError::Storage(e.to_string())
}

fn sql_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn load(tx: &rusqlite::Connection, server: &str, tool: &str) -> rusqlite::Result<Vec<PinRecord>> {
    let mut st = tx.prepare_cached(
        "SELECT hash, canonical, state, first_seen_ms, decided_ms FROM mcp_tool_pins
         WHERE server = ?1 AND tool = ?2 ORDER BY seq",
    )?;
    let rows = st.query_map(params![server, tool], |r| {
        let hash: Vec<u8> = r.get(0)?;
        let state: String = r.get(2)?;
        let decided: Option<i64> = r.get(4)?;
        Ok(PinRecord {
            server: server.to_owned(),
            tool: tool.to_owned(),
            // A row that does not decode is treated as a version nobody approved.
            hash: DefinitionHash(hash.try_into().unwrap_or([0; 32])),
            canonical: r.get(1)?,
            state: PinState::parse(&state).unwrap_or(PinState::Rejected),
            first_seen_ms: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            decided_ms: decided.map(|d| u64::try_from(d).unwrap_or(0)),
        })
    })?;
    rows.collect()
}

impl StorePinStore {
    /// Opens the table (migrating it).
    pub fn open(store: Arc<Store>) -> Result<Self, PinError> {
        store
            .migrate("mcp_tool_pins", MIGRATIONS)
            .map_err(storage)?;
        Ok(Self { store })
    }
}

impl PinStore for StorePinStore {
    fn observe(
        &self,
        server: &str,
        tool: &str,
        def: &PinnedDefinition,
        now_ms: u64,
        auto_approve: bool,
    ) -> Result<Verdict, PinError> {
        self.store
            .with_tx(|tx| {
                let mut versions = load(tx, server, tool)?;
                if !versions.iter().any(|r| r.hash == def.hash) {
                    let approve = versions.is_empty() && auto_approve;
                    let state = if approve {
                        PinState::Approved
                    } else {
                        PinState::Pending
                    };
                    tx.execute(
                        "INSERT INTO mcp_tool_pins
                         (server, tool, hash, canonical, state, first_seen_ms, decided_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            server,
                            tool,
                            &def.hash.0[..],
                            def.canonical,
                            state.as_str(),
                            sql_ms(now_ms),
                            approve.then_some(sql_ms(now_ms)),
                        ],
                    )?;
                    versions = load(tx, server, tool)?;
                }
                Ok(verdict_of(&versions, &def.hash))
            })
            .map_err(storage)
    }

    fn decide(
        &self,
        server: &str,
        tool: &str,
        hash: &DefinitionHash,
        now_ms: u64,
        state: PinState,
    ) -> Result<(), PinError> {
        let found = self
            .store
            .with_tx(|tx: &Transaction<'_>| {
                let seen = tx
                    .query_row(
                        "SELECT seq FROM mcp_tool_pins WHERE server = ?1 AND tool = ?2 AND hash = ?3",
                        params![server, tool, &hash.0[..]],
                        |r| r.get::<_, i64>(0),
                    )
                    .optional()?;
                if seen.is_none() {
                    return Ok(false);
                }
                if state == PinState::Approved {
                    tx.execute(
                        "UPDATE mcp_tool_pins SET state = 'superseded', decided_ms = ?3
                         WHERE server = ?1 AND tool = ?2 AND state = 'approved'",
                        params![server, tool, sql_ms(now_ms)],
                    )?;
                }
                tx.execute(
                    "UPDATE mcp_tool_pins SET state = ?4, decided_ms = ?5
                     WHERE server = ?1 AND tool = ?2 AND hash = ?3",
                    params![server, tool, &hash.0[..], state.as_str(), sql_ms(now_ms)],
                )?;
                Ok(true)
            })
            .map_err(storage)?;
        if found {
            Ok(())
        } else {
            Err(PinError::Unknown {
                server: server.to_owned(),
                tool: tool.to_owned(),
                hash: hash.to_string(),
            })
        }
    }

    fn versions(&self, server: &str, tool: &str) -> Result<Vec<PinRecord>, PinError> {
        self.store.with(|c| load(c, server, tool)).map_err(storage)
    }
}
