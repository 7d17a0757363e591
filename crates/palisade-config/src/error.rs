//! Config errors: each names the file, the line (from toml's spans) and the offending field.

/// Why a config file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config `{file}`: {reason}")]
    Read {
        /// The file.
        file: String,
        /// The OS error.
        reason: String,
    },
    /// TOML syntax error or a field of the wrong type / unknown field.
    #[error("{file}{}: {reason}", line_suffix(*line))]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line, when toml reported a span.
        line: Option<usize>,
        /// toml's message (names the unknown or mistyped field).
        reason: String,
    },
    /// The file parsed but a value is not acceptable.
    #[error("{file}{}: `{field}`: {reason}", line_suffix(*line))]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line of the value, when known.
        line: Option<usize>,
        /// Dotted field path, e.g. `upstreams[1].base_url`.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

/// 1-based line number of byte offset `pos` in `text`.
pub(crate) fn line_of(text: &str, pos: usize) -> usize {
    let end = pos.min(text.len());
    text.as_bytes()
        .get(..end)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count() + 1)
        .unwrap_or(1)
}

impl ConfigError {
    /// The field the error is about, if it is a validation error.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The line the error points at, if known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Syntax { line, .. } | ConfigError::Invalid { line, .. } => *line,
            ConfigError::Read { .. } => None,
        }
    }
}
