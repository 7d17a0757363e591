//! Fixture builders for the integration tests: installed Python distributions with correct
//! RECORD files, node_modules packages, and small helpers. Every payload written here is INERT
//! (prints or no-ops); the structure mirrors real attacks, the behaviour does not.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use palisade_scan::{scan, AdvisoryDb, ScanFinding, ScanOptions, ScanReport};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Writes `content` at `dir/rel`, creating parents.
pub fn write(dir: &Path, rel: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    p
}

/// Marks a file executable.
pub fn chmod_x(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Installs a distribution into `site` the way pip does: files, METADATA, RECORD with
/// `sha256=<urlsafe b64 no pad>,size` rows.
pub fn install_dist(site: &Path, name: &str, version: &str, home: &str, files: &[(&str, &[u8])]) {
    let info = format!("{}-{}.dist-info", name.replace('-', "_"), version);
    let metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nHome-page: {home}\n\nA test package.\n");
    let mut record = String::new();
    let mut all: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(r, c)| (r.to_string(), c.to_vec()))
        .collect();
    all.push((format!("{info}/METADATA"), metadata.into_bytes()));
    for (rel, content) in &all {
        write(site, rel, content);
        let h = URL_SAFE_NO_PAD.encode(Sha256::digest(content));
        record.push_str(&format!("{rel},sha256={h},{}\n", content.len()));
    }
    record.push_str(&format!("{info}/RECORD,,\n"));
    write(site, &format!("{info}/RECORD"), record.as_bytes());
}

/// Installs an npm package under `root/node_modules/<name>` with the given package.json extras.
pub fn install_npm(
    root: &Path,
    name: &str,
    version: &str,
    extra_json: &str,
    files: &[(&str, &str)],
) -> PathBuf {
    let dir = root.join("node_modules").join(name);
    let manifest = format!("{{\"name\":\"{name}\",\"version\":\"{version}\"{extra_json}}}");
    write(&dir, "package.json", manifest.as_bytes());
    for (rel, c) in files {
        write(&dir, rel, c.as_bytes());
    }
    dir
}

/// Scans one directory with default options.
pub fn scan_dir(dir: &Path, db: &AdvisoryDb) -> ScanReport {
    scan(&[dir.to_path_buf()], &ScanOptions::default(), db).unwrap()
}

/// Findings of one rule.
pub fn of_rule<'a>(r: &'a ScanReport, rule: &str) -> Vec<&'a ScanFinding> {
    r.findings.iter().filter(|f| f.rule_id == rule).collect()
}

/// A one-line dump for assertion messages.
pub fn dump(r: &ScanReport) -> String {
    r.findings
        .iter()
        .map(|f| {
            format!(
                "{:?} {} {}:{:?} {}",
                f.severity, f.rule_id, f.file, f.line, f.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
