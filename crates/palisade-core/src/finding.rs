//! What inspection reports: a detector hit with its data class and location — never the
//! matched value itself, only a keyed hash of it, so findings can be logged and audited safely.

use crate::data_class::DataClass;
use serde::{Deserialize, Serialize};

/// How sure a detector is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Weak signal; record only.
    Low,
    /// Plausible; context supported it.
    Medium,
    /// Format-checked (checksum, prefix, structure) or exact match.
    High,
}

/// How bad a finding is if it leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational.
    Low,
    /// Worth attention.
    Medium,
    /// Sensitive data.
    High,
    /// Canary sightings, live credentials: act now.
    Critical,
}

/// One detector hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id, e.g. `aws-access-key-id`, `pii-us-ssn`, `canary`.
    pub detector: String,
    /// The data class the hit belongs to.
    pub data_class: DataClass,
    /// JSON Pointer of the text leaf it was found in.
    pub path: String,
    /// Byte range within the original leaf text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// Hex of a keyed hash (HMAC-SHA-256 under a per-deployment key) of the matched value.
    pub value_hash: String,
    /// Detector confidence.
    pub confidence: Confidence,
    /// Severity.
    pub severity: Severity,
}
