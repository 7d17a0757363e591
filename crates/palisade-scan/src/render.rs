//! Human and machine renderings of a report: a terminal table grouped by severity, and JSON.

use palisade_core::finding::Severity;
use std::fmt::Write as _;

use crate::error::ScanError;
use crate::finding::{severity_name, ScanReport};

/// Output formats of `palisade scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Terminal table grouped by severity.
    Table,
    /// The report as JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

impl OutputFormat {
    /// Parses `table|json|sarif`.
    pub fn parse(s: &str) -> Result<Self, ScanError> {
        match s {
            "table" => Ok(Self::Table),
            "json" => Ok(Self::Json),
            "sarif" => Ok(Self::Sarif),
            _ => Err(ScanError::Usage(format!(
                "unknown format {s:?} (expected table, json or sarif)"
            ))),
        }
    }
}

/// Renders `report` in `format`.
pub fn render(report: &ScanReport, format: OutputFormat) -> Result<String, ScanError> {
    match format {
        OutputFormat::Table => Ok(render_table(report)),
        OutputFormat::Json => render_json(report),
        OutputFormat::Sarif => crate::sarif::render_sarif(report),
    }
}

/// The terminal table: one section per severity (worst first), each row `file:line  rule  reason`.
pub fn render_table(report: &ScanReport) -> String {
    let mut s = String::new();
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let rows: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == sev)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "{} ({})",
            severity_name(sev).to_ascii_uppercase(),
            rows.len()
        );
        let width = rows
            .iter()
            .map(|f| location(f).len())
            .max()
            .unwrap_or(0)
            .min(80);
        for f in rows {
            let pkg = match (&f.package, &f.version) {
                (Some(p), Some(v)) => format!(" [{p} {v}]"),
                (Some(p), None) => format!(" [{p}]"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {:<width$}  {:<26}  {}{}",
                location(f),
                f.rule_id,
                f.reason,
                pkg
            );
        }
        s.push('\n');
    }
    let c = report.counts();
    let _ = writeln!(
        s,
        "{} files, {} bytes in {} ms; findings: {} critical, {} high, {} medium, {} low{}",
        report.files_scanned,
        report.bytes_scanned,
        report.elapsed_ms,
        c.critical,
        c.high,
        c.medium,
        c.low,
        if report.suppressed.total() > 0 {
            format!(" ({} accepted by baseline)", report.suppressed.total())
        } else {
            String::new()
        }
    );
    s
}

fn location(f: &crate::finding::ScanFinding) -> String {
    match f.line {
        Some(l) => format!("{}:{l}", f.file),
        None => f.file.clone(),
    }
}

/// The report as pretty JSON (`findings`, counts under `summary`, digest, version).
pub fn render_json(report: &ScanReport) -> Result<String, ScanError> {
    let v = serde_json::json!({
        "scanner": "palisade-scan",
        "scanner_version": report.scanner_version,
        "tree_digest": {"sha256": report.tree_digest},
        "files_scanned": report.files_scanned,
        "bytes_scanned": report.bytes_scanned,
        "elapsed_ms": report.elapsed_ms,
        "suppressed": report.suppressed,
        "summary": report.counts(),
        "findings": report.findings,
    });
    serde_json::to_string_pretty(&v).map_err(|e| ScanError::Serialize {
        what: "json report",
        reason: e.to_string(),
    })
}
