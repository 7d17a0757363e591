//! OSV schema import: one JSON record → one [`Advisory`] per supported affected package.

use serde::Deserialize;

use super::model::{Advisory, AdvisoryKind, Affected, Range};
use super::version::Event;
use crate::packages::Ecosystem;

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    affected: Vec<OsvAffected>,
}

#[derive(Deserialize)]
struct OsvAffected {
    package: Option<OsvPackage>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    ranges: Vec<OsvRange>,
}

#[derive(Deserialize)]
struct OsvPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<OsvEvent>,
}

#[derive(Deserialize)]
struct OsvEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

/// Parses one OSV record. Withdrawn records yield nothing; ecosystems the scanner does not
/// read (Go, Maven...) are skipped and counted by the caller.
pub fn parse_osv(text: &str) -> Result<(Vec<Advisory>, usize), String> {
    let rec: OsvRecord = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if rec.id.is_empty() {
        return Err("record has an empty id".into());
    }
    if rec.withdrawn.is_some() {
        return Ok((Vec::new(), 0));
    }
    let malicious = rec.id.starts_with("MAL-") || rec.aliases.iter().any(|a| a.starts_with("MAL-"));
    let mut out = Vec::new();
    let mut skipped = 0;
    for a in rec.affected {
        let Some(pkg) = a.package else { continue };
        let Some(eco) = Ecosystem::from_osv(&pkg.ecosystem) else {
            skipped += 1;
            continue;
        };
        let ranges = a
            .ranges
            .into_iter()
            .filter(|r| r.kind == "SEMVER" || r.kind == "ECOSYSTEM")
            .map(|r| Range {
                kind: r.kind,
                events: r
                    .events
                    .into_iter()
                    .filter_map(|e| {
                        e.introduced
                            .map(Event::Introduced)
                            .or(e.fixed.map(Event::Fixed))
                            .or(e.last_affected.map(Event::LastAffected))
                            .or(e.limit.map(Event::Limit))
                    })
                    .collect(),
            })
            .collect();
        out.push(Advisory {
            id: rec.id.clone(),
            aliases: rec.aliases.clone(),
            ecosystem: eco,
            name: pkg.name,
            kind: if malicious {
                AdvisoryKind::Malicious
            } else {
                AdvisoryKind::Vulnerability
            },
            summary: rec.summary.clone().unwrap_or_default(),
            affected: Affected::Osv {
                versions: a.versions,
                ranges,
            },
        });
    }
    Ok((out, skipped))
}
