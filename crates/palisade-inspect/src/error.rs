//! Typed errors of the inspection crate. Messages are lowercase and never quote matched content,
//! keys or canary tokens: only paths, line numbers and counts.

use std::path::PathBuf;

/// Everything that can go wrong loading or running the inspection engine.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// A file or directory could not be read or written.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A state file in the data dir is not valid JSON of the expected shape.
    #[error("corrupt state file {path}: {message}")]
    CorruptState {
        /// The file.
        path: PathBuf,
        /// What was wrong (no content echoed).
        message: String,
    },
    /// A built-in or configured pattern failed to compile.
    #[error("pattern `{id}` does not compile: {message}")]
    Pattern {
        /// Rule id.
        id: String,
        /// Compiler message.
        message: String,
    },
    /// The configuration is inconsistent.
    #[error("invalid inspect config: {0}")]
    Config(String),
    /// The exact-data-match CSV is malformed.
    #[error("edm csv {path} line {line}: {message}")]
    EdmCsv {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong (no cell content echoed).
        message: String,
    },
    /// An unknown canary kind was asked for.
    #[error("unknown canary kind `{0}` (expected aws-key, url or doc-id)")]
    CanaryKind(String),
    /// A protected document has too little text to fingerprint.
    #[error("document {0} has too few words to fingerprint (need at least 20)")]
    DocumentTooShort(PathBuf),
}

impl InspectError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        InspectError::Io {
            path: path.into(),
            source,
        }
    }
}
