//! Version comparison per ecosystem (PEP 440 for PyPI, semver for npm and crates.io) and the
//! OSV range algorithm over `introduced` / `fixed` / `last_affected` events.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

use super::pep440::Pep440;
use crate::packages::Ecosystem;

/// A version in its ecosystem's ordering.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnyVersion {
    /// PEP 440.
    Pep440(Pep440),
    /// Semantic version.
    Semver(semver::Version),
}

/// Parses `v` in the ordering of `eco`. Semver accepts a leading `v`/`=` and missing minor or
/// patch (`1.2` → `1.2.0`) because lockfiles in the wild contain them.
pub fn parse_version(eco: Ecosystem, v: &str) -> Option<AnyVersion> {
    match eco {
        Ecosystem::PyPI => Pep440::parse(v).map(AnyVersion::Pep440),
        Ecosystem::Npm | Ecosystem::CratesIo => parse_semver(v).map(AnyVersion::Semver),
    }
}

/// Lenient semver parse.
pub fn parse_semver(v: &str) -> Option<semver::Version> {
    let t = v.trim().trim_start_matches(['v', '=']);
    if let Ok(s) = semver::Version::parse(t) {
        return Some(s);
    }
    let (core, rest) = match t.find(['-', '+']) {
        Some(i) => (t.get(..i)?, t.get(i..)?),
        None => (t, ""),
    };
    let parts = core.split('.').count();
    let padded = match parts {
        1 => format!("{core}.0.0{rest}"),
        2 => format!("{core}.0{rest}"),
        _ => return None,
    };
    semver::Version::parse(&padded).ok()
}

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version (`0` = from the beginning).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Ranges beyond this are not evaluated (treated as no information).
    Limit(String),
}

impl Event {
    fn version(&self) -> &str {
        match self {
            Self::Introduced(v) | Self::Fixed(v) | Self::LastAffected(v) | Self::Limit(v) => v,
        }
    }
}

fn cmp_event(eco: Ecosystem, a: &str, b: &AnyVersion) -> Option<Ordering> {
    if a == "0" {
        return Some(Ordering::Less); // "introduced: 0" precedes every version
    }
    Some(parse_version(eco, a)?.cmp(b))
}

/// Whether `version` is inside the range described by `events` (OSV semantics).
pub fn in_range(eco: Ecosystem, events: &[Event], version: &AnyVersion) -> bool {
    // Evaluate events in version order: each event at or below the version flips the state.
    let mut sorted: Vec<(Option<AnyVersion>, &Event)> = events
        .iter()
        .filter(|e| !matches!(e, Event::Limit(_)))
        .map(|e| {
            let v = if e.version() == "0" {
                None
            } else {
                parse_version(eco, e.version())
            };
            (v, e)
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut affected = false;
    for (_, e) in sorted {
        match (e, cmp_event(eco, e.version(), version)) {
            (Event::Introduced(_), Some(Ordering::Less | Ordering::Equal)) => affected = true,
            (Event::Fixed(_), Some(Ordering::Less | Ordering::Equal)) => affected = false,
            (Event::LastAffected(_), Some(Ordering::Less)) => affected = false,
            _ => {}
        }
    }
    affected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(s: &str) -> AnyVersion {
        parse_version(Ecosystem::Npm, s).unwrap()
    }

    #[test]
    fn osv_ranges() {
        let fixed = [
            Event::Introduced("1.95.6".into()),
            Event::Fixed("1.95.8".into()),
        ];
        assert!(!in_range(Ecosystem::Npm, &fixed, &sv("1.95.5")));
        assert!(in_range(Ecosystem::Npm, &fixed, &sv("1.95.6")));
        assert!(in_range(Ecosystem::Npm, &fixed, &sv("1.95.7")));
        assert!(!in_range(Ecosystem::Npm, &fixed, &sv("1.95.8")));
        let last = [
            Event::Introduced("4.1.1".into()),
            Event::LastAffected("4.1.2".into()),
        ];
        assert!(in_range(Ecosystem::Npm, &last, &sv("4.1.2")));
        assert!(!in_range(Ecosystem::Npm, &last, &sv("4.1.3")));
        let all = [Event::Introduced("0".into())];
        assert!(in_range(Ecosystem::Npm, &all, &sv("0.0.1")));
        let py = [
            Event::Introduced("1.0".into()),
            Event::Fixed("1.0.post1".into()),
        ];
        let p = |s| parse_version(Ecosystem::PyPI, s).unwrap();
        assert!(in_range(Ecosystem::PyPI, &py, &p("1.0.0")));
        assert!(!in_range(Ecosystem::PyPI, &py, &p("1.0.post1")));
        assert!(!in_range(Ecosystem::PyPI, &py, &p("1.0rc1")));
        assert_eq!(parse_semver("v1.2"), semver::Version::parse("1.2.0").ok());
    }
}
