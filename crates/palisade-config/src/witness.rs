//! The config file of `palisade witness serve`: the logs this witness follows, each as its
//! origin and its checkpoint verifier key (C2SP vkey). Strict: unknown fields are errors, the
//! key must parse and be named after the origin (C2SP tlog-checkpoint: the key name is the
//! log's origin), and no origin appears twice.

use crate::error::{line_of, ConfigError};
use palisade_audit::NoteVerifier;
use serde::Deserialize;
use std::path::Path;

/// One followed log, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessedLog {
    /// The log's origin line.
    pub origin: String,
    /// The log's checkpoint verifier key.
    pub key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWitnessFile {
    #[serde(default)]
    log: Vec<WitnessedLog>,
}

/// Reads and validates a witness config; returns the verifier of every followed log.
pub fn load_witness_logs(path: &Path) -> Result<Vec<NoteVerifier>, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    parse_witness_logs(&text, &file)
}

/// Parses witness config text (`origin` names the file in errors).
pub fn parse_witness_logs(text: &str, origin: &str) -> Result<Vec<NoteVerifier>, ConfigError> {
    let raw: RawWitnessFile = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        file: origin.to_owned(),
        line: e.span().map(|s| line_of(text, s.start)),
        reason: e.message().to_owned(),
    })?;
    let invalid = |i: usize, field: &str, reason: String| ConfigError::Invalid {
        file: origin.to_owned(),
        line: None,
        field: format!("log[{i}].{field}"),
        reason,
    };
    let mut out: Vec<NoteVerifier> = Vec::new();
    for (i, l) in raw.log.iter().enumerate() {
        let v = NoteVerifier::parse(&l.key).map_err(|e| invalid(i, "key", e.to_string()))?;
        if v.name() != l.origin {
            return Err(invalid(
                i,
                "key",
                format!("key is named {:?}, not the origin {:?}", v.name(), l.origin),
            ));
        }
        if out.iter().any(|o| o.name() == l.origin) {
            return Err(invalid(i, "origin", format!("{:?} listed twice", l.origin)));
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err(ConfigError::Invalid {
            file: origin.to_owned(),
            line: None,
            field: "log".into(),
            reason: "a witness must follow at least one log ([[log]] origin, key)".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vkey(name: &str) -> String {
        palisade_audit::NoteSigner::generate(name)
            .unwrap()
            .verifier()
            .to_vkey()
    }

    #[test]
    fn witness_config_is_strict() {
        let k = vkey("palisade.test/audit");
        let ok = format!("[[log]]\norigin = \"palisade.test/audit\"\nkey = \"{k}\"\n");
        assert_eq!(parse_witness_logs(&ok, "w.toml").unwrap().len(), 1);
        let twice = format!("{ok}{ok}");
        assert_eq!(
            parse_witness_logs(&twice, "w.toml").unwrap_err().field(),
            Some("log[1].origin")
        );
        let other = format!("[[log]]\norigin = \"other/log\"\nkey = \"{k}\"\n");
        assert!(parse_witness_logs(&other, "w.toml").is_err());
        let unknown = format!("{ok}extra = 1\n");
        assert!(parse_witness_logs(&unknown, "w.toml").is_err());
        assert!(parse_witness_logs("", "w.toml").is_err());
    }
}
