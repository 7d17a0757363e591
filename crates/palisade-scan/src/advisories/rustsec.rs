//! RustSec advisory files: Markdown with a fenced ```toml front matter (`[advisory]`,
//! `[versions]`), or a bare `.toml` (the older format).

use serde::Deserialize;

use super::model::{Advisory, AdvisoryKind, Affected};
use crate::packages::Ecosystem;

#[derive(Deserialize)]
struct RustsecFile {
    advisory: RustsecAdvisory,
    #[serde(default)]
    versions: Option<RustsecVersions>,
}

#[derive(Deserialize)]
struct RustsecAdvisory {
    id: String,
    package: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
}

#[derive(Deserialize, Default)]
struct RustsecVersions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// Extracts the TOML front matter of a `.md` advisory; `None` when the file has none (so a
/// README in the advisory directory is not an error).
pub fn front_matter(md: &str) -> Option<&str> {
    let rest = md.trim_start().strip_prefix("```toml")?;
    let end = rest.find("\n```")?;
    rest.get(..end)
}

/// Parses one RustSec advisory (TOML text).
pub fn parse_rustsec(toml_text: &str, markdown: Option<&str>) -> Result<Option<Advisory>, String> {
    let f: RustsecFile = toml::from_str(toml_text).map_err(|e| e.message().to_owned())?;
    if f.advisory.withdrawn.is_some() {
        return Ok(None);
    }
    let kind = if f.advisory.categories.iter().any(|c| c == "malicious") {
        AdvisoryKind::Malicious
    } else if f.advisory.informational.is_some() {
        AdvisoryKind::Informational
    } else {
        AdvisoryKind::Vulnerability
    };
    // The title is the first `# ` heading of the Markdown body (or `title` in old TOML files).
    let title = f.advisory.title.clone().or_else(|| {
        markdown?
            .lines()
            .find_map(|l| l.strip_prefix("# ").map(|t| t.trim().to_owned()))
    });
    let summary = match (&f.advisory.informational, title) {
        (Some(info), Some(t)) => format!("{t} ({info})"),
        (None, Some(t)) => t,
        (Some(info), None) => info.clone(),
        (None, None) => String::new(),
    };
    let v = f.versions.unwrap_or_default();
    Ok(Some(Advisory {
        id: f.advisory.id,
        aliases: f.advisory.aliases,
        ecosystem: Ecosystem::CratesIo,
        name: f.advisory.package,
        kind,
        summary,
        affected: Affected::Rustsec {
            patched: v.patched,
            unaffected: v.unaffected,
        },
    }))
}
