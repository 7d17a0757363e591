//! The offline scanner behind `palisade inspect`: files and directories (recursive, honouring
//! `.gitignore`, skipping binaries and oversized files with a note), stdin, and JSONL corpora
//! (`{"id":..,"text":..}` per line, reported per id). It runs the very same `Engine` as the
//! gateway; only the input plumbing and the renderers live here.

pub mod render;
pub mod sarif;

use crate::engine::Engine;
use palisade_core::{Finding, LeafKind, Severity};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Options of an offline scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Files larger than this are skipped with a note.
    pub max_file_size: u64,
    /// Worker threads for directory walks.
    pub threads: usize,
    /// Honour `.gitignore`, `.ignore` and git excludes.
    pub respect_gitignore: bool,
    /// Descend into hidden files and directories.
    pub hidden: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            max_file_size: 10 * 1024 * 1024,
            threads: 2,
            respect_gitignore: true,
            hidden: false,
        }
    }
}

/// Progress of a directory scan, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Files scanned or skipped so far.
    pub files: u64,
    /// Bytes scanned so far.
    pub bytes: u64,
}

/// One finding located in a source (file path, `-` for stdin, or a JSONL id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    /// File path, `-`, or JSONL id.
    pub source: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// 1-based end column (exclusive, characters).
    pub end_column: usize,
    /// The matched value masked except a short prefix.
    pub masked: String,
    /// The finding (metadata and keyed hash only).
    pub finding: Finding,
}

/// A source that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Path.
    pub source: String,
    /// Reason (`binary`, `larger than N bytes`, ...).
    pub reason: String,
}

/// The result of an offline scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Findings sorted by source, line, column.
    pub findings: Vec<Located>,
    /// Sources skipped with a note.
    pub skipped: Vec<Skipped>,
    /// Errors (unreadable files, bad JSONL lines); any error makes the exit code 2.
    pub errors: Vec<String>,
    /// Sources scanned.
    pub scanned: u64,
    /// Bytes scanned.
    pub bytes: u64,
}

/// Masks a value: a short prefix (at most 4 characters and a quarter of the value) then `***`.
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    let keep = (n / 4).min(4);
    let prefix: String = value.chars().take(keep).collect();
    format!("{prefix}***({n} chars)")
}

fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let byte = byte.min(text.len());
    let before = text.get(..byte).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// Locates findings of one source text.
pub fn locate(source: &str, text: &str, findings: Vec<Finding>) -> Vec<Located> {
    findings
        .into_iter()
        .map(|f| {
            let (line, column) = line_col(text, f.start);
            let (end_line, end_column) = line_col(text, f.end);
            Located {
                source: source.to_owned(),
                line,
                column,
                end_line,
                end_column,
                masked: mask(text.get(f.start..f.end).unwrap_or("")),
                finding: f,
            }
        })
        .collect()
}

/// Scans one in-memory text (stdin, a test input) exactly as a file would be.
pub fn scan_text(engine: &Engine, source: &str, text: &str) -> Vec<Located> {
    let findings = engine.scan_document(source, LeafKind::Other, text);
    locate(source, text, findings)
}

/// `--jsonl`: each non-empty line is `{"id": string|number, "text": string}`; findings are
/// reported per id. Bad lines become errors (exit code 2), the rest is still scanned.
pub fn scan_jsonl(engine: &Engine, input: &str) -> Report {
    let mut report = Report::default();
    for (n, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                report.errors.push(format!("jsonl line {}: {e}", n + 1));
                continue;
            }
        };
        let id = match v.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(x)) => x.to_string(),
            _ => {
                report.errors.push(format!(
                    "jsonl line {}: missing string or number `id`",
                    n + 1
                ));
                continue;
            }
        };
        let Some(text) = v.get("text").and_then(|t| t.as_str()) else {
            report
                .errors
                .push(format!("jsonl line {}: missing string `text`", n + 1));
            continue;
        };
        report.scanned += 1;
        report.bytes += text.len() as u64;
        report.findings.extend(scan_text(engine, &id, text));
    }
    report
}

fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, bytes.get(..8192).unwrap_or(bytes)).is_some()
}

/// Scans files and directories (recursively) in parallel; `progress` is called after each file.
pub fn scan_paths(
    engine: &Engine,
    paths: &[PathBuf],
    opts: &ScanOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Report {
    let Some((first, rest)) = paths.split_first() else {
        return Report::default();
    };
    let mut builder = ignore::WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    builder
        .threads(opts.threads.max(1))
        .hidden(!opts.hidden)
        .git_ignore(opts.respect_gitignore)
        .git_global(opts.respect_gitignore)
        .git_exclude(opts.respect_gitignore)
        .ignore(opts.respect_gitignore)
        .parents(opts.respect_gitignore)
        .require_git(false);
    let report = Mutex::new(Report::default());
    let files = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    if let Ok(mut r) = report.lock() {
                        r.errors.push(e.to_string());
                    }
                    return ignore::WalkState::Continue;
                }
            };
            if entry.file_type().is_some_and(|t| t.is_file()) {
                let outcome = scan_file(engine, entry.path(), opts);
                let n = outcome.bytes;
                if let Ok(mut r) = report.lock() {
                    r.merge(outcome);
                }
                let f = files.fetch_add(1, Ordering::Relaxed) + 1;
                let b = bytes.fetch_add(n, Ordering::Relaxed) + n;
                progress(Progress { files: f, bytes: b });
            }
            ignore::WalkState::Continue
        })
    });
    let mut r = report.into_inner().unwrap_or_default();
    r.findings.sort_by(|a, b| {
        (&a.source, a.line, a.column, &a.finding.detector).cmp(&(
            &b.source,
            b.line,
            b.column,
            &b.finding.detector,
        ))
    });
    r.skipped.sort_by(|a, b| a.source.cmp(&b.source));
    r.errors.sort();
    r
}

impl Report {
    fn merge(&mut self, other: Report) {
        self.findings.extend(other.findings);
        self.skipped.extend(other.skipped);
        self.errors.extend(other.errors);
        self.scanned += other.scanned;
        self.bytes += other.bytes;
    }

    /// The highest severity found, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.finding.severity).max()
    }
}

/// Scans one file into a partial report.
pub fn scan_file(engine: &Engine, path: &Path, opts: &ScanOptions) -> Report {
    let mut r = Report::default();
    let source = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.len() > opts.max_file_size => {
            r.skipped.push(Skipped {
                source,
                reason: format!("larger than {} bytes", opts.max_file_size),
            });
            return r;
        }
        Ok(_) => {}
        Err(e) => {
            r.errors.push(format!("{source}: {e}"));
            return r;
        }
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            r.errors.push(format!("{source}: {e}"));
            return r;
        }
    };
    if is_binary(&bytes) {
        r.skipped.push(Skipped {
            source,
            reason: "binary".into(),
        });
        return r;
    }
    let text = String::from_utf8_lossy(&bytes);
    r.scanned = 1;
    r.bytes = bytes.len() as u64;
    r.findings = scan_text(engine, &source, &text);
    r
}

/// `--fail-on`: the severity at or above which findings make the exit code 1.
pub fn exit_code(report: &Report, fail_on: Severity) -> i32 {
    if !report.errors.is_empty() {
        2
    } else if report
        .findings
        .iter()
        .any(|f| f.finding.severity >= fail_on)
    {
        1
    } else {
        0
    }
}
