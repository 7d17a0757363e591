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

/// Byte offsets of every `\n` of a text, to turn offsets into line:column without rescanning
/// the text from its start for every finding.
struct Lines<'a> {
    text: &'a str,
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        }
    }

    /// 1-based line and column (in characters) of byte offset `byte`.
    fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        if !self.text.is_char_boundary(byte) {
            // Not an offset into the text's characters: reported as the start, as before.
            return (1, 1);
        }
        let before = self.newlines.partition_point(|&p| p < byte);
        let line_start = before
            .checked_sub(1)
            .and_then(|i| self.newlines.get(i))
            .map_or(0, |p| p + 1);
        let col = self
            .text
            .get(line_start..byte)
            .map_or(0, |s| s.chars().count())
            + 1;
        (before + 1, col)
    }
}

/// Locates findings of one source text.
pub fn locate(source: &str, text: &str, findings: Vec<Finding>) -> Vec<Located> {
    if findings.is_empty() {
        return Vec::new();
    }
    let lines = Lines::new(text);
    findings
        .into_iter()
        .map(|f| {
            let (line, column) = lines.line_col(f.start);
            let (end_line, end_column) = lines.line_col(f.end);
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

/// How much of a file's start is checked for a NUL byte.
const BINARY_PROBE: usize = 8192;

fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, bytes.get(..BINARY_PROBE).unwrap_or(bytes)).is_some()
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
    let (report_ref, files_ref, bytes_ref) = (&report, &files, &bytes);
    builder.build_parallel().run(|| {
        let mut buf = Vec::new();
        let (report, files, bytes) = (report_ref, files_ref, bytes_ref);
        Box::new(move |entry| {
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
                let outcome = scan_file_into(engine, entry.path(), opts, &mut buf);
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
    scan_file_into(engine, path, opts, &mut Vec::new())
}

/// `scan_file` reading into `buf` (one buffer per walker thread, reused across files).
fn scan_file_into(engine: &Engine, path: &Path, opts: &ScanOptions, buf: &mut Vec<u8>) -> Report {
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
    match read_text_file(path, buf) {
        Ok(true) => {}
        Ok(false) => {
            r.skipped.push(Skipped {
                source,
                reason: "binary".into(),
            });
            return r;
        }
        Err(e) => {
            r.errors.push(format!("{source}: {e}"));
            return r;
        }
    }
    // Valid UTF-8 (almost every text file) is borrowed after the fast validation; only
    // invalid files pay for the lossy conversion.
    let text = match std::str::from_utf8(buf) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(buf),
    };
    r.scanned = 1;
    r.bytes = buf.len() as u64;
    r.findings = scan_text(engine, &source, &text);
    r
}

/// Reads `path` into `buf`; `Ok(false)` (and only the first block read) when the file is
/// binary, i.e. has a NUL byte within its first `BINARY_PROBE` bytes.
fn read_text_file(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    use std::io::Read;
    buf.clear();
    let mut f = std::fs::File::open(path)?;
    (&mut f).take(BINARY_PROBE as u64).read_to_end(buf)?;
    if is_binary(buf) {
        return Ok(false);
    }
    f.read_to_end(buf)?;
    Ok(true)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition `Lines` replaces: count from the start of the text for each offset.
    fn line_col_slow(text: &str, byte: usize) -> (usize, usize) {
        let byte = byte.min(text.len());
        let before = text.get(..byte).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, col)
    }

    #[test]
    fn line_index_agrees_with_counting_from_the_start() {
        for text in [
            "",
            "a",
            "\n",
            "ab\ncd\n\n\u{e9}f\ng",
            "\u{1F600}x\n\u{e9}\u{e9}\nend",
        ] {
            let lines = Lines::new(text);
            for byte in 0..=text.len() + 2 {
                assert_eq!(
                    lines.line_col(byte),
                    line_col_slow(text, byte),
                    "{text:?} {byte}"
                );
            }
        }
    }
}
