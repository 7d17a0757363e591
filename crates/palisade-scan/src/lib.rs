//! Supply-chain scanner: Python environments, lockfiles, workflows, package source heuristics,
//! OSV/RustSec advisories; table/JSON/SARIF output, baselines, and DSSE-signed scan verdicts
//! that enrollment can require, and a CycloneDX SBOM of the packages a scan read.
//!
//! Entry points: [`scan`] (library), [`cli::run_scan`] / [`cli::run_advisories_import`]
//! (binary), [`import_advisories`], [`sign_scan_attestation`] / [`verify_scan_attestation`].

pub mod advisories;
pub mod attest;
pub mod attest_verify;
pub mod baseline;
pub mod cli;
mod context;
mod engine;
pub mod error;
pub mod finding;
pub mod heuristics;
pub mod lockfiles;
pub mod node_modules;
pub mod options;
pub mod packages;
pub mod pth;
pub mod python_dist;
pub mod render;
pub mod rules;
pub mod sarif;
pub mod sbom;
mod text;
pub mod workflows;

pub use advisories::{import_advisories, Advisory, AdvisoryDb, AdvisoryKind, ImportStats};
pub use attest::{
    generate_attest_key, load_verifying_key, sign_scan_attestation, verifying_key_pem, AttestKey,
    SCAN_PREDICATE_TYPE,
};
pub use attest_verify::{verify_scan_attestation, ScanAttestError, ScanAttestationSummary};
pub use baseline::Baseline;
pub use engine::scan;
pub use error::ScanError;
pub use finding::{exit_code, parse_severity, ScanFinding, ScanReport, SeverityCounts};
pub use options::{Progress, ProgressFn, ScanOptions};
pub use palisade_core::finding::Severity;
pub use render::{render, render_json, render_table, OutputFormat};
pub use sarif::render_sarif;
