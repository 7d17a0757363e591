//! What the scanner reports: one finding (rule, severity, file, line, reason, package) with a
//! stable fingerprint for baselines, and the report that gathers them.

use palisade_core::finding::Severity;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ScanError;

/// One scanner finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFinding {
    /// Stable rule id (see [`crate::rules::RULES`]).
    pub rule_id: String,
    /// How bad it is.
    pub severity: Severity,
    /// The file, as given on the command line joined with the walked path.
    pub file: String,
    /// 1-based line, when the finding is tied to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Why it was reported, in one sentence.
    pub reason: String,
    /// Package name, when relevant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Package version, when relevant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `rule + file + stable hash of the line content`, hex; what baselines match on.
    pub fingerprint: String,
}

impl ScanFinding {
    /// Builds a finding; `line_text` is the content the fingerprint covers (the matched line,
    /// or a stable key such as `name@version` when there is no line).
    pub fn new(
        rule_id: &str,
        severity: Severity,
        file: &str,
        line: Option<u32>,
        line_text: &str,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            rule_id: rule_id.to_owned(),
            severity,
            file: file.to_owned(),
            line,
            reason: reason.into(),
            package: None,
            version: None,
            fingerprint: fingerprint(rule_id, file, line_text),
        }
    }

    /// Attaches a package name and version.
    pub fn with_package(mut self, name: &str, version: Option<&str>) -> Self {
        self.package = Some(name.to_owned());
        self.version = version.map(str::to_owned);
        self
    }
}

/// Fingerprint = sha256(rule NUL file NUL trimmed line), first 16 bytes in hex. The line is
/// trimmed and inner whitespace collapsed so re-indenting does not revive accepted findings,
/// while the line number is left out so edits above it do not either.
pub fn fingerprint(rule_id: &str, file: &str, line_text: &str) -> String {
    let normalized: Vec<&str> = line_text.split_whitespace().collect();
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(file.as_bytes());
    h.update([0]);
    h.update(normalized.join(" ").as_bytes());
    let digest = h.finalize();
    hex::encode(digest.get(..16).unwrap_or(&digest[..]))
}

/// Count of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    /// Low findings.
    pub low: u64,
    /// Medium findings.
    pub medium: u64,
    /// High findings.
    pub high: u64,
    /// Critical findings.
    pub critical: u64,
}

impl SeverityCounts {
    /// Counts `findings` by severity.
    pub fn of(findings: &[ScanFinding]) -> Self {
        let mut c = Self::default();
        for f in findings {
            c.add(f.severity);
        }
        c
    }

    /// Total count.
    pub fn total(&self) -> u64 {
        self.low + self.medium + self.high + self.critical
    }

    /// Adds one finding of severity `s`.
    pub fn add(&mut self, s: Severity) {
        match s {
            Severity::Low => self.low += 1,
            Severity::Medium => self.medium += 1,
            Severity::High => self.high += 1,
            Severity::Critical => self.critical += 1,
        }
    }

    /// The highest severity with a non-zero count.
    pub fn max(&self) -> Option<Severity> {
        [
            (self.critical, Severity::Critical),
            (self.high, Severity::High),
            (self.medium, Severity::Medium),
            (self.low, Severity::Low),
        ]
        .into_iter()
        .find(|(n, _)| *n > 0)
        .map(|(_, s)| s)
    }
}

/// The result of one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Findings, sorted by severity (worst first), then file and line.
    pub findings: Vec<ScanFinding>,
    /// Findings accepted by a baseline and removed from `findings`, by severity (kept so an
    /// attestation verifier can refuse reports whose criticals were baselined away).
    pub suppressed: SeverityCounts,
    /// Files read.
    pub files_scanned: u64,
    /// Bytes read.
    pub bytes_scanned: u64,
    /// Hex sha256 over the sorted (path, sha256(content)) of every file scanned.
    pub tree_digest: String,
    /// Wall time of the scan in milliseconds.
    pub elapsed_ms: u64,
    /// Scanner version (crate version).
    pub scanner_version: String,
    /// Every package the scan read (installed distributions and lockfile pins), for the SBOM.
    /// Not part of the JSON report, which lists findings.
    #[serde(skip)]
    pub packages: Vec<crate::packages::PackageRef>,
    /// Hex SHA-256 of the SBOM written for this scan, if one was; the signed verdict carries it.
    #[serde(skip)]
    pub sbom_sha256: Option<String>,
}

impl ScanReport {
    /// Counts by severity.
    pub fn counts(&self) -> SeverityCounts {
        SeverityCounts::of(&self.findings)
    }

    /// Sorts findings worst first, then by file and line, so every output is deterministic.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.file.cmp(&b.file))
                .then_with(|| a.line.cmp(&b.line))
                .then_with(|| a.rule_id.cmp(&b.rule_id))
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
        self.findings.dedup_by(|a, b| {
            a.fingerprint == b.fingerprint && a.line == b.line && a.reason == b.reason
        });
    }
}

/// Parses `low|medium|high|critical` (case-insensitive).
pub fn parse_severity(s: &str) -> Result<Severity, ScanError> {
    match s.to_ascii_lowercase().as_str() {
        "low" => Ok(Severity::Low),
        "medium" => Ok(Severity::Medium),
        "high" => Ok(Severity::High),
        "critical" => Ok(Severity::Critical),
        _ => Err(ScanError::Usage(format!(
            "unknown severity {s:?} (expected low, medium, high or critical)"
        ))),
    }
}

/// Lowercase name of a severity.
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// Exit code semantics of `palisade scan`: 0 when no finding is at or above `fail_on`, 1
/// otherwise. (2, an error, is the caller's to return when the scan itself failed.)
pub fn exit_code(report: &ScanReport, fail_on: Severity) -> i32 {
    if report.findings.iter().any(|f| f.severity >= fail_on) {
        1
    } else {
        0
    }
}
