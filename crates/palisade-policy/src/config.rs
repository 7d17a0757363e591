//! `PolicyConfig`: the `[policy]` section of the gateway config (strict serde, defaults), and its
//! validation into the settings the engine runs with.

use crate::error::PolicyError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Default case file looked up inside the policy directory when `cases` is not set.
pub const DEFAULT_CASES_FILE: &str = "cases.toml";

/// Policy settings. Unknown keys are refused so a typo cannot silently disable a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Directory of `*.cedar` files (and `*.shadow.cedar` shadow files).
    pub dir: PathBuf,
    /// Case file run before every load and reload; `None` means `<dir>/cases.toml` if present.
    pub cases: Option<PathBuf>,
    /// Refuse to load when no case file exists (recommended in production).
    pub require_cases: bool,
    /// Poll the directory and reload on change.
    pub watch: bool,
    /// Poll interval for `watch`, in milliseconds (>= 100).
    pub poll_interval_ms: u64,
    /// Anomaly score (0..=100) at and above which the `anomaly-over-threshold` policy forbids;
    /// passed to policies as `context.anomaly_threshold`.
    pub anomaly_threshold: u8,
    /// Evaluate shadow files on every call (costs one extra evaluation per shadow file).
    pub shadow: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("policies"),
            cases: None,
            require_cases: false,
            watch: false,
            poll_interval_ms: 2000,
            anomaly_threshold: 80,
            shadow: true,
        }
    }
}

impl PolicyConfig {
    /// A config for `dir` with every other setting at its default.
    pub fn for_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            ..Self::default()
        }
    }

    /// Checks ranges that serde cannot.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |m: String| Err(PolicyError::Request(format!("policy config: {m}")));
        if self.poll_interval_ms < 100 {
            return bad(format!(
                "poll_interval_ms = {} is below the minimum of 100",
                self.poll_interval_ms
            ));
        }
        if self.anomaly_threshold == 0 || self.anomaly_threshold > 100 {
            return bad(format!(
                "anomaly_threshold = {} must be within 1..=100",
                self.anomaly_threshold
            ));
        }
        Ok(())
    }

    /// The case file to run for `dir`: the configured one, else `<dir>/cases.toml` if it exists.
    pub fn cases_for(&self, dir: &Path) -> Option<PathBuf> {
        self.cases.clone().or_else(|| {
            let p = dir.join(DEFAULT_CASES_FILE);
            p.is_file().then_some(p)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_fields() {
        let c: PolicyConfig = toml::from_str("dir = \"/etc/palisade/policies\"").unwrap();
        assert_eq!(c.anomaly_threshold, 80);
        assert!(c.validate().is_ok());
        let err = toml::from_str::<PolicyConfig>("dir = \"x\"\nanomaly_treshold = 5").unwrap_err();
        assert!(err.to_string().contains("anomaly_treshold"), "{err}");
        let c = PolicyConfig {
            anomaly_threshold: 0,
            ..PolicyConfig::default()
        };
        assert!(c.validate().is_err());
    }
}
