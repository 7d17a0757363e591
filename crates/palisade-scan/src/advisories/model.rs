//! The advisory model shared by the OSV and RustSec importers, the store and the matcher.

use serde::{Deserialize, Serialize};

use super::version::{in_range, parse_semver, parse_version, Event};
use crate::packages::Ecosystem;

/// What kind of advisory it is; decides the finding's rule and severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryKind {
    /// Malicious package (OSV `MAL-`, RustSec category `malicious`).
    Malicious,
    /// A vulnerability.
    Vulnerability,
    /// Informational (unmaintained, unsound, notice).
    Informational,
}

/// One OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `SEMVER`, `ECOSYSTEM` (`GIT` ranges are dropped on import: no commit to compare).
    pub kind: String,
    /// Events in file order.
    pub events: Vec<Event>,
}

/// Which versions are affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Affected {
    /// OSV: explicit versions and/or ranges.
    Osv {
        /// Explicitly listed versions.
        versions: Vec<String>,
        /// Ranges.
        ranges: Vec<Range>,
    },
    /// RustSec: affected unless a `patched` or `unaffected` requirement matches.
    Rustsec {
        /// Semver requirements of fixed versions.
        patched: Vec<String>,
        /// Semver requirements of never-affected versions.
        unaffected: Vec<String>,
    },
}

/// One advisory about one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// Advisory id (`MAL-2026-2144`, `RUSTSEC-2025-0009`).
    pub id: String,
    /// Aliases (CVE, GHSA, PYSEC...).
    pub aliases: Vec<String>,
    /// Ecosystem of the package.
    pub ecosystem: Ecosystem,
    /// Package name as the advisory spells it.
    pub name: String,
    /// Kind.
    pub kind: AdvisoryKind,
    /// One-line summary.
    pub summary: String,
    /// Affected versions.
    pub affected: Affected,
}

impl Advisory {
    /// Whether `version` is affected. Unparseable versions match only explicit version lists
    /// (string equality), never ranges: a range check on a version we cannot order is a guess.
    pub fn affects(&self, version: &str) -> bool {
        match &self.affected {
            Affected::Osv { versions, ranges } => {
                if versions.iter().any(|v| v == version) {
                    return true;
                }
                let Some(parsed) = parse_version(self.ecosystem, version) else {
                    return false;
                };
                if versions
                    .iter()
                    .filter_map(|v| parse_version(self.ecosystem, v))
                    .any(|v| v == parsed)
                {
                    return true;
                }
                ranges
                    .iter()
                    .any(|r| in_range(self.ecosystem, &r.events, &parsed))
            }
            Affected::Rustsec {
                patched,
                unaffected,
            } => {
                let Some(v) = parse_semver(version) else {
                    return false;
                };
                let matches = |reqs: &[String]| {
                    reqs.iter()
                        .filter_map(|r| semver::VersionReq::parse(r).ok())
                        .any(|r| r.matches(&v))
                };
                !matches(patched) && !matches(unaffected)
            }
        }
    }
}
