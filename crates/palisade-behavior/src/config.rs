//! `BehaviorConfig`: strict serde types (unknown fields are refused) with defaults, validated
//! once at start so the request path never meets an inconsistent threshold.

use crate::error::BehaviorError;
use crate::features::FeatureId;
use palisade_core::{BehaviorAction, DestinationClass};
use serde::{Deserialize, Serialize};

/// Configuration of behavioural baselines and automatic responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BehaviorConfig {
    /// Requests an identity must make before its own baseline is enforced.
    pub learning_period_requests: u64,
    /// Hours since first sight an identity must also have before its own baseline is enforced.
    pub learning_period_hours: u64,
    /// Whether identities still learning are judged against peers of the same segment and kind.
    pub peer_baseline: bool,
    /// Mature identities a peer group needs before it is used as a reference.
    pub peer_min_identities: u32,
    /// Score from which an alert is sent.
    pub alert_score: f64,
    /// Score from which the identity is stepped down.
    pub step_down_score: f64,
    /// Score from which the identity is quarantined.
    pub quarantine_score: f64,
    /// Quarantine by score only when data evidence (findings, sensitive data leaving)
    /// contributed at least `data_evidence_points`; otherwise the call is stepped down. Rate
    /// and volume anomalies narrow an identity; seeing protected data leave locks it.
    pub quarantine_requires_data_evidence: bool,
    /// Points of data evidence that allow a score-based quarantine.
    pub data_evidence_points: f64,
    /// Scores at or above this are kept as recent deviations in the baseline view.
    pub deviation_score: f64,
    /// How long a step-down lasts.
    pub step_down_secs: u64,
    /// Destination classes denied while stepped down.
    pub step_down_deny: Vec<DestinationClass>,
    /// Responses by feature: a feature contributing at least `min_contribution` forces `action`
    /// (the stronger of this and the score's action wins).
    pub feature_rules: Vec<FeatureRule>,
    /// Minimum seconds between two alerts of the same identity at the same action level.
    pub alert_cooldown_secs: u64,
    /// Alert webhook; alerts are only recorded when absent.
    pub webhook: Option<WebhookConfig>,
    /// A learning period in which more than this share of calls carried sensitive findings is
    /// flagged for review instead of trusted (the fixed rules keep acting until accepted).
    pub review_sensitive_share: f64,
    /// Dirty baselines are written to the store at least this often (event time). 0 = only on
    /// `flush()`.
    pub snapshot_interval_secs: u64,
    /// Share (0–1) of a protected document's content words one identity may send outside the
    /// organization over 24 hours, however it is split; the call that would pass it is refused.
    pub max_document_exposure: f64,
}

impl Default for BehaviorConfig {
    fn default() -> Self {
        Self {
            learning_period_requests: 200,
            learning_period_hours: 72,
            peer_baseline: true,
            peer_min_identities: 2,
            alert_score: 60.0,
            step_down_score: 75.0,
            quarantine_score: 90.0,
            quarantine_requires_data_evidence: true,
            data_evidence_points: 5.0,
            deviation_score: 40.0,
            step_down_secs: 3600,
            step_down_deny: vec![DestinationClass::External, DestinationClass::Vendor],
            feature_rules: vec![FeatureRule {
                feature: FeatureId::SensitiveThenExternal.as_str().to_owned(),
                min_contribution: 25.0,
                action: BehaviorAction::Quarantine,
            }],
            alert_cooldown_secs: 300,
            webhook: None,
            snapshot_interval_secs: 300,
            review_sensitive_share: 0.25,
            max_document_exposure: 0.2,
        }
    }
}

/// A response forced by one feature's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureRule {
    /// Feature name as it appears in `top_features` (e.g. `sensitive_then_external`).
    pub feature: String,
    /// Contribution (score points before squashing) from which the rule fires.
    pub min_contribution: f64,
    /// The response.
    pub action: BehaviorAction,
}

/// Where alerts are posted.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `http://host:port/path` for the built-in transport (other schemes need a custom
    /// `AlertTransport`).
    pub url: String,
    /// Name of the environment variable holding the HMAC key (preferred).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// The HMAC key inline (discouraged: it then lives in the config file).
    #[serde(default)]
    pub secret: Option<String>,
    /// Attempts per alert before it is dropped.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First retry delay; doubles after each failure.
    #[serde(default = "default_backoff")]
    pub initial_backoff_ms: u64,
    /// Alerts waiting beyond this are dropped (and counted) rather than blocking the caller.
    #[serde(default = "default_queue")]
    pub queue_capacity: usize,
}

fn default_attempts() -> u32 {
    5
}
fn default_backoff() -> u64 {
    500
}
fn default_queue() -> usize {
    1024
}

// Manual Debug: the inline secret must never reach a log line.
impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret_env", &self.secret_env)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff_ms", &self.initial_backoff_ms)
            .field("queue_capacity", &self.queue_capacity)
            .finish()
    }
}

impl BehaviorConfig {
    /// Checks thresholds and rules; the request path relies on these invariants.
    pub fn validate(&self) -> Result<(), BehaviorError> {
        let in_range = |v: f64| (0.0..=100.0).contains(&v);
        if ![
            self.alert_score,
            self.step_down_score,
            self.quarantine_score,
            self.deviation_score,
        ]
        .into_iter()
        .all(in_range)
        {
            return Err(BehaviorError::Config(
                "scores must lie between 0 and 100".into(),
            ));
        }
        if !(self.alert_score <= self.step_down_score
            && self.step_down_score <= self.quarantine_score)
        {
            return Err(BehaviorError::Config(
                "thresholds must satisfy alert_score <= step_down_score <= quarantine_score".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.max_document_exposure) {
            return Err(BehaviorError::Config(
                "max_document_exposure must lie between 0 and 1".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.review_sensitive_share) {
            return Err(BehaviorError::Config(
                "review_sensitive_share must lie between 0 and 1".into(),
            ));
        }
        for rule in &self.feature_rules {
            if FeatureId::parse(&rule.feature).is_none() {
                return Err(BehaviorError::Config(format!(
                    "unknown feature `{}` in feature_rules",
                    rule.feature
                )));
            }
            if !rule.min_contribution.is_finite() || rule.min_contribution < 0.0 {
                return Err(BehaviorError::Config(format!(
                    "feature rule `{}`: min_contribution must be a non-negative number",
                    rule.feature
                )));
            }
        }
        if let Some(w) = &self.webhook {
            if w.secret.is_some() == w.secret_env.is_some() {
                return Err(BehaviorError::Config(
                    "webhook needs exactly one of `secret_env` or `secret`".into(),
                ));
            }
            if w.max_attempts == 0 || w.queue_capacity == 0 {
                return Err(BehaviorError::Config(
                    "webhook max_attempts and queue_capacity must be at least 1".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_unknown_fields_are_refused() {
        BehaviorConfig::default().validate().unwrap();
        let err = serde_json::from_str::<BehaviorConfig>(r#"{"alert_scor": 10}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let c: BehaviorConfig = serde_json::from_str(r#"{"alert_score": 50}"#).unwrap();
        assert_eq!(c.alert_score, 50.0);
        assert_eq!(c.step_down_score, 75.0);
    }

    #[test]
    fn inconsistent_thresholds_and_rules_are_refused() {
        let c = BehaviorConfig {
            alert_score: 80.0,
            step_down_score: 70.0,
            ..Default::default()
        };
        assert!(c.validate().is_err());
        let mut c = BehaviorConfig::default();
        c.feature_rules[0].feature = "no_such_feature".into();
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("no_such_feature"));
    }

    #[test]
    fn webhook_debug_hides_inline_secret() {
        let w = WebhookConfig {
            url: "http://127.0.0.1:1/x".into(),
            secret_env: None,
            secret: Some("hunter2".into()),
            max_attempts: 1,
            initial_backoff_ms: 1,
            queue_capacity: 1,
        };
        assert!(!format!("{w:?}").contains("hunter2"));
    }
}
