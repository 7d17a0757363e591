//! Baselines: a JSON file of accepted finding fingerprints (`rule + file + hash of the line`).
//! Findings whose fingerprint is listed are removed from the report and counted as suppressed.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

use crate::error::ScanError;
use crate::finding::ScanReport;

/// The accepted fingerprints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// Accepted fingerprints.
    pub fingerprints: BTreeSet<String>,
}

impl Baseline {
    /// Accepts every finding of `report`.
    pub fn from_report(report: &ScanReport) -> Self {
        Self {
            version: 1,
            fingerprints: report
                .findings
                .iter()
                .map(|f| f.fingerprint.clone())
                .collect(),
        }
    }

    /// Loads a baseline file; a missing, unreadable or malformed file is an error (a typo in
    /// `--baseline` must not silently accept nothing or everything).
    pub fn load(path: &Path) -> Result<Self, ScanError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScanError::io(path, e))?;
        let b: Self = serde_json::from_str(&text).map_err(|e| ScanError::Baseline {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if b.version != 1 {
            return Err(ScanError::Baseline {
                path: path.to_owned(),
                reason: format!("unsupported version {}", b.version),
            });
        }
        Ok(b)
    }

    /// Writes the baseline as JSON.
    pub fn save(&self, path: &Path) -> Result<(), ScanError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| ScanError::Serialize {
            what: "baseline",
            reason: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(|source| ScanError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// Removes accepted findings from `report`.
    pub fn apply(&self, report: &mut ScanReport) {
        let mut suppressed = report.suppressed;
        report.findings.retain(|f| {
            let keep = !self.fingerprints.contains(&f.fingerprint);
            if !keep {
                suppressed.add(f.severity);
            }
            keep
        });
        report.suppressed = suppressed;
    }
}
