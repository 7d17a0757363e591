//! Sample TEE evidence for tests and the demo ONLY: plain, unsigned JSON
//! `{"measurement": hex, "debug": bool, "report_data": hex}`. It proves nothing cryptographically,
//! so it exists only with the non-default `sample-tee` feature and the default config refuses it.

use crate::appraisal::Appraisal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Evidence kind name.
pub const KIND: &str = "sample_tee";

/// Why sample evidence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleTeeError {
    /// The config does not opt in.
    #[error("sample tee evidence is disabled by policy (it is unsigned; tests and demos only)")]
    Disabled,
    /// Evidence JSON has the wrong shape.
    #[error("malformed sample tee evidence: {0}")]
    Evidence(String),
    /// Measurement not a reference value.
    #[error("sample tee measurement `{0}` is not an accepted reference value")]
    MeasurementNotAllowed(String),
    /// Debug mode.
    #[error("sample tee reports debug mode and debug is not allowed")]
    DebugNotAllowed,
    /// report_data does not carry the binding.
    #[error("sample tee report_data does not bind the enrollment nonce and workload key")]
    BindingMismatch,
}

fn default_ttl() -> u64 {
    300
}

/// Sample TEE policy. `Default` refuses everything (`enabled: false`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleTeeConfig {
    /// Must be set explicitly for the sample kind to be accepted at all.
    #[serde(default)]
    pub enabled: bool,
    /// Accepted measurements (lowercase hex compared case-insensitively).
    #[serde(default)]
    pub reference_measurements: Vec<String>,
    /// Accept `debug: true`.
    #[serde(default)]
    pub allow_debug: bool,
    /// Appraisal lifetime in seconds.
    #[serde(default = "default_ttl")]
    pub appraisal_ttl_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleEvidence {
    measurement: String,
    debug: bool,
    report_data: String,
}

/// The sample verifier.
#[derive(Debug, Clone, Default)]
pub struct SampleTeeVerifier {
    config: SampleTeeConfig,
}

impl SampleTeeVerifier {
    /// Wraps a config.
    pub fn new(config: SampleTeeConfig) -> Self {
        Self { config }
    }

    /// The evidence kind (`sample_tee`).
    pub fn kind(&self) -> &str {
        KIND
    }

    /// Appraises sample evidence; `report_data` must be the 32-byte binding in hex.
    pub fn verify(
        &self,
        evidence: &serde_json::Value,
        binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, SampleTeeError> {
        if !self.config.enabled {
            return Err(SampleTeeError::Disabled);
        }
        let ev = SampleEvidence::deserialize(evidence)
            .map_err(|e| SampleTeeError::Evidence(e.to_string()))?;
        let m = ev.measurement.to_ascii_lowercase();
        if !self
            .config
            .reference_measurements
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&m))
        {
            return Err(SampleTeeError::MeasurementNotAllowed(m));
        }
        if ev.debug && !self.config.allow_debug {
            return Err(SampleTeeError::DebugNotAllowed);
        }
        let rd = hex::decode(&ev.report_data)
            .map_err(|_| SampleTeeError::Evidence("report_data is not hex".into()))?;
        if rd.as_slice() != binding.as_slice() {
            return Err(SampleTeeError::BindingMismatch);
        }
        let claims: BTreeMap<String, String> = [
            ("sample_tee.measurement".to_owned(), m),
            ("sample_tee.debug".to_owned(), ev.debug.to_string()),
        ]
        .into_iter()
        .collect();
        Ok(Appraisal {
            kind: KIND.to_owned(),
            expires_at_ms: now_ms
                .saturating_add(self.config.appraisal_ttl_secs.saturating_mul(1000)),
            claims,
        })
    }
}
