//! Serde shapes for writing a request by hand (case files, `policy explain`): a principal,
//! a resource and a context, converted into the palisade-core types the engine decides on.

use crate::error::PolicyError;
use palisade_core::{
    AuthzContext, DataClass, DestinationClass, Identity, IdentityKind, IdentityStatus, ResourceRef,
    SpiffeId,
};
use serde::{Deserialize, Serialize};

/// A principal as written in a case file. The segment is taken from the SPIFFE id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalSpec {
    /// `spiffe://<trust-domain>/<segment>/<name>`.
    pub id: SpiffeId,
    /// agent, workload or vendor.
    pub kind: IdentityKind,
    /// Accountable person or team.
    #[serde(default = "unknown_owner")]
    pub owner: String,
    /// Lifecycle status (default active).
    #[serde(default = "active")]
    pub status: IdentityStatus,
    /// Evidence kinds (default none: an unattested principal).
    #[serde(default)]
    pub attestation_kinds: Vec<String>,
    /// Scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn unknown_owner() -> String {
    "unknown".into()
}
fn active() -> IdentityStatus {
    IdentityStatus::Active
}

impl PrincipalSpec {
    /// The identity the engine sees.
    pub fn to_identity(&self, token_age_secs: u64) -> Identity {
        Identity {
            id: self.id.clone(),
            kind: self.kind,
            owner: self.owner.clone(),
            segment: self.id.segment().to_owned(),
            scopes: self.scopes.clone(),
            status: self.status,
            attestation_kinds: self.attestation_kinds.clone(),
            token_age_secs,
        }
    }
}

/// A resource as written in a case file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    /// Model or tool name (ignored for enroll/admin, which address the segment).
    #[serde(default)]
    pub name: String,
    /// Upstream name.
    #[serde(default)]
    pub upstream: String,
    /// Owning segment.
    pub segment: String,
    /// internal, external or vendor.
    pub destination: DestinationClass,
}

impl ResourceSpec {
    /// The resource the engine sees.
    pub fn to_resource(&self) -> ResourceRef {
        ResourceRef {
            name: self.name.clone(),
            upstream: self.upstream.clone(),
            segment: self.segment.clone(),
            destination: self.destination,
        }
    }
}

/// A request context as written in a case file; every field defaults to a quiet call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContextSpec {
    /// Data classes found by inspection (`secret`, `pii`, ...).
    pub data_classes: Vec<String>,
    /// Anomaly score 0..100.
    pub anomaly_score: f64,
    /// Step-down in force.
    pub stepped_down: bool,
    /// Token age in seconds.
    pub token_age_secs: u64,
    /// Request body bytes.
    pub request_bytes: u64,
    /// Streaming asked for.
    pub streaming: bool,
    /// Hour of day, UTC.
    pub hour_of_day: u8,
}

impl Default for ContextSpec {
    fn default() -> Self {
        Self {
            data_classes: Vec::new(),
            anomaly_score: 0.0,
            stepped_down: false,
            token_age_secs: 60,
            request_bytes: 512,
            streaming: false,
            hour_of_day: 12,
        }
    }
}

impl ContextSpec {
    /// The context the engine sees; unknown data-class names are an error, not ignored.
    pub fn to_context(&self) -> Result<AuthzContext, PolicyError> {
        let mut data_classes = Vec::with_capacity(self.data_classes.len());
        for c in &self.data_classes {
            let class: DataClass =
                c.parse()
                    .map_err(|e: palisade_core::data_class::UnknownDataClass| {
                        PolicyError::Request(e.to_string())
                    })?;
            data_classes.push(class);
        }
        if self.hour_of_day > 23 {
            return Err(PolicyError::Request(format!(
                "hour_of_day {} is not within 0..=23",
                self.hour_of_day
            )));
        }
        Ok(AuthzContext {
            data_classes,
            anomaly_score: self.anomaly_score,
            stepped_down: self.stepped_down,
            token_age_secs: self.token_age_secs,
            request_bytes: self.request_bytes,
            streaming: self.streaming,
            hour_of_day: self.hour_of_day,
        })
    }
}

/// One complete request, e.g. for `palisade policy explain --request FILE.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// Who.
    pub principal: PrincipalSpec,
    /// Action name.
    pub action: String,
    /// What.
    pub resource: ResourceSpec,
    /// Context (defaults to a quiet call).
    #[serde(default)]
    pub context: ContextSpec,
}

impl RequestSpec {
    /// Parses a TOML request.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        toml::from_str(text).map_err(|e| PolicyError::Request(e.to_string()))
    }
}
