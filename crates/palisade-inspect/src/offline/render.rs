//! Human and machine renderings of an offline report: a terminal table
//! (file:line:column, detector, data class, confidence, masked value) and JSON.

use super::Report;
use std::fmt::Write as _;

fn lower<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The terminal table, one finding per row, then skipped sources and errors.
pub fn render_table(report: &Report) -> String {
    let rows: Vec<[String; 6]> = report
        .findings
        .iter()
        .map(|f| {
            [
                format!("{}:{}:{}", f.source, f.line, f.column),
                f.finding.detector.clone(),
                f.finding.data_class.to_string(),
                lower(&f.finding.confidence),
                lower(&f.finding.severity),
                f.masked.clone(),
            ]
        })
        .collect();
    let header = [
        "LOCATION",
        "DETECTOR",
        "CLASS",
        "CONFIDENCE",
        "SEVERITY",
        "VALUE",
    ];
    let mut width = header.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let mut l = String::new();
        for (c, w) in cells.iter().zip(width) {
            let _ = write!(l, "{c:<w$}  ");
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header.map(str::to_owned), &mut out);
    for r in &rows {
        line(r, &mut out);
    }
    for s in &report.skipped {
        let _ = writeln!(out, "skipped {}: {}", s.source, s.reason);
    }
    for e in &report.errors {
        let _ = writeln!(out, "error: {e}");
    }
    let _ = writeln!(
        out,
        "{} finding(s) in {} source(s), {} bytes scanned, {} skipped",
        report.findings.len(),
        report.scanned,
        report.bytes,
        report.skipped.len()
    );
    out
}

/// `--format json`: the report as pretty JSON (masked values and keyed hashes only).
pub fn render_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".into())
}
