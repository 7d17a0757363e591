//! `palisade scan PATH... [--format table|json|sarif] [--fail-on SEV] [--baseline FILE]
//! [--write-baseline FILE] [--sbom cyclonedx --sbom-out FILE] [--attest KEYFILE --attest-out FILE]`: the supply-chain scanner (palisade_scan::cli::run_scan)
//! with the advisories imported into the data dir's store. Exit 0 clean, 1 findings at or
//! above `--fail-on`, 2 error.

use super::location::OptionalLocation;
use super::{Failed, FormatArg, SeverityArg};
use anyhow::Result;
use clap::Args;
use palisade_core::{Clock, SystemClock};
use palisade_scan::cli::{run_scan, ScanArgs};
use palisade_scan::{OutputFormat, ScanOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanCli {
    /// Environments, repositories, lockfiles or workflow files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::High)]
    pub fail_on: SeverityArg,
    /// Accepted findings (JSON baseline) that are not reported again.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Write every finding of this run to FILE as a baseline of accepted findings.
    #[arg(long, conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// Write an SBOM of the packages the scan read (CycloneDX 1.5 JSON) to `--sbom-out`.
    #[arg(long, value_enum, requires = "sbom_out")]
    pub sbom: Option<SbomFormat>,
    /// Where to write the SBOM; with `--attest` the signed verdict carries its SHA-256.
    #[arg(long, requires = "sbom")]
    pub sbom_out: Option<PathBuf>,
    /// Ed25519 key (PEM) to sign the result as a DSSE in-toto statement.
    #[arg(long, requires = "attest_out")]
    pub attest: Option<PathBuf>,
    /// Where to write the signed attestation.
    #[arg(long, requires = "attest")]
    pub attest_out: Option<PathBuf>,
    /// Worker threads.
    #[arg(long, default_value_t = ScanOptions::default().threads)]
    pub threads: usize,
    /// Where the advisory database lives (`palisade advisories import`). Without it only the
    /// heuristics and structural checks run.
    #[command(flatten)]
    pub at: OptionalLocation,
}

/// SBOM formats of `--sbom`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.5 JSON.
    Cyclonedx,
}

/// Runs `scan`.
pub fn run(args: ScanCli) -> Result<()> {
    let store = match args.at.resolve()? {
        Some(r) => Some(r.open_store()?),
        None => {
            eprintln!("palisade: no --config/--data-dir: advisories are not checked");
            None
        }
    };
    let bar = Arc::new(indicatif::ProgressBar::new(0));
    let progress_bar = bar.clone();
    let options = ScanOptions {
        threads: args.threads.max(1),
        progress: Some(Arc::new(move |p: palisade_scan::Progress| {
            progress_bar.set_length(p.files_total);
            progress_bar.set_position(p.files_done);
        })),
        ..ScanOptions::default()
    };
    let scan_args = ScanArgs {
        paths: args.paths,
        format: match args.format {
            FormatArg::Table => OutputFormat::Table,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Sarif => OutputFormat::Sarif,
        },
        fail_on: args.fail_on.into(),
        baseline: args.baseline,
        attest_key: args.attest,
        attest_out: args.attest_out.clone(),
        sbom_out: args.sbom_out.clone(),
        options,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let outcome = run_scan(
        &scan_args,
        store.as_deref(),
        SystemClock.now_millis(),
        &mut out,
    );
    bar.finish_and_clear();
    let outcome = outcome?;
    out.flush()?;
    if let Some(path) = &args.write_baseline {
        palisade_scan::Baseline::from_report(&outcome.report).save(path)?;
        eprintln!(
            "palisade: baseline of {} finding(s) written to {}",
            outcome.report.findings.len(),
            path.display()
        );
    }
    if let Some(path) = &args.sbom_out {
        eprintln!("palisade: CycloneDX SBOM written to {}", path.display());
    }
    if let (Some(_), Some(path)) = (&outcome.attestation, &args.attest_out) {
        eprintln!("palisade: signed attestation written to {}", path.display());
    }
    if outcome.exit_code == 1 {
        return Err(Failed(format!(
            "findings at or above {}",
            format!("{:?}", args.fail_on).to_lowercase()
        ))
        .into());
    }
    Ok(())
}
