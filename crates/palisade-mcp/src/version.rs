//! The MCP protocol revisions the gateway speaks and the era each belongs to: sessions-based
//! (an `initialize` handshake, `MCP-Session-Id`) or stateless (per-request `_meta` and mirrored
//! headers). 2025-03-26 and earlier are not served: they allow JSON-RPC batches and have no
//! `MCP-Protocol-Version` header, so header and body could not be held to each other.

use std::fmt;

/// A supported protocol revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// 2025-06-18 (sessions-based; batching removed).
    V2025_06_18,
    /// 2025-11-25 (sessions-based).
    V2025_11_25,
    /// 2026-07-28 (stateless).
    V2026_07_28,
}

/// How requests of a revision carry their context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// `initialize`, then `MCP-Session-Id` on every request.
    Sessions,
    /// Every request carries its version and capabilities; no session.
    Stateless,
}

impl ProtocolVersion {
    /// Every supported revision, newest first (the order `supported` lists use).
    pub const ALL: [ProtocolVersion; 3] = [Self::V2026_07_28, Self::V2025_11_25, Self::V2025_06_18];

    /// The revision string on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2025_06_18 => "2025-06-18",
            Self::V2025_11_25 => "2025-11-25",
            Self::V2026_07_28 => "2026-07-28",
        }
    }

    /// Parses a revision string; unknown revisions are `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The era of the revision.
    pub fn era(self) -> Era {
        match self {
            Self::V2026_07_28 => Era::Stateless,
            _ => Era::Sessions,
        }
    }

    /// The newest sessions-based revision: the answer to an `initialize` asking for a version
    /// the gateway does not serve (the lifecycle lets a server propose its own).
    pub const LATEST_SESSIONS: ProtocolVersion = Self::V2025_11_25;
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The supported revision strings as JSON, for `supported` lists in errors and discovery.
pub fn supported_json(era: Option<Era>) -> serde_json::Value {
    ProtocolVersion::ALL
        .into_iter()
        .filter(|v| era.iter().all(|e| v.era() == *e))
        .map(|v| serde_json::Value::from(v.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_and_old_ones_are_unknown() {
        for v in ProtocolVersion::ALL {
            assert_eq!(ProtocolVersion::parse(v.as_str()), Some(v));
        }
        assert_eq!(ProtocolVersion::parse("2025-03-26"), None);
        assert_eq!(ProtocolVersion::parse("2024-11-05"), None);
        assert_eq!(ProtocolVersion::V2026_07_28.era(), Era::Stateless);
        assert_eq!(ProtocolVersion::V2025_06_18.era(), Era::Sessions);
        assert_eq!(
            supported_json(Some(Era::Sessions)),
            serde_json::json!(["2025-11-25", "2025-06-18"])
        );
    }
}
