//! Sessions of the sessions-based revisions (2025-06-18, 2025-11-25): `MCP-Session-Id` values of
//! 256 random bits from the OS, each bound to the identity that authenticated the `initialize`.
//! A session id is not a credential (the caller still authenticates every request); the binding
//! makes a leaked id worthless to anyone else: another identity presenting it gets the same
//! 404 as for an unknown id, and the session stays usable by its owner. Sessions expire when
//! idle and at a maximum age; each identity has a budget so no caller can fill the table.

use crate::jsonrpc::{ErrorCode, RpcError};
use crate::taint::{TaintLabel, TaintSet};
use crate::version::ProtocolVersion;
use palisade_core::{SharedClock, SpiffeId};
use parking_lot::Mutex;
use rand_core::{OsRng, RngCore};
use std::collections::HashMap;
use std::time::Duration;

/// Limits of the session table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// A session unused this long is gone.
    pub idle_timeout: Duration,
    /// A session older than this is gone, however busy.
    pub max_lifetime: Duration,
    /// Live sessions one identity may hold.
    pub max_per_identity: usize,
    /// Live sessions in total.
    pub max_total: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            max_lifetime: Duration::from_secs(12 * 3600),
            max_per_identity: 64,
            max_total: 100_000,
        }
    }
}

/// Why a session could not be used. Owner mismatch and unknown id are one variant on purpose:
/// the answer must not tell a prober that an id exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// A request other than `initialize` came without `MCP-Session-Id`.
    #[error("missing session id")]
    Missing,
    /// Unknown, expired, terminated, or owned by another identity.
    #[error("session not found")]
    NotFound,
    /// The identity (or the gateway) holds as many sessions as allowed.
    #[error("too many sessions")]
    Budget,
}

impl SessionError {
    /// The JSON-RPC error with the status Streamable HTTP prescribes (400 missing, 404 gone).
    pub fn to_rpc(self) -> RpcError {
        match self {
            Self::Missing => RpcError::invalid_request("missing MCP-Session-Id"),
            Self::NotFound => RpcError::new(ErrorCode::InvalidRequest, "session not found", 404),
            Self::Budget => RpcError::new(ErrorCode::Refused, "too many sessions", 429),
        }
    }
}

/// What a request may know about its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The negotiated revision.
    pub version: ProtocolVersion,
    /// Whether `notifications/initialized` arrived.
    pub initialized: bool,
    /// Taint labels holding now.
    pub taint: Vec<TaintLabel>,
}

#[derive(Debug)]
struct Session {
    owner: SpiffeId,
    version: ProtocolVersion,
    created_ms: u64,
    last_seen_ms: u64,
    initialized: bool,
    taint: TaintSet,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    per_identity: HashMap<SpiffeId, usize>,
}

/// The live sessions of one gateway process.
#[derive(Debug)]
pub struct SessionTable {
    clock: SharedClock,
    config: SessionConfig,
    inner: Mutex<Inner>,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A fresh session id: 32 bytes from the OS, hex (visible ASCII, as the transport requires).
fn new_session_id() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

impl SessionTable {
    /// An empty table reading time from `clock`.
    pub fn new(clock: SharedClock, config: SessionConfig) -> Self {
        Self {
            clock,
            config,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn expired(&self, s: &Session, now: u64) -> bool {
        now.saturating_sub(s.last_seen_ms) >= millis(self.config.idle_timeout)
            || now.saturating_sub(s.created_ms) >= millis(self.config.max_lifetime)
    }

    fn remove(inner: &mut Inner, id: &str) {
        if let Some(s) = inner.sessions.remove(id) {
            if let Some(n) = inner.per_identity.get_mut(&s.owner) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    inner.per_identity.remove(&s.owner);
                }
            }
        }
    }

    fn purge(&self, inner: &mut Inner, now: u64) {
        let dead: Vec<String> = inner
            .sessions
            .iter()
            .filter(|(_, s)| self.expired(s, now))
            .map(|(k, _)| k.clone())
            .collect();
        for id in dead {
            Self::remove(inner, &id);
        }
    }

    /// Opens a session for `owner` after a successful `initialize`; returns its id.
    pub fn create(
        &self,
        owner: &SpiffeId,
        version: ProtocolVersion,
    ) -> Result<String, SessionError> {
        let now = self.clock.now_millis();
        let mut inner = self.inner.lock();
        let over = |i: &Inner| {
            i.sessions.len() >= self.config.max_total
                || i.per_identity.get(owner).copied().unwrap_or(0) >= self.config.max_per_identity
        };
        if over(&inner) {
            self.purge(&mut inner, now);
            if over(&inner) {
                return Err(SessionError::Budget);
            }
        }
        let id = new_session_id();
        inner.sessions.insert(
            id.clone(),
            Session {
                owner: owner.clone(),
                version,
                created_ms: now,
                last_seen_ms: now,
                initialized: false,
                taint: TaintSet::default(),
            },
        );
        *inner.per_identity.entry(owner.clone()).or_insert(0) += 1;
        Ok(id)
    }

    /// Runs `f` on the live session `id` of `owner`, refreshing its idle timer.
    fn with<T>(
        &self,
        id: Option<&str>,
        owner: &SpiffeId,
        f: impl FnOnce(&mut Session, u64) -> T,
    ) -> Result<T, SessionError> {
        let id = id.ok_or(SessionError::Missing)?;
        let now = self.clock.now_millis();
        let mut inner = self.inner.lock();
        let Some(s) = inner.sessions.get_mut(id) else {
            return Err(SessionError::NotFound);
        };
        if self.expired(s, now) {
            Self::remove(&mut inner, id);
            return Err(SessionError::NotFound);
        }
        // Another identity's request neither uses nor refreshes nor ends the session.
        if s.owner != *owner {
            return Err(SessionError::NotFound);
        }
        s.last_seen_ms = now;
        Ok(f(s, now))
    }

    /// The session a request names, if it is live and `owner`'s.
    pub fn resume(&self, id: Option<&str>, owner: &SpiffeId) -> Result<SessionView, SessionError> {
        self.with(id, owner, |s, now| SessionView {
            version: s.version,
            initialized: s.initialized,
            taint: s.taint.active(now),
        })
    }

    /// Records `notifications/initialized`.
    pub fn mark_initialized(&self, id: Option<&str>, owner: &SpiffeId) -> Result<(), SessionError> {
        self.with(id, owner, |s, _| s.initialized = true)
    }

    /// Taints the session with `labels` for `lifetime`.
    pub fn taint(
        &self,
        id: Option<&str>,
        owner: &SpiffeId,
        labels: &[TaintLabel],
        lifetime: Duration,
    ) -> Result<(), SessionError> {
        self.with(id, owner, |s, now| s.taint.add(labels, now, lifetime))
    }

    /// Ends the session (HTTP `DELETE` with its id).
    pub fn terminate(&self, id: Option<&str>, owner: &SpiffeId) -> Result<(), SessionError> {
        self.with(id, owner, |_, _| ())?;
        if let Some(id) = id {
            Self::remove(&mut self.inner.lock(), id);
        }
        Ok(())
    }

    /// Live sessions (expired ones may linger until the next purge).
    pub fn len(&self) -> usize {
        self.inner.lock().sessions.len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{DataClass, ManualClock};
    use std::sync::Arc;

    fn id(name: &str) -> SpiffeId {
        format!("spiffe://lab.example/research/{name}")
            .parse()
            .unwrap()
    }

    fn table(config: SessionConfig) -> (Arc<ManualClock>, SessionTable) {
        let clock = Arc::new(ManualClock::new(1_000_000));
        (clock.clone(), SessionTable::new(clock, config))
    }

    #[test]
    fn session_hijack_other_identity() {
        let (_, t) = table(SessionConfig::default());
        let (alice, mallory) = (id("alice"), id("mallory"));
        let sid = t.create(&alice, ProtocolVersion::V2025_11_25).unwrap();
        // The stolen id is refused to another identity, exactly like an unknown id ...
        assert_eq!(t.resume(Some(&sid), &mallory), Err(SessionError::NotFound));
        assert_eq!(
            t.resume(Some("no-such-id"), &mallory),
            Err(SessionError::NotFound)
        );
        assert_eq!(
            t.taint(Some(&sid), &mallory, &[], Duration::ZERO),
            Err(SessionError::NotFound)
        );
        // ... and cannot be ended by it either.
        assert_eq!(
            t.terminate(Some(&sid), &mallory),
            Err(SessionError::NotFound)
        );
        let v = t.resume(Some(&sid), &alice).unwrap();
        assert_eq!(v.version, ProtocolVersion::V2025_11_25);
        assert_eq!(SessionError::NotFound.to_rpc().http_status, 404);
    }

    #[test]
    fn session_ids_are_random_visible_ascii() {
        let (_, t) = table(SessionConfig::default());
        let a = t.create(&id("a"), ProtocolVersion::V2025_06_18).unwrap();
        let b = t.create(&id("a"), ProtocolVersion::V2025_06_18).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| (0x21..=0x7e).contains(&c)));
    }

    #[test]
    fn missing_expired_and_deleted_sessions_refused() {
        let (clock, t) = table(SessionConfig {
            idle_timeout: Duration::from_secs(60),
            max_lifetime: Duration::from_secs(300),
            ..SessionConfig::default()
        });
        let a = id("a");
        assert_eq!(t.resume(None, &a), Err(SessionError::Missing));
        assert_eq!(SessionError::Missing.to_rpc().http_status, 400);
        let sid = t.create(&a, ProtocolVersion::V2025_11_25).unwrap();
        // Used every 50 s it survives idling, but not its maximum age.
        for _ in 0..5 {
            clock.advance(Duration::from_secs(50));
            t.resume(Some(&sid), &a).unwrap();
        }
        clock.advance(Duration::from_secs(50));
        assert_eq!(t.resume(Some(&sid), &a), Err(SessionError::NotFound));
        let sid = t.create(&a, ProtocolVersion::V2025_11_25).unwrap();
        clock.advance(Duration::from_secs(61));
        assert_eq!(t.resume(Some(&sid), &a), Err(SessionError::NotFound));
        let sid = t.create(&a, ProtocolVersion::V2025_11_25).unwrap();
        t.terminate(Some(&sid), &a).unwrap();
        assert_eq!(t.resume(Some(&sid), &a), Err(SessionError::NotFound));
        assert!(t.is_empty());
    }

    #[test]
    fn one_identity_cannot_fill_the_table() {
        let (clock, t) = table(SessionConfig {
            max_per_identity: 2,
            idle_timeout: Duration::from_secs(10),
            ..SessionConfig::default()
        });
        let (a, b) = (id("a"), id("b"));
        t.create(&a, ProtocolVersion::V2025_11_25).unwrap();
        t.create(&a, ProtocolVersion::V2025_11_25).unwrap();
        assert_eq!(
            t.create(&a, ProtocolVersion::V2025_11_25),
            Err(SessionError::Budget)
        );
        // Another identity is unaffected; expired sessions free the budget.
        t.create(&b, ProtocolVersion::V2025_11_25).unwrap();
        clock.advance(Duration::from_secs(11));
        t.create(&a, ProtocolVersion::V2025_11_25).unwrap();
    }

    #[test]
    fn taint_and_initialized_live_in_the_session() {
        let (clock, t) = table(SessionConfig::default());
        let a = id("a");
        let sid = t.create(&a, ProtocolVersion::V2025_11_25).unwrap();
        assert!(!t.resume(Some(&sid), &a).unwrap().initialized);
        t.mark_initialized(Some(&sid), &a).unwrap();
        let label = TaintLabel::Class(DataClass::ProtectedDocument);
        t.taint(Some(&sid), &a, &[label], Duration::from_secs(5))
            .unwrap();
        let v = t.resume(Some(&sid), &a).unwrap();
        assert!(v.initialized);
        assert_eq!(v.taint, vec![label]);
        clock.advance(Duration::from_secs(6));
        assert!(t.resume(Some(&sid), &a).unwrap().taint.is_empty());
    }
}
