//! `InspectConfig`: the strict serde configuration of the inspection engine (actions per data
//! class, markers and code names, exact-data-match source, decode limits, stream windows, rule
//! families). The lead embeds it in palisade-config; unknown fields are refused.

use palisade_core::{ContentAction, DataClass};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Families of secret rules that can be switched off as a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleFamily {
    /// AWS, GCP, Azure and other cloud and hosting platforms.
    Cloud,
    /// Model providers (OpenAI, Anthropic, Hugging Face, ...).
    Ai,
    /// Source hosting, package registries and CI.
    Vcs,
    /// Payment processors.
    Payment,
    /// Chat and messaging.
    Chat,
    /// SaaS APIs (mail, monitoring, productivity).
    Saas,
    /// Database connection strings with passwords.
    Database,
    /// Private keys, JWTs, Kubernetes tokens.
    Keys,
    /// Generic `key = value` assignments gated by entropy.
    Generic,
}

impl RuleFamily {
    /// Every family.
    pub const ALL: [RuleFamily; 9] = [
        RuleFamily::Cloud,
        RuleFamily::Ai,
        RuleFamily::Vcs,
        RuleFamily::Payment,
        RuleFamily::Chat,
        RuleFamily::Saas,
        RuleFamily::Database,
        RuleFamily::Keys,
        RuleFamily::Generic,
    ];
}

/// Role of a CSV column in exact data match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// A unique identifier (employee id): a hit starts here.
    Primary,
    /// A field that must appear near the primary to confirm (name, salary).
    Corroborating,
    /// Not used.
    Ignore,
}

/// Exact-data-match source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdmConfig {
    /// CSV file with a header row (loaded by `edm_load` into the data dir as keyed hashes).
    pub csv: PathBuf,
    /// Role per column name; columns not listed are ignored.
    pub columns: BTreeMap<String, ColumnRole>,
    /// Corroborating fields required next to a primary field.
    #[serde(default = "default_min_corroborating")]
    pub min_corroborating: usize,
    /// How far (bytes) from the primary field corroborating fields may be.
    #[serde(default = "default_edm_window")]
    pub window: usize,
}

fn default_min_corroborating() -> usize {
    1
}
fn default_edm_window() -> usize {
    256
}

/// The inspection engine's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InspectConfig {
    /// What to do per data class (classes not listed: `record`).
    pub actions: BTreeMap<DataClass, ContentAction>,
    /// Per-detector overrides of the class action (e.g. `jwt = "record"`).
    pub detector_actions: BTreeMap<String, ContentAction>,
    /// Classification markers, whole-word and case-insensitive (`CONFIDENTIAL`).
    pub markers: Vec<String>,
    /// Project code names, whole-word and case-insensitive (`Llama-5`).
    pub code_names: Vec<String>,
    /// Exact data match (employee records); off when absent.
    pub edm: Option<EdmConfig>,
    /// Maximum nesting of base64/hex/percent/JSON-escape decoding. A readable run deeper than
    /// this is not read but reported (`decode-budget-exhausted`, class `uninspected`).
    pub max_decode_depth: u8,
    /// Maximum decoded bytes per text leaf (all layers together); a run that no longer fits
    /// is reported the same way, and shorter runs are still decoded.
    pub max_decoded_bytes: usize,
    /// Bytes a stream scanner holds back at the tail (≥ the longest single-line secret).
    pub stream_window: usize,
    /// Upper bound on held-back bytes while a match keeps growing (PEM blocks).
    pub stream_max_hold: usize,
    /// Secret rule families to run.
    pub families: Vec<RuleFamily>,
    /// Minimum Shannon entropy (bits/char) for generic `key = value` secrets.
    pub generic_min_entropy: f64,
    /// Base URL for minted `url` canaries.
    pub canary_url_base: String,
    /// Containment (0..1) of inspected text in a protected document that counts as a copy.
    pub doc_containment: f64,
    /// Fraction of a document's salient terms that marks a summary.
    pub doc_salient_overlap: f64,
    /// Look for prompt-injection indicators in tool results and tool definitions.
    pub injection: bool,
}

impl Default for InspectConfig {
    fn default() -> Self {
        let actions = BTreeMap::from([
            (DataClass::Secret, ContentAction::Redact),
            (DataClass::Pii, ContentAction::Redact),
            (DataClass::Payroll, ContentAction::Block),
            (DataClass::Confidential, ContentAction::Record),
            (DataClass::ProtectedDocument, ContentAction::Block),
            (DataClass::Canary, ContentAction::Block),
            (DataClass::Injection, ContentAction::Record),
        ]);
        Self {
            actions,
            detector_actions: BTreeMap::new(),
            markers: vec![
                "CONFIDENTIAL".into(),
                "STRICTLY CONFIDENTIAL".into(),
                "INTERNAL ONLY".into(),
                "TOP SECRET".into(),
            ],
            code_names: Vec::new(),
            edm: None,
            max_decode_depth: 3,
            max_decoded_bytes: 1 << 20,
            stream_window: 512,
            stream_max_hold: 16 * 1024,
            families: RuleFamily::ALL.to_vec(),
            generic_min_entropy: 3.5,
            canary_url_base: "https://files.corp-share.net/s/".into(),
            doc_containment: 0.5,
            doc_salient_overlap: 0.45,
            injection: true,
        }
    }
}

/// Detectors whose default differs from their class's, unless `detector_actions` names them:
/// an IP address is personal data, but it is in almost every log line and config an agent
/// handles, so by default it is recorded, not redacted.
const BUILTIN_DETECTOR_ACTIONS: &[(&str, ContentAction)] =
    &[("pii-ip-address", ContentAction::Record)];

impl InspectConfig {
    /// The action for a finding of `class` by `detector`.
    pub fn action_for(&self, class: DataClass, detector: &str) -> ContentAction {
        if let Some(a) = self.detector_actions.get(detector) {
            return *a;
        }
        if let Some((_, a)) = BUILTIN_DETECTOR_ACTIONS
            .iter()
            .find(|(d, _)| *d == detector)
        {
            return *a;
        }
        self.actions
            .get(&class)
            .copied()
            .unwrap_or(ContentAction::Record)
    }

    /// Checks ranges that serde cannot express.
    pub fn validate(&self) -> Result<(), crate::InspectError> {
        let bad = |m: &str| Err(crate::InspectError::Config(m.to_owned()));
        if self.stream_window < 64 {
            return bad("stream_window must be at least 64 bytes");
        }
        if self.stream_max_hold < self.stream_window {
            return bad("stream_max_hold must be at least stream_window");
        }
        if self.max_decode_depth > 8 {
            return bad("max_decode_depth must be at most 8");
        }
        if !(0.0..=1.0).contains(&self.doc_containment)
            || !(0.0..=1.0).contains(&self.doc_salient_overlap)
        {
            return bad("doc_containment and doc_salient_overlap must be within 0..1");
        }
        if let Some(edm) = &self.edm {
            if !edm.columns.values().any(|r| *r == ColumnRole::Primary) {
                return bad("edm.columns needs at least one primary column");
            }
        }
        if self
            .markers
            .iter()
            .chain(&self.code_names)
            .any(|m| m.trim().is_empty())
        {
            return bad("markers and code_names must not be empty strings");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused_and_defaults_fill_in() {
        let c: InspectConfig =
            serde_json::from_str(r#"{"code_names":["Llama-5"],"actions":{"pii":"block"}}"#)
                .unwrap();
        assert_eq!(c.code_names, vec!["Llama-5"]);
        assert_eq!(
            c.action_for(DataClass::Pii, "pii-email"),
            ContentAction::Block
        );
        assert_eq!(
            c.action_for(DataClass::Injection, "x"),
            ContentAction::Record
        );
        assert_eq!(
            c.action_for(DataClass::Pii, "pii-ip-address"),
            ContentAction::Record
        );
        assert_eq!(c.stream_window, 512);
        assert!(serde_json::from_str::<InspectConfig>(r#"{"bogus":1}"#).is_err());
        assert!(c.validate().is_ok());
        let bad = InspectConfig {
            stream_window: 10,
            ..InspectConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
