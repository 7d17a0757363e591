//! Advisories: OSV and RustSec import into the embedded store (`palisade_store::Store`,
//! component `scan`), loading into an in-memory index, and matching packages against it.

mod model;
mod osv;
pub mod pep440;
mod rustsec;
pub mod version;

pub use model::{Advisory, AdvisoryKind, Affected, Range};

use palisade_core::finding::Severity;
use palisade_store::rusqlite::params;
use palisade_store::Store;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::ScanError;
use crate::finding::ScanFinding;
use crate::packages::{Ecosystem, PackageRef};
use crate::rules;

/// The scanner's migrations in the shared store. Append-only.
const MIGRATIONS: &[&str] = &["CREATE TABLE scan_advisories (
        id TEXT NOT NULL,
        ecosystem TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        record TEXT NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (id, ecosystem, name)
    )"];

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Advisory files read.
    pub files: usize,
    /// (advisory, package) rows written (inserted or replaced).
    pub records: usize,
    /// Of those, malicious-package records.
    pub malicious: usize,
    /// Affected entries skipped because their ecosystem is not scanned.
    pub skipped_ecosystems: usize,
}

/// Reads every advisory file under `dir` (`*.json` OSV; `*.md` / `*.toml` RustSec) and upserts
/// them into the store in one transaction: a bad file aborts the whole import (fail closed,
/// the store never holds half a feed).
pub fn import_advisories(store: &Store, dir: &Path) -> Result<ImportStats, ScanError> {
    store.migrate("scan", MIGRATIONS)?;
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.map_err(|e| {
            let path = e.path().map_or_else(|| dir.to_owned(), Path::to_owned);
            ScanError::io(
                &path,
                e.into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("walk failed")),
            )
        })?;
        if entry.file_type().is_file() {
            files.push(entry.into_path());
        }
    }
    files.sort();
    let mut stats = ImportStats::default();
    let mut parsed: Vec<(Advisory, String)> = Vec::new();
    for path in files {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "json" | "md" | "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ScanError::io(&path, e))?;
        let bad = |reason: String| ScanError::Advisory {
            path: path.clone(),
            reason,
        };
        let advisories = match ext {
            "json" => {
                let (a, skipped) = osv::parse_osv(&text).map_err(bad)?;
                stats.skipped_ecosystems += skipped;
                a
            }
            "md" => match rustsec::front_matter(&text) {
                Some(front) => rustsec::parse_rustsec(front, Some(&text))
                    .map_err(bad)?
                    .into_iter()
                    .collect(),
                None => continue,
            },
            _ => rustsec::parse_rustsec(&text, None)
                .map_err(bad)?
                .into_iter()
                .collect(),
        };
        stats.files += 1;
        let source = path.to_string_lossy().into_owned();
        parsed.extend(advisories.into_iter().map(|a| (a, source.clone())));
    }
    let rows: Vec<(Advisory, String, String)> = parsed
        .into_iter()
        .map(|(a, s)| {
            let json = serde_json::to_string(&a).map_err(|e| ScanError::Serialize {
                what: "advisory",
                reason: e.to_string(),
            })?;
            Ok((a, s, json))
        })
        .collect::<Result<_, ScanError>>()?;
    stats.records = rows.len();
    stats.malicious = rows
        .iter()
        .filter(|(a, _, _)| a.kind == AdvisoryKind::Malicious)
        .count();
    store.with_tx(|tx| {
        let mut stmt = tx.prepare(
            "INSERT INTO scan_advisories (id, ecosystem, name, kind, record, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(id, ecosystem, name) DO UPDATE SET kind = excluded.kind, record = excluded.record, source = excluded.source",
        )?;
        for (a, source, json) in &rows {
            let kind = match a.kind {
                AdvisoryKind::Malicious => "malicious",
                AdvisoryKind::Vulnerability => "vulnerability",
                AdvisoryKind::Informational => "informational",
            };
            stmt.execute(params![a.id, a.ecosystem.osv_name(), a.ecosystem.normalize_name(&a.name), kind, json, source])?;
        }
        Ok(())
    })?;
    Ok(stats)
}

/// Advisories indexed by (ecosystem, normalized name).
#[derive(Debug, Clone, Default)]
pub struct AdvisoryDb {
    by_package: HashMap<(Ecosystem, String), Vec<Advisory>>,
}

impl AdvisoryDb {
    /// An empty database (scans still run every other rule).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds an index from advisories (tests, or callers with their own feed).
    pub fn from_advisories(list: impl IntoIterator<Item = Advisory>) -> Self {
        let mut db = Self::default();
        for a in list {
            db.by_package
                .entry((a.ecosystem, a.ecosystem.normalize_name(&a.name)))
                .or_default()
                .push(a);
        }
        db
    }

    /// Loads every imported advisory from the store.
    pub fn load(store: &Store) -> Result<Self, ScanError> {
        store.migrate("scan", MIGRATIONS)?;
        let records: Vec<String> = store.with(|c| {
            let mut stmt =
                c.prepare("SELECT record FROM scan_advisories ORDER BY id, ecosystem, name")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        })?;
        let mut list = Vec::with_capacity(records.len());
        for r in records {
            let a: Advisory = serde_json::from_str(&r).map_err(|e| ScanError::Advisory {
                path: store
                    .path()
                    .map_or_else(|| PathBuf::from(":memory:"), Path::to_owned),
                reason: format!("stored record does not parse: {e}"),
            })?;
            list.push(a);
        }
        Ok(Self::from_advisories(list))
    }

    /// Number of (advisory, package) entries.
    pub fn len(&self) -> usize {
        self.by_package.values().map(Vec::len).sum()
    }

    /// True when no advisory is loaded.
    pub fn is_empty(&self) -> bool {
        self.by_package.is_empty()
    }

    /// Advisories affecting one package version.
    pub fn matching(&self, eco: Ecosystem, name: &str, version: &str) -> Vec<&Advisory> {
        self.by_package
            .get(&(eco, eco.normalize_name(name)))
            .map(|list| list.iter().filter(|a| a.affects(version)).collect())
            .unwrap_or_default()
    }

    /// Findings for every package that an advisory covers.
    pub fn findings(&self, packages: &[PackageRef], out: &mut Vec<ScanFinding>) {
        if self.is_empty() {
            return;
        }
        for p in packages {
            for a in self.matching(p.ecosystem, &p.name, &p.version) {
                let (rule, sev, what) = match a.kind {
                    AdvisoryKind::Malicious => {
                        (rules::ADV_MALICIOUS, Severity::Critical, "known malicious")
                    }
                    AdvisoryKind::Vulnerability => (rules::ADV_VULN, Severity::High, "vulnerable"),
                    AdvisoryKind::Informational => (rules::ADV_INFO, Severity::Low, "flagged"),
                };
                let key = format!("{}@{}:{}", p.name, p.version, a.id);
                let summary = if a.summary.is_empty() {
                    String::new()
                } else {
                    format!(": {}", a.summary)
                };
                out.push(
                    ScanFinding::new(
                        rule,
                        sev,
                        &p.file,
                        p.line,
                        &key,
                        format!(
                            "{} {} {} {} is {what} ({}{summary})",
                            p.ecosystem.osv_name(),
                            p.name,
                            p.version,
                            if p.line.is_some() {
                                "pinned here"
                            } else {
                                "installed"
                            },
                            a.id
                        ),
                    )
                    .with_package(&p.name, Some(&p.version)),
                );
            }
        }
    }
}
