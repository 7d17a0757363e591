//! `palisade scan --sbom cyclonedx`: a CycloneDX 1.5 JSON SBOM of the packages a scan read
//! (installed distributions and lockfile pins), with package URLs, the digests the lockfiles
//! pin, and where each package was seen.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use crate::error::ScanError;
use crate::finding::ScanReport;
use crate::packages::{Ecosystem, PackageHash, PackageRef};

/// The format named in the signed verdict's `sbom` field.
pub const FORMAT: &str = "CycloneDX 1.5";

/// Package URL (purl spec): `pkg:cargo/NAME@V`, `pkg:pypi/NAME@V` (PEP 503 name),
/// `pkg:npm/%40SCOPE/NAME@V`.
pub fn purl(eco: Ecosystem, name: &str, version: &str) -> String {
    let (kind, path) = match eco {
        Ecosystem::CratesIo => ("cargo", encode(name.trim())),
        Ecosystem::PyPI => ("pypi", encode(&eco.normalize_name(name))),
        // The scope is the purl namespace; its `@` is percent-encoded like any other.
        Ecosystem::Npm => (
            "npm",
            match name.trim().split_once('/') {
                Some((scope, n)) => format!("{}/{}", encode(scope), encode(n)),
                None => encode(name.trim()),
            },
        ),
    };
    format!("pkg:{kind}/{path}@{}", encode(version.trim()))
}

/// Percent-encodes everything outside the purl spec's unreserved set.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One component: a package version, every digest pinned for it and every place it was seen.
#[derive(Default)]
struct Component<'a> {
    first: Option<&'a PackageRef>,
    hashes: Vec<&'a PackageHash>,
    seen: Vec<String>,
}

/// Builds the SBOM document of `report` created at `now_ms`. The serial number is derived
/// from the content, so the same scan of the same tree yields the same document.
pub fn cyclonedx(report: &ScanReport, now_ms: u64) -> Value {
    let mut by_purl: BTreeMap<String, Component<'_>> = BTreeMap::new();
    for p in &report.packages {
        let c = by_purl
            .entry(purl(p.ecosystem, &p.name, &p.version))
            .or_default();
        c.first.get_or_insert(p);
        c.hashes.extend(&p.hashes);
        c.seen.push(match p.line {
            Some(l) => format!("{}:{l}", p.file),
            None => p.file.clone(),
        });
    }
    let components: Vec<Value> = by_purl
        .iter_mut()
        .filter_map(|(purl, c)| {
            let p = c.first?;
            c.hashes.sort();
            c.hashes.dedup();
            c.seen.sort();
            c.seen.dedup();
            let mut v = json!({
                "type": "library",
                "bom-ref": purl,
                "name": p.name,
                "version": p.version,
                "purl": purl,
                "evidence": {"occurrences": c.seen.iter().map(|s| json!({"location": s})).collect::<Vec<_>>()},
            });
            if !c.hashes.is_empty() {
                v["hashes"] = c
                    .hashes
                    .iter()
                    .map(|h| json!({"alg": h.alg, "content": h.hex}))
                    .collect();
            }
            Some(v)
        })
        .collect();
    let mut h = Sha256::new();
    h.update(report.tree_digest.as_bytes());
    for purl in by_purl.keys() {
        h.update(b"\n");
        h.update(purl.as_bytes());
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": serial_number(&h.finalize()),
        "version": 1,
        "metadata": {
            "timestamp": crate::attest::rfc3339(now_ms),
            "tools": {"components": [{
                "type": "application",
                "name": "palisade-scan",
                "version": report.scanner_version,
            }]},
            "properties": [{"name": "palisade:tree-digest:sha256", "value": report.tree_digest}],
        },
        "components": components,
    })
}

/// `urn:uuid:` of an RFC 9562 version-8 (custom) UUID made of the first 16 bytes of `digest`.
fn serial_number(digest: &[u8]) -> String {
    let mut b = [0u8; 16];
    for (dst, src) in b.iter_mut().zip(digest) {
        *dst = *src;
    }
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

/// The SBOM as pretty JSON bytes and their hex SHA-256.
pub fn render_cyclonedx(report: &ScanReport, now_ms: u64) -> Result<(Vec<u8>, String), ScanError> {
    let mut bytes = serde_json::to_vec_pretty(&cyclonedx(report, now_ms)).map_err(|e| {
        ScanError::Serialize {
            what: "cyclonedx sbom",
            reason: e.to_string(),
        }
    })?;
    bytes.push(b'\n');
    let digest = hex::encode(Sha256::digest(&bytes));
    Ok((bytes, digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_follow_the_spec() {
        assert_eq!(
            purl(Ecosystem::CratesIo, "serde", "1.0.1"),
            "pkg:cargo/serde@1.0.1"
        );
        assert_eq!(
            purl(Ecosystem::PyPI, "Foo_Bar", "2.0"),
            "pkg:pypi/foo-bar@2.0"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "@ctrl/tinycolor", "4.1.1"),
            "pkg:npm/%40ctrl/tinycolor@4.1.1"
        );
        assert_eq!(
            purl(Ecosystem::CratesIo, "x", "1.0.0+meta"),
            "pkg:cargo/x@1.0.0%2Bmeta"
        );
    }

    #[test]
    fn serial_is_a_version_8_uuid() {
        let s = serial_number(&[0xff; 32]);
        assert_eq!(s, "urn:uuid:ffffffff-ffff-8fff-bfff-ffffffffffff");
    }
}
