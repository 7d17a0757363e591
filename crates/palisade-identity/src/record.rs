//! Registry records: a registered identity, its status history, and the request to create one.

use palisade_core::{Identity, IdentityKind, IdentityStatus, SpiffeId};
use serde::{Deserialize, Serialize};

/// One status change: who did what, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The new status.
    pub status: IdentityStatus,
    /// Operator or component that made the change.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When (ms since epoch).
    pub at_ms: u64,
}

/// A registered identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// SPIFFE id.
    pub id: SpiffeId,
    /// Agent, workload, vendor.
    pub kind: IdentityKind,
    /// Accountable person or team.
    pub owner: String,
    /// Segment (from the id).
    pub segment: String,
    /// Models/tools it may ask for.
    pub scopes: Vec<String>,
    /// Longest credential it may get, seconds.
    pub max_ttl_secs: u64,
    /// Evidence kinds enrollment requires.
    pub requirements: Vec<String>,
    /// Migration switch: unbound bearer tokens accepted (and flagged).
    pub legacy_bearer: bool,
    /// Current status.
    pub status: IdentityStatus,
    /// Creation time (ms).
    pub created_ms: u64,
    /// Last change (ms).
    pub updated_ms: u64,
    /// Status history, oldest first (filled by `Registry::show`, empty in lists).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<StatusChange>,
}

impl IdentityRecord {
    /// The core identity later stages see.
    pub fn to_identity(&self, attestation_kinds: Vec<String>, token_age_secs: u64) -> Identity {
        Identity {
            id: self.id.clone(),
            kind: self.kind,
            owner: self.owner.clone(),
            segment: self.segment.clone(),
            scopes: self.scopes.clone(),
            status: self.status,
            attestation_kinds,
            token_age_secs,
        }
    }
}

/// What `Registry::create` needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIdentity {
    /// SPIFFE id (its trust domain must be the configured one).
    pub id: SpiffeId,
    /// Kind.
    pub kind: IdentityKind,
    /// Owner.
    pub owner: String,
    /// Scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Maximum credential lifetime (default 3600 s).
    #[serde(default = "default_max_ttl")]
    pub max_ttl_secs: u64,
    /// Required evidence kinds (default: a join token).
    #[serde(default = "default_requirements")]
    pub requirements: Vec<String>,
    /// Legacy bearer switch (default off).
    #[serde(default)]
    pub legacy_bearer: bool,
}

fn default_max_ttl() -> u64 {
    3600
}

fn default_requirements() -> Vec<String> {
    vec!["join_token".into()]
}

/// Operator actions on status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusAction {
    /// Active -> suspended.
    Suspend,
    /// Active/suspended -> quarantined.
    Quarantine,
    /// Suspended/quarantined -> active.
    Release,
    /// Anything -> revoked (terminal).
    Revoke,
}

impl StatusAction {
    /// Parses `suspend|quarantine|release|revoke`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "suspend" => Self::Suspend,
            "quarantine" => Self::Quarantine,
            "release" => Self::Release,
            "revoke" => Self::Revoke,
            _ => return None,
        })
    }

    /// The status it moves to.
    pub fn target(self) -> IdentityStatus {
        match self {
            Self::Suspend => IdentityStatus::Suspended,
            Self::Quarantine => IdentityStatus::Quarantined,
            Self::Release => IdentityStatus::Active,
            Self::Revoke => IdentityStatus::Revoked,
        }
    }

    /// Whether the move from `from` is allowed.
    pub fn allowed_from(self, from: IdentityStatus) -> bool {
        use IdentityStatus::*;
        match self {
            Self::Suspend => from == Active,
            Self::Quarantine => matches!(from, Active | Suspended),
            Self::Release => matches!(from, Suspended | Quarantined),
            Self::Revoke => from != Revoked,
        }
    }
}

/// Parses a stored status name.
pub fn parse_status(s: &str) -> Option<IdentityStatus> {
    Some(match s {
        "active" => IdentityStatus::Active,
        "suspended" => IdentityStatus::Suspended,
        "quarantined" => IdentityStatus::Quarantined,
        "revoked" => IdentityStatus::Revoked,
        _ => return None,
    })
}

/// Parses a stored kind name.
pub fn parse_kind(s: &str) -> Option<IdentityKind> {
    Some(match s {
        "agent" => IdentityKind::Agent,
        "workload" => IdentityKind::Workload,
        "vendor" => IdentityKind::Vendor,
        _ => return None,
    })
}
