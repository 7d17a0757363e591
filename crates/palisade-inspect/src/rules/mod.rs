//! The secret rule set as data: one `SecretRule` per credential format, grouped by family in the
//! sibling files. A rule is a keyword prefilter (the keyword is part of the rule's meaning: a bare
//! 40-hex string is not a token), an ASCII-only regex whose group 1 is the secret, and checks that
//! run after a match (entropy, a structural validator, the placeholder allowlist).

mod ai;
mod cloud;
mod db_keys;
mod generic;
mod kind;
mod payment_chat;
mod saas;
mod services;
mod structural;
mod validate;
mod vcs;

pub use crate::config::RuleFamily as Family;
pub use kind::{kind_of, Kind};
use palisade_core::{Confidence, Severity};
pub use validate::{entropy, is_placeholder, Validator};

/// One credential format.
#[derive(Debug, Clone, Copy)]
pub struct SecretRule {
    /// Family (can be switched off in config).
    pub family: Family,
    /// Stable detector id; also the redaction placeholder's type.
    pub id: &'static str,
    /// Lowercase keywords; the regex only runs near one of them.
    pub keywords: &'static [&'static str],
    /// ASCII-only pattern; capture group 1 (when present) is the secret value.
    pub pattern: &'static str,
    /// A string the rule must find (true-positive example).
    pub example_tp: &'static str,
    /// A near miss the rule must not report (false-positive example).
    pub example_fp: &'static str,
    /// Minimum Shannon entropy of the value, in tenths of a bit per byte.
    pub min_entropy_x10: u8,
    /// Structural check after the match.
    pub validator: Validator,
    /// Confidence of a hit.
    pub confidence: Confidence,
    /// Severity of a hit.
    pub severity: Severity,
    /// How far before a keyword hit the match may start.
    pub back: u16,
    /// How far after a keyword hit the match may end.
    pub fwd: u16,
}

impl SecretRule {
    /// A rule with default checks (entropy 2.5, no validator, high confidence and severity).
    pub const fn new(
        family: Family,
        id: &'static str,
        keywords: &'static [&'static str],
        pattern: &'static str,
        example_tp: &'static str,
        example_fp: &'static str,
    ) -> Self {
        Self {
            family,
            id,
            keywords,
            pattern,
            example_tp,
            example_fp,
            min_entropy_x10: 25,
            validator: Validator::None,
            confidence: Confidence::High,
            severity: Severity::High,
            back: 64,
            fwd: 320,
        }
    }
    /// Sets the minimum entropy (tenths of a bit).
    pub const fn entropy(mut self, x10: u8) -> Self {
        self.min_entropy_x10 = x10;
        self
    }
    /// Sets the validator.
    pub const fn check(mut self, v: Validator) -> Self {
        self.validator = v;
        self
    }
    /// Sets the confidence.
    pub const fn conf(mut self, c: Confidence) -> Self {
        self.confidence = c;
        self
    }
    /// Sets the severity.
    pub const fn sev(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    /// Sets the search window around a keyword hit.
    pub const fn window(mut self, back: u16, fwd: u16) -> Self {
        self.back = back;
        self.fwd = fwd;
        self
    }
}

/// Every built-in rule, specific formats first (earlier rules win ties on the same span).
pub fn all_rules() -> Vec<&'static SecretRule> {
    [
        cloud::RULES,
        ai::RULES,
        vcs::RULES,
        payment_chat::RULES,
        saas::RULES,
        db_keys::RULES,
        structural::RULES,
        services::RULES,
        generic::RULES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::secrets::SecretScanner;
    use std::collections::HashSet;

    #[test]
    fn rule_table_is_large_unique_and_lowercase() {
        let rules = all_rules();
        assert!(rules.len() >= 150, "only {} rules", rules.len());
        let ids: HashSet<_> = rules.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), rules.len(), "duplicate rule ids");
        for r in &rules {
            assert!(!r.keywords.is_empty(), "{} has no keyword", r.id);
            for k in r.keywords {
                assert_eq!(
                    *k,
                    k.to_ascii_lowercase(),
                    "{}: keyword not lowercase",
                    r.id
                );
            }
        }
    }

    /// The table-driven test: every rule finds its true-positive example and does not report
    /// its false-positive example (run through the full scanner with all rules, so prefilter,
    /// windows, validators and allowlist are all exercised).
    #[test]
    fn every_rule_matches_its_true_positive_and_not_its_false_positive() {
        let scanner = SecretScanner::new(&Family::ALL, 3.5).unwrap();
        let mut failures = Vec::new();
        for r in all_rules() {
            let tp = scanner.scan(r.example_tp);
            if !tp.iter().any(|h| h.rule.id == r.id) {
                failures.push(format!(
                    "{}: missed its true positive (got {:?})",
                    r.id,
                    tp.iter().map(|h| h.rule.id).collect::<Vec<_>>()
                ));
            }
            let fp = scanner.scan(r.example_fp);
            if fp.iter().any(|h| h.rule.id == r.id) {
                failures.push(format!("{}: reported its false positive", r.id));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
