//! Typed errors of the policy crate: load/validation problems located by file and line,
//! case-file errors and I/O. Messages are lowercase and quote user input.

use std::fmt;
use std::path::PathBuf;

/// One problem in a policy file, located for humans and CI annotations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceProblem {
    /// File name relative to the policy directory (or the name given to an in-memory source).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Why a policy set could not be loaded, validated or tested.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Reading a file or directory failed.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The shipped schema did not parse (a build defect, caught by a unit test).
    #[error("built-in cedar schema is invalid: {0}")]
    Schema(String),
    /// The directory holds no `.cedar` file: refusing to run with an empty (deny-all) set by accident.
    #[error("no `.cedar` policy files in `{0}`")]
    NoPolicies(PathBuf),
    /// Parse, annotation or strict-validation problems; the set is refused as a whole.
    #[error("policy set invalid ({} problem(s)): {}", .0.len(), join(.0))]
    Invalid(Vec<SourceProblem>),
    /// The case file did not parse or references unknown principals/resources.
    #[error("case file `{path}`: {message}")]
    CaseFile {
        /// The case file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The candidate set loaded but its case file failed: it is not swapped in.
    #[error("policy cases failed: {failed} of {total} ({first})")]
    CasesFailed {
        /// Failed cases.
        failed: usize,
        /// All cases.
        total: usize,
        /// Name and reason of the first failure.
        first: String,
    },
    /// A request could not be mapped to Cedar (unknown action, bad value).
    #[error("invalid request: {0}")]
    Request(String),
}

fn join(problems: &[SourceProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl PolicyError {
    /// The located problems, when this is a validation error (for CLI output and CI annotations).
    pub fn problems(&self) -> &[SourceProblem] {
        match self {
            PolicyError::Invalid(p) => p,
            _ => &[],
        }
    }
}

/// 1-based (line, column) of a byte offset in `text`; offsets past the end clamp to the end.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let end = offset.min(text.len());
    let mut line = 1;
    let mut col = 1;
    for (i, ch) in text.char_indices() {
        if i >= end {
            break;
        }
        if ch == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let t = "ab\ncd\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 4), (2, 2));
        assert_eq!(line_col(t, 999), (3, 1));
    }
}
