//! Strict TOML configuration: raw serde types with `deny_unknown_fields` (`raw`), validated into
//! the typed [`Config`] (`validate`). Errors name the field and the line of the file.
//!
//! Later features add their settings in `sections/<name>.rs` without touching the root: the root
//! holds each of those sections as an `Option<...>` and passes it through unchanged.

mod error;
mod raw;
pub mod sections;
mod types;
mod validate;
pub mod witness;

pub use error::ConfigError;
pub use raw::RawConfig;
pub use types::{
    AuthConfig, AuthMode, Config, McpServerConfig, ModelRoute, ServerConfig, TlsFiles,
    UpstreamConfig, UpstreamKind,
};

use std::path::Path;

/// Reads, parses and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        file: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    parse(&text, &path.display().to_string(), base)
}

/// Parses and validates config text. `origin` names the file in errors; relative paths in the
/// config (data dir, certificates) are resolved against `base_dir`.
pub fn parse(text: &str, origin: &str, base_dir: &Path) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| error::line_of(text, s.start));
        ConfigError::Syntax {
            file: origin.to_owned(),
            line,
            reason: e.message().to_owned(),
        }
    })?;
    validate::validate(raw, text, origin, base_dir)
}
