//! `--format sarif`: SARIF 2.1.0 (OASIS) for code-scanning UIs. One rule per detector, one
//! result per finding with a physical location, and the keyed value hash as a partial
//! fingerprint so the same secret is tracked across runs without being stored.

use super::Report;
use palisade_core::Severity;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// Renders the report as a SARIF 2.1.0 log.
pub fn render_sarif(report: &Report) -> String {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    for f in &report.findings {
        let id = f
            .finding
            .detector
            .split(':')
            .next()
            .unwrap_or("")
            .to_owned();
        rules.entry(id.clone()).or_insert_with(|| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": format!("{} ({})", id, f.finding.data_class) },
                "properties": { "data_class": f.finding.data_class.as_str() }
            })
        });
    }
    let index: BTreeMap<&String, usize> = rules.keys().enumerate().map(|(i, k)| (k, i)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let id = f.finding.detector.split(':').next().unwrap_or("").to_owned();
            json!({
                "ruleId": id,
                "ruleIndex": index.get(&id).copied().unwrap_or(0),
                "level": level(f.finding.severity),
                "message": { "text": format!("{} ({}) found: {}", f.finding.detector, f.finding.data_class, f.masked) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.source },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column
                        }
                    }
                }],
                "partialFingerprints": { "palisadeValueHash/v1": f.finding.value_hash },
                "properties": {
                    "data_class": f.finding.data_class.as_str(),
                    "confidence": f.finding.confidence,
                    "severity": f.finding.severity
                }
            })
        })
        .collect();
    let notes: Vec<Value> = report
        .skipped
        .iter()
        .map(|s| json!({ "level": "note", "message": { "text": format!("skipped {}: {}", s.source, s.reason) } }))
        .chain(report.errors.iter().map(|e| json!({ "level": "error", "message": { "text": e } })))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "palisade-inspect",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/palisade",
                "rules": rules.into_values().collect::<Vec<_>>()
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notes
            }],
            "results": results
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".into())
}
