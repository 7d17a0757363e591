//! SARIF 2.1.0 output, the shape GitHub code scanning loads: `tool.driver.rules` with ids and
//! help, `results` with `ruleId`, `level`, message, physical location and a partial fingerprint.

use palisade_core::finding::Severity;
use serde_json::{json, Value};

use crate::error::ScanError;
use crate::finding::{severity_name, ScanReport};
use crate::rules::RULES;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (0.0-10.0) drives its critical/high/medium/low badges.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

/// Turns a path into a relative URI when possible (code scanning wants repository-relative
/// paths; absolute ones are given as `file://` URIs).
fn artifact_uri(file: &str) -> String {
    let f = file.trim_start_matches("./");
    if f.starts_with('/') {
        format!("file://{}", f.replace(' ', "%20"))
    } else {
        f.replace(' ', "%20")
    }
}

/// Renders the report as a SARIF 2.1.0 log.
pub fn render_sarif(report: &ScanReport) -> Result<String, ScanError> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.name.replace('-', " ")},
                "fullDescription": {"text": r.help},
                "help": {"text": r.help, "markdown": r.help},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"security-severity": security_severity(r.severity), "tags": ["security", "supply-chain"]},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut region = json!({});
            if let Some(l) = f.line {
                region = json!({"startLine": l});
            }
            let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": artifact_uri(&f.file)}}});
            if f.line.is_some() {
                loc["physicalLocation"]["region"] = region;
            }
            let mut props = json!({"severity": severity_name(f.severity), "security-severity": security_severity(f.severity)});
            if let Some(p) = &f.package {
                props["package"] = json!(p);
            }
            if let Some(v) = &f.version {
                props["version"] = json!(v);
            }
            json!({
                "ruleId": f.rule_id,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule_id),
                "level": level(f.severity),
                "message": {"text": f.reason},
                "locations": [loc],
                "partialFingerprints": {"palisadeFingerprint/v1": f.fingerprint},
                "properties": props,
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "palisade-scan",
                "version": report.scanner_version,
                "semanticVersion": report.scanner_version,
                "informationUri": "https://example.invalid/palisade",
                "rules": rules,
            }},
            "results": results,
            "properties": {"treeDigest": report.tree_digest},
        }],
    });
    serde_json::to_string_pretty(&log).map_err(|e| ScanError::Serialize {
        what: "sarif log",
        reason: e.to_string(),
    })
}
