//! Non-human identities: SPIFFE-style ids, kinds, segments and status.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A segment (tier) name such as `labeling`, `training`, `research`.
pub type SegmentName = String;

/// `spiffe://<trust-domain>/<segment>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SpiffeId {
    trust_domain: String,
    segment: String,
    name: String,
}

/// Why a string is not a valid SPIFFE id of the form Palisade uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpiffeIdError {
    /// Missing `spiffe://` prefix.
    #[error("spiffe id `{0}` must start with `spiffe://`")]
    Scheme(String),
    /// Not exactly trust-domain/segment/name.
    #[error("spiffe id `{0}` must have the form spiffe://<trust-domain>/<segment>/<name>")]
    Shape(String),
    /// A component has characters outside `[a-z0-9._-]`.
    #[error(
        "spiffe id `{0}`: components may only contain lowercase letters, digits, `.`, `_` and `-`"
    )]
    Chars(String),
}

fn valid_component(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

impl SpiffeId {
    /// Builds an id from its parts, validating each.
    pub fn new(trust_domain: &str, segment: &str, name: &str) -> Result<Self, SpiffeIdError> {
        format!("spiffe://{trust_domain}/{segment}/{name}").parse()
    }
    /// The trust domain.
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }
    /// The segment.
    pub fn segment(&self) -> &str {
        &self.segment
    }
    /// The workload name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl FromStr for SpiffeId {
    type Err = SpiffeIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("spiffe://")
            .ok_or_else(|| SpiffeIdError::Scheme(s.to_owned()))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let [td, seg, name] = parts.as_slice() else {
            return Err(SpiffeIdError::Shape(s.to_owned()));
        };
        if ![td, seg, name].iter().all(|p| valid_component(p)) {
            return Err(SpiffeIdError::Chars(s.to_owned()));
        }
        Ok(Self {
            trust_domain: (*td).to_owned(),
            segment: (*seg).to_owned(),
            name: (*name).to_owned(),
        })
    }
}

impl TryFrom<String> for SpiffeId {
    type Error = SpiffeIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SpiffeId> for String {
    fn from(id: SpiffeId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "spiffe://{}/{}/{}",
            self.trust_domain, self.segment, self.name
        )
    }
}

/// What sort of non-human identity this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// An AI agent.
    Agent,
    /// A service or batch workload.
    Workload,
    /// A third-party vendor integration.
    Vendor,
}

impl IdentityKind {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Agent => "agent",
            IdentityKind::Workload => "workload",
            IdentityKind::Vendor => "vendor",
        }
    }
}

/// Lifecycle status. Anything but `Active` is refused at authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    /// May enroll and call.
    Active,
    /// Temporarily disabled by an operator.
    Suspended,
    /// Disabled automatically or by an operator pending investigation; released only by a person.
    Quarantined,
    /// Permanently disabled.
    Revoked,
}

impl IdentityStatus {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityStatus::Active => "active",
            IdentityStatus::Suspended => "suspended",
            IdentityStatus::Quarantined => "quarantined",
            IdentityStatus::Revoked => "revoked",
        }
    }
}

/// An authenticated caller as the later stages see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The SPIFFE id.
    pub id: SpiffeId,
    /// Agent, workload or vendor.
    pub kind: IdentityKind,
    /// The person or team accountable for it.
    pub owner: String,
    /// Its segment (equal to `id.segment()`).
    pub segment: SegmentName,
    /// Models/tools it may ask for (policy still decides per call).
    pub scopes: Vec<String>,
    /// Current status.
    pub status: IdentityStatus,
    /// Evidence kinds its current credential was issued on (e.g. `join_token`, `sev_snp`).
    pub attestation_kinds: Vec<String>,
    /// Age of the presented access token in seconds.
    pub token_age_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spiffe_id_parses_and_rejects() {
        let id: SpiffeId = "spiffe://lab.example/research/agent-1".parse().unwrap();
        assert_eq!(id.segment(), "research");
        assert_eq!(id.to_string(), "spiffe://lab.example/research/agent-1");
        assert!(matches!(
            "http://x/y/z".parse::<SpiffeId>(),
            Err(SpiffeIdError::Scheme(_))
        ));
        assert!(matches!(
            "spiffe://x/y".parse::<SpiffeId>(),
            Err(SpiffeIdError::Shape(_))
        ));
        assert!(matches!(
            "spiffe://x/Y/z".parse::<SpiffeId>(),
            Err(SpiffeIdError::Chars(_))
        ));
    }
}
