//! The embedded state store: one SQLite database (`palisade.db`, WAL, 0600) in the data directory,
//! shared by the domain crates. Each crate owns its tables and registers its own ordered
//! migrations under a component name, so crates never step on each other's schema.

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, Transaction};
use std::path::{Path, PathBuf};

pub use rusqlite;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "palisade.db";

/// Why the store failed. Messages name the file and the operation, never row contents.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Opening or configuring the database file failed.
    #[error("cannot open state database {path}: {source}")]
    Open {
        /// The database path.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// A migration step failed.
    #[error("migration {component} step {step} failed: {source}")]
    Migration {
        /// The component whose migration failed.
        component: String,
        /// 1-based step number.
        step: usize,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("state database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// Setting file permissions failed.
    #[error("cannot restrict permissions of {path}: {source}")]
    Permissions {
        /// The database path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A handle on the state database. Cheap to share behind an `Arc`; access is serialized by a
/// mutex because SQLite writes are serialized anyway and every query here is short.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/palisade.db`, restricted to the owner.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join(DB_FILE);
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        restrict_permissions(&path)?;
        // WAL lets readers (CLI commands) run while the gateway writes; NORMAL sync is durable
        // across process crashes, which is what state (not the audit log) needs.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        Self::finish(conn, Some(path))
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        Self::finish(conn, None)
    }

    fn finish(conn: Connection, path: Option<PathBuf>) -> Result<Self, StoreError> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_versions (
                component TEXT PRIMARY KEY,
                version INTEGER NOT NULL
            )",
        )?;
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file, if on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Applies the steps of `component` that have not run yet, each in its own transaction.
    /// Steps are append-only: never edit a released step, add a new one.
    pub fn migrate(&self, component: &str, steps: &[&str]) -> Result<(), StoreError> {
        let mut conn = self.conn.lock();
        let done: usize = conn
            .query_row(
                "SELECT version FROM schema_versions WHERE component = ?1",
                [component],
                |r| r.get::<_, i64>(0),
            )
            .map(|v| usize::try_from(v).unwrap_or(0))
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(0),
                e => Err(e),
            })?;
        for (i, sql) in steps.iter().enumerate().skip(done) {
            let step = i + 1;
            let mig = |source| StoreError::Migration {
                component: component.to_owned(),
                step,
                source,
            };
            let tx = conn.transaction().map_err(mig)?;
            tx.execute_batch(sql).map_err(mig)?;
            tx.execute(
                "INSERT INTO schema_versions (component, version) VALUES (?1, ?2)
                 ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                rusqlite::params![component, step as i64],
            )
            .map_err(mig)?;
            tx.commit().map_err(mig)?;
        }
        Ok(())
    }

    /// Runs `f` with the connection.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let conn = self.conn.lock();
        Ok(f(&conn)?)
    }

    /// Runs `f` inside a transaction that commits if `f` succeeds and rolls back otherwise.
    pub fn with_tx<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        StoreError::Permissions {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[&str] = &[
        "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)",
        "ALTER TABLE t ADD COLUMN note TEXT",
    ];

    #[test]
    fn migrations_run_once_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.migrate("demo", &STEPS[..1]).unwrap();
            s.with(|c| c.execute("INSERT INTO t (k, v) VALUES ('a', 1)", []))
                .unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        // Re-running step 1 would fail (table exists); only step 2 may run.
        s.migrate("demo", STEPS).unwrap();
        let (v, note): (i64, Option<String>) = s
            .with(|c| {
                c.query_row("SELECT v, note FROM t WHERE k='a'", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
            })
            .unwrap();
        assert_eq!((v, note), (1, None));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(DB_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn failed_transaction_rolls_back() {
        let s = Store::open_in_memory().unwrap();
        s.migrate("demo", &STEPS[..1]).unwrap();
        let r = s.with_tx(|tx| {
            tx.execute("INSERT INTO t (k, v) VALUES ('a', 1)", [])?;
            tx.execute("INSERT INTO t (k, v) VALUES ('a', 2)", []) // duplicate key
        });
        assert!(r.is_err());
        let n: i64 = s
            .with(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn broken_migration_names_component_and_step() {
        let s = Store::open_in_memory().unwrap();
        let err = s
            .migrate("demo", &["CREATE TABLE ok (x)", "NOT SQL"])
            .unwrap_err();
        assert!(
            err.to_string().starts_with("migration demo step 2 failed"),
            "{err}"
        );
    }
}
