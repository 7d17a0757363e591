//! Handlers the `palisade` binary calls with parsed arguments: `palisade scan` and
//! `palisade advisories import`. They write the rendered output and return the exit code;
//! the binary maps `Err` to exit code 2.

use palisade_core::dsse::Envelope;
use palisade_core::finding::Severity;
use palisade_store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::advisories::{import_advisories, AdvisoryDb, ImportStats};
use crate::attest::{sign_scan_attestation, AttestKey};
use crate::baseline::Baseline;
use crate::error::ScanError;
use crate::finding::{exit_code, ScanReport};
use crate::options::ScanOptions;
use crate::render::{render, OutputFormat};

/// Parsed arguments of `palisade scan PATH... [--format] [--fail-on] [--baseline] [--sbom-out]
/// [--attest]`.
#[derive(Debug, Clone)]
pub struct ScanArgs {
    /// Files or directories to scan.
    pub paths: Vec<PathBuf>,
    /// Output format (default table).
    pub format: OutputFormat,
    /// Exit 1 when a finding is at or above this severity (default high).
    pub fail_on: Severity,
    /// Baseline of accepted findings.
    pub baseline: Option<PathBuf>,
    /// Ed25519 key file: sign the result as a DSSE in-toto statement.
    pub attest_key: Option<PathBuf>,
    /// Where to write the attestation envelope (required with `attest_key`).
    pub attest_out: Option<PathBuf>,
    /// Where to write a CycloneDX 1.5 SBOM of the packages the scan read; its digest goes into
    /// the attestation.
    pub sbom_out: Option<PathBuf>,
    /// Scan options.
    pub options: ScanOptions,
}

impl ScanArgs {
    /// Defaults for `paths`: table, fail on high, no baseline, no attestation.
    pub fn new(paths: Vec<PathBuf>) -> Self {
        Self {
            paths,
            format: OutputFormat::Table,
            fail_on: Severity::High,
            baseline: None,
            attest_key: None,
            attest_out: None,
            sbom_out: None,
            options: ScanOptions::default(),
        }
    }
}

/// What `run_scan` produced.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    /// 0 clean, 1 findings at or above `fail_on`.
    pub exit_code: i32,
    /// The report (after baseline).
    pub report: ScanReport,
    /// The signed attestation, when requested.
    pub attestation: Option<Envelope>,
}

/// `palisade scan`: loads advisories from `store` (if given), scans, applies the baseline,
/// writes the rendering to `out` and the SBOM, signs and writes the attestation (which names
/// the SBOM's digest), returns the exit code.
pub fn run_scan(
    args: &ScanArgs,
    store: Option<&Store>,
    now_ms: u64,
    out: &mut dyn Write,
) -> Result<ScanOutcome, ScanError> {
    if args.paths.is_empty() {
        return Err(ScanError::Usage("scan needs at least one path".into()));
    }
    if args.attest_key.is_some() != args.attest_out.is_some() {
        return Err(ScanError::Usage(
            "--attest needs both a key file and an output path".into(),
        ));
    }
    // Load the key and baseline before scanning so a bad file fails fast.
    let key = args
        .attest_key
        .as_deref()
        .map(AttestKey::load)
        .transpose()?;
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let db = match store {
        Some(s) => AdvisoryDb::load(s)?,
        None => AdvisoryDb::empty(),
    };
    let mut report = crate::engine::scan(&args.paths, &args.options, &db)?;
    if let Some(b) = &baseline {
        b.apply(&mut report);
    }
    if let Some(path) = &args.sbom_out {
        let (bytes, digest) = crate::sbom::render_cyclonedx(&report, now_ms)?;
        std::fs::write(path, bytes).map_err(|source| ScanError::Write {
            path: path.clone(),
            source,
        })?;
        report.sbom_sha256 = Some(digest);
    }
    let text = render(&report, args.format)?;
    out.write_all(text.as_bytes())
        .map_err(|source| ScanError::Write {
            path: PathBuf::from("<stdout>"),
            source,
        })?;
    let attestation = match (&key, &args.attest_out) {
        (Some(k), Some(path)) => {
            let env = sign_scan_attestation(&report, k, now_ms)?;
            write_json(path, &env)?;
            Some(env)
        }
        _ => None,
    };
    Ok(ScanOutcome {
        exit_code: exit_code(&report, args.fail_on),
        report,
        attestation,
    })
}

fn write_json(path: &Path, env: &Envelope) -> Result<(), ScanError> {
    let text = serde_json::to_string_pretty(env).map_err(|e| ScanError::Serialize {
        what: "dsse envelope",
        reason: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(|source| ScanError::Write {
        path: path.to_owned(),
        source,
    })
}

/// `palisade advisories import DIR`: imports OSV/RustSec files and prints a one-line summary.
pub fn run_advisories_import(
    store: &Store,
    dir: &Path,
    out: &mut dyn Write,
) -> Result<ImportStats, ScanError> {
    if !dir.is_dir() {
        return Err(ScanError::MissingPath(dir.to_owned()));
    }
    let s = import_advisories(store, dir)?;
    writeln!(
        out,
        "imported {} advisory files: {} package records ({} malicious), {} entries of other ecosystems skipped",
        s.files, s.records, s.malicious, s.skipped_ecosystems
    )
    .map_err(|source| ScanError::Write { path: PathBuf::from("<stdout>"), source })?;
    Ok(s)
}
