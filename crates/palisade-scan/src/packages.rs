//! Package references found by the scan (installed packages and lockfile pins), the unit that
//! advisory matching works on.

use serde::{Deserialize, Serialize};

/// A package ecosystem as OSV names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Python Package Index (PEP 440 versions).
    PyPI,
    /// npm (semver).
    Npm,
    /// crates.io (semver).
    CratesIo,
}

impl Ecosystem {
    /// The OSV ecosystem string.
    pub fn osv_name(self) -> &'static str {
        match self {
            Self::PyPI => "PyPI",
            Self::Npm => "npm",
            Self::CratesIo => "crates.io",
        }
    }

    /// Parses an OSV ecosystem string (ignoring a `:suffix` such as `Debian:12`).
    pub fn from_osv(s: &str) -> Option<Self> {
        match s.split(':').next().unwrap_or(s) {
            "PyPI" => Some(Self::PyPI),
            "npm" => Some(Self::Npm),
            "crates.io" => Some(Self::CratesIo),
            _ => None,
        }
    }

    /// Canonical package name for lookups: PEP 503 normalization for PyPI, exact otherwise.
    pub fn normalize_name(self, name: &str) -> String {
        match self {
            Self::PyPI => {
                let lower = name.trim().to_ascii_lowercase();
                let mut out = String::with_capacity(lower.len());
                for c in lower.chars() {
                    let c = if c == '_' || c == '.' { '-' } else { c };
                    if !(c == '-' && out.ends_with('-')) {
                        out.push(c);
                    }
                }
                out
            }
            Self::Npm | Self::CratesIo => name.trim().to_owned(),
        }
    }
}

/// One package at one version, and where the scan saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRef {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Name as written.
    pub name: String,
    /// Exact version.
    pub version: String,
    /// File where it was seen.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_names() {
        assert_eq!(
            Ecosystem::PyPI.normalize_name("Foo__Bar.baz"),
            "foo-bar-baz"
        );
        assert_eq!(
            Ecosystem::Npm.normalize_name("@ctrl/tinycolor"),
            "@ctrl/tinycolor"
        );
        assert_eq!(Ecosystem::from_osv("crates.io"), Some(Ecosystem::CratesIo));
        assert_eq!(Ecosystem::from_osv("Go"), None);
    }
}
