//! Installed Python distributions (`*.dist-info`): METADATA (name, version, declared URLs) and
//! RECORD (installed paths and their `sha256=` urlsafe-base64 digests), and the checks that use
//! them after the walk has hashed every file: mismatches, missing files, unlisted executables.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use palisade_core::finding::Severity;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::finding::ScanFinding;
use crate::rules;

/// One installed distribution.
#[derive(Debug, Clone, Default)]
pub struct PythonDist {
    /// `Name:` from METADATA.
    pub name: String,
    /// `Version:` from METADATA.
    pub version: String,
    /// Hosts of the URLs the distribution declares (Home-page, Project-URL, Download-URL).
    pub declared_hosts: Vec<String>,
    /// The METADATA file (for findings about the distribution as a whole).
    pub metadata_path: PathBuf,
    /// The RECORD file, if any.
    pub record_path: Option<PathBuf>,
    /// (installed path, expected urlsafe-b64 sha256 or None, RECORD line number).
    pub entries: Vec<(PathBuf, Option<String>, u32)>,
    /// Top-level directories the distribution installs into (for unlisted-file checks).
    pub top_dirs: Vec<PathBuf>,
}

/// Parses the RFC 822-style header block of METADATA.
pub fn parse_metadata(text: &str, metadata_path: &Path) -> PythonDist {
    let mut d = PythonDist {
        metadata_path: metadata_path.to_owned(),
        ..Default::default()
    };
    // Every URL anywhere in METADATA (headers and the long description) counts as declared:
    // a package's own README links are the best statement of which domains it calls its own.
    for (i, _) in text.match_indices("http") {
        if let Some(h) = text.get(i..).and_then(url_host) {
            if h.contains('.') && !d.declared_hosts.contains(&h) {
                d.declared_hosts.push(h);
            }
        }
    }
    for line in text.lines() {
        if line.is_empty() {
            break; // the body (long description) follows the first blank line
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.to_ascii_lowercase().as_str() {
            "name" => d.name = v.to_owned(),
            "version" => d.version = v.to_owned(),
            "home-page" | "download-url" => push_host(&mut d.declared_hosts, v),
            "project-url" => {
                let url = v.split_once(',').map_or(v, |(_, u)| u.trim());
                push_host(&mut d.declared_hosts, url);
            }
            _ => {}
        }
    }
    d
}

fn push_host(hosts: &mut Vec<String>, url: &str) {
    if let Some(h) = url_host(url) {
        if !hosts.contains(&h) {
            hosts.push(h);
        }
    }
}

/// Host of an `http(s)://` URL, lowercased, without port or credentials.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest
        .split(|c: char| !(c.is_ascii_alphanumeric() || ".-_:@[]".contains(c)))
        .next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Parses RECORD (CSV: path,hash,size) relative to the site directory.
pub fn parse_record(d: &mut PythonDist, text: &str, record_path: &Path, site: &Path) {
    d.record_path = Some(record_path.to_owned());
    let mut tops: Vec<PathBuf> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some((path, hash)) = split_record_line(line) else {
            continue;
        };
        let rel = Path::new(&path);
        let full = normalize(&site.join(rel));
        let expected = hash.strip_prefix("sha256=").map(str::to_owned);
        let mut comps = rel.components();
        if let (Some(Component::Normal(first)), Some(_)) = (comps.next(), comps.next()) {
            let top = site.join(first);
            let is_meta = first.to_string_lossy().ends_with(".dist-info");
            if !is_meta && !tops.contains(&top) {
                tops.push(top);
            }
        }
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        d.entries.push((full, expected, line_no));
    }
    d.top_dirs = tops;
}

/// Splits one RECORD row into (path, hash); handles the CSV quoting pip uses for commas.
fn split_record_line(line: &str) -> Option<(String, String)> {
    let line = line.trim_end_matches('\r');
    if line.is_empty() {
        return None;
    }
    let (path, rest) = if let Some(stripped) = line.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = stripped.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if matches!(chars.peek(), Some((_, '"'))) {
                    out.push('"');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                out.push(c);
            }
        }
        let rest = stripped.get(end?..)?.strip_prefix(',')?;
        (out, rest)
    } else {
        let (p, r) = line.split_once(',')?;
        (p.to_owned(), r)
    };
    let hash = rest.split(',').next().unwrap_or("").to_owned();
    Some((path, hash))
}

/// Lexical normalization (`a/b/../c` → `a/c`) so RECORD entries with `..` match walked paths.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Urlsafe base64 without padding, as RECORD spells sha256 digests.
pub fn record_hash(digest: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(digest)
}

/// Compares every RECORD entry with the digest the walk computed (or hashes it now when the
/// file lies outside the scanned roots, e.g. `../../../bin/x`).
pub fn verify_records(
    dists: &[PythonDist],
    digests: &HashMap<PathBuf, [u8; 32]>,
    hash_outside: impl Fn(&Path) -> Option<[u8; 32]>,
    out: &mut Vec<ScanFinding>,
) {
    for d in dists {
        let Some(record) = &d.record_path else {
            continue;
        };
        let record_s = record.to_string_lossy();
        for (path, expected, line) in &d.entries {
            let Some(expected) = expected else { continue };
            let got = digests.get(path).copied().or_else(|| hash_outside(path));
            let rel = path.strip_prefix(record.parent().and_then(Path::parent).unwrap_or(path));
            let rel_s = rel.map_or_else(|_| path.to_string_lossy(), |r| r.to_string_lossy());
            match got {
                Some(g) if record_hash(&g) == expected.trim_end_matches('=') => {}
                Some(_) if appended_certificates(path, expected).is_some() => {
                    let n = appended_certificates(path, expected).unwrap_or(0);
                    out.push(
                        ScanFinding::new(
                            rules::RECORD_CA_APPENDED,
                            Severity::Low,
                            &path.to_string_lossy(),
                            None,
                            &rel_s,
                            format!("{rel_s} is its recorded content plus {n} appended certificate(s): a locally added trust anchor"),
                        )
                        .with_package(&d.name, Some(&d.version)),
                    );
                }
                Some(_) => out.push(
                    ScanFinding::new(
                        rules::RECORD_MISMATCH,
                        Severity::High,
                        &path.to_string_lossy(),
                        None,
                        &rel_s,
                        format!(
                            "{rel_s} does not match the sha256 recorded in {} line {line}: modified after install",
                            record_s
                        ),
                    )
                    .with_package(&d.name, Some(&d.version)),
                ),
                None => out.push(
                    ScanFinding::new(
                        rules::RECORD_MISSING,
                        Severity::Low,
                        &record_s,
                        Some(*line),
                        &rel_s,
                        format!("{rel_s} is listed in RECORD but not installed"),
                    )
                    .with_package(&d.name, Some(&d.version)),
                ),
            }
        }
    }
}

/// When `path` is a PEM bundle whose content is exactly the RECORD-hashed original followed by
/// appended certificates (what CA-injection tools do), the number of appended certificates.
/// Checked by hashing each candidate prefix ending at one of the last certificate markers, so
/// any change other than a pure append is still a mismatch.
fn appended_certificates(path: &Path, expected: &str) -> Option<usize> {
    let ext = path.extension()?.to_str()?;
    if !matches!(ext, "pem" | "crt") {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    const MARK: &[u8] = b"-----BEGIN CERTIFICATE-----";
    let marks: Vec<usize> = bytes
        .windows(MARK.len())
        .enumerate()
        .filter(|(_, w)| *w == MARK)
        .map(|(i, _)| i)
        .collect();
    let expected = expected.trim_end_matches('=');
    for (k, &at) in marks.iter().enumerate().rev().take(16) {
        // The injector may add a separating newline (and the original may lack a final one).
        for cut in [at, at.saturating_sub(1)] {
            let prefix = bytes.get(..cut)?;
            let digest: [u8; 32] =
                sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(prefix))
                    .into();
            if record_hash(&digest) == expected {
                return Some(marks.len() - k);
            }
        }
    }
    None
}

/// Executable files under a distribution's top-level directories that its RECORD does not list.
pub fn unlisted_executables(
    dists: &[PythonDist],
    executables: &[PathBuf],
    out: &mut Vec<ScanFinding>,
) {
    let mut listed: HashMap<&Path, usize> = HashMap::new();
    let mut tops: HashMap<&Path, usize> = HashMap::new();
    for (i, d) in dists.iter().enumerate() {
        if d.record_path.is_none() {
            continue;
        }
        for (p, _, _) in &d.entries {
            listed.insert(p.as_path(), i);
        }
        for t in &d.top_dirs {
            tops.insert(t.as_path(), i);
        }
    }
    for exe in executables {
        if listed.contains_key(exe.as_path())
            || exe.components().any(|c| c.as_os_str() == "__pycache__")
        {
            continue;
        }
        let Some(i) = exe.ancestors().skip(1).find_map(|a| tops.get(a).copied()) else {
            continue;
        };
        let Some(d) = dists.get(i) else { continue };
        let p = exe.to_string_lossy();
        out.push(
            ScanFinding::new(
                rules::RECORD_UNLISTED_EXEC,
                Severity::Medium,
                &p,
                None,
                &p,
                format!(
                    "executable file inside {} {} is not listed in its RECORD",
                    d.name, d.version
                ),
            )
            .with_package(&d.name, Some(&d.version)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_rows_with_quotes_and_parent_dirs() {
        let mut d = PythonDist::default();
        let site = Path::new("/s/lib/py/site-packages");
        parse_record(
            &mut d,
            "pkg/a.py,sha256=abc,3\n\"pkg/we,ird.py\",sha256=def,4\n../../../bin/tool,,\npkg-1.dist-info/RECORD,,\n",
            Path::new("/s/lib/py/site-packages/pkg-1.dist-info/RECORD"),
            site,
        );
        assert_eq!(d.entries.len(), 4);
        assert_eq!(
            d.entries[1].0,
            PathBuf::from("/s/lib/py/site-packages/pkg/we,ird.py")
        );
        assert_eq!(d.entries[1].1.as_deref(), Some("def"));
        assert_eq!(d.entries[2].0, PathBuf::from("/s/bin/tool"));
        assert_eq!(
            d.top_dirs,
            vec![PathBuf::from("/s/lib/py/site-packages/pkg")]
        );
    }

    #[test]
    fn metadata_hosts() {
        let d = parse_metadata(
            "Metadata-Version: 2.1\nName: litellm\nVersion: 1.0\nHome-page: https://litellm.ai\nProject-URL: Source, https://user@github.com:443/BerriAI/litellm\n\nName: body\n",
            Path::new("/m"),
        );
        assert_eq!(d.name, "litellm");
        assert_eq!(d.declared_hosts, vec!["litellm.ai", "github.com"]);
    }
}
