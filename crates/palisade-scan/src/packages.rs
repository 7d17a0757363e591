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
    /// Artifact digests the lockfile pins for this package (none for installed packages).
    pub hashes: Vec<PackageHash>,
}

/// One artifact digest from a lockfile, as CycloneDX records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageHash {
    /// CycloneDX algorithm name: `SHA-256`, `SHA-384` or `SHA-512`.
    pub alg: &'static str,
    /// Lowercase hex digest.
    pub hex: String,
}

impl PackageHash {
    /// Reads `sha256:HEX` (pip `--hash`, poetry/uv) or an SRI `sha512-BASE64` (npm
    /// `integrity`). Anything else (md5, sha1, malformed) is not a pin worth recording.
    pub fn parse(s: &str) -> Option<Self> {
        use base64::Engine as _;
        let s = s.trim();
        if let Some((alg, b64)) = s.split_once('-') {
            if let (Some(alg), Ok(raw)) = (
                Self::alg_name(alg),
                base64::engine::general_purpose::STANDARD.decode(b64),
            ) {
                return Self::checked(alg, hex::encode(raw));
            }
        }
        let (alg, hex) = s.split_once(':')?;
        Self::checked(Self::alg_name(alg)?, hex.to_ascii_lowercase())
    }

    /// A bare hex SHA-256 (Cargo.lock `checksum`).
    pub fn sha256_hex(hex: &str) -> Option<Self> {
        Self::checked("SHA-256", hex.to_ascii_lowercase())
    }

    fn alg_name(alg: &str) -> Option<&'static str> {
        match alg {
            "sha256" => Some("SHA-256"),
            "sha384" => Some("SHA-384"),
            "sha512" => Some("SHA-512"),
            _ => None,
        }
    }

    fn checked(alg: &'static str, hex: String) -> Option<Self> {
        let len = match alg {
            "SHA-256" => 64,
            "SHA-384" => 96,
            _ => 128,
        };
        (hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(Self { alg, hex })
    }
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

    #[test]
    fn lockfile_hashes() {
        let h = PackageHash::parse("sha256:AB");
        assert_eq!(h, None, "a short digest is not a pin");
        let hex64 = "a".repeat(64);
        assert_eq!(
            PackageHash::parse(&format!("sha256:{hex64}")),
            Some(PackageHash {
                alg: "SHA-256",
                hex: hex64.clone()
            })
        );
        // SRI: base64 of 64 zero bytes.
        let sri = format!("sha512-{}", "A".repeat(86) + "==");
        assert_eq!(
            PackageHash::parse(&sri).map(|h| h.hex),
            Some("0".repeat(128))
        );
        assert_eq!(PackageHash::parse("sha1-AAAA"), None);
        assert_eq!(
            PackageHash::sha256_hex(&hex64).map(|h| h.alg),
            Some("SHA-256")
        );
    }
}
