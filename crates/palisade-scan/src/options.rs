//! `ScanOptions`: what a scan reads and how (threads, size cap, which checks, progress).

use std::fmt;
use std::sync::Arc;

/// Progress of a running scan, reported every few hundred files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Files processed so far.
    pub files_done: u64,
    /// Files found by the walk.
    pub files_total: u64,
}

/// Callback receiving [`Progress`]; called from worker threads.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Scan configuration.
#[derive(Clone)]
pub struct ScanOptions {
    /// Worker threads reading and analyzing files (default 2, the target machine's core count).
    pub threads: usize,
    /// Files larger than this are hashed (streaming) but not analyzed as text. Default 8 MiB.
    pub max_analyze_bytes: u64,
    /// Recompute RECORD hashes of installed Python files (default true).
    pub verify_record: bool,
    /// Run the Python/JavaScript source heuristics (default true).
    pub source_heuristics: bool,
    /// Directory names never entered (default `.git`, `.hg`, `.svn`).
    pub skip_dirs: Vec<String>,
    /// Progress callback for large trees.
    pub progress: Option<ProgressFn>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            threads: 2,
            max_analyze_bytes: 8 * 1024 * 1024,
            verify_record: true,
            source_heuristics: true,
            skip_dirs: vec![".git".into(), ".hg".into(), ".svn".into()],
            progress: None,
        }
    }
}

impl fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanOptions")
            .field("threads", &self.threads)
            .field("max_analyze_bytes", &self.max_analyze_bytes)
            .field("verify_record", &self.verify_record)
            .field("source_heuristics", &self.source_heuristics)
            .field("skip_dirs", &self.skip_dirs)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}
