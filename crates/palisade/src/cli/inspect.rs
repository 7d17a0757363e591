//! `palisade inspect PATH... | - [--jsonl] [--format table|json|sarif] [--fail-on SEV]`: the
//! gateway's inspection engine (palisade_inspect::Engine, same rules, canaries, protected
//! documents and exact-data-match index from the same data dir) as an offline scanner.
//! Exit 0 none, 1 findings at or above `--fail-on`, 2 error.

use super::location::{OptionalLocation, Resolved};
use super::{Failed, FormatArg, SeverityArg};
use anyhow::{bail, Context, Result};
use clap::Args;
use palisade_inspect::{Engine, InspectConfig, Report, ScanOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files and directories (recursive, honouring `.gitignore`); `-` reads stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Each input line is `{"id":..,"text":..}`; findings are reported per id.
    #[arg(long)]
    pub jsonl: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::Low)]
    pub fail_on: SeverityArg,
    /// Skip files larger than this many bytes (with a note).
    #[arg(long, default_value_t = ScanOptions::default().max_file_size)]
    pub max_file_size: u64,
    /// Scan files that `.gitignore` / `.ignore` exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// Descend into hidden files and directories.
    #[arg(long)]
    pub hidden: bool,
    /// Where the gateway's state lives (canaries, protected documents, EDM index, hash key).
    /// Without it the engine runs on defaults with a one-off hash key.
    #[command(flatten)]
    pub at: OptionalLocation,
}

/// The engine settings of a location: the config's `[inspect]`, else the defaults (as the
/// gateway does).
pub fn inspect_config(r: &Resolved) -> InspectConfig {
    r.config
        .as_ref()
        .and_then(|c| c.inspect.clone())
        .unwrap_or_default()
}

/// The deployment's inspection hash key (sealed in the data dir's vault, shared with `serve`),
/// so fingerprints and EDM rows recorded offline match inline and vice versa.
pub fn hash_key(r: &Resolved) -> Result<[u8; 32]> {
    crate::runtime::keys::inspect_hash_key(&r.open_vault()?)
}

fn random_key() -> [u8; 32] {
    use rand_core::RngCore;
    let mut k = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut k);
    k
}

/// Loads the engine the gateway would load for this location.
fn load_engine(at: &OptionalLocation) -> Result<Engine> {
    match at.resolve()? {
        Some(r) => {
            let key = hash_key(&r)?;
            Engine::load(&inspect_config(&r), &r.data_dir, key)
                .context("loading the inspection engine")
        }
        // No state: nothing recorded to load (the path does not exist), and a one-off key so
        // that value hashes in the output cannot be recomputed by anyone else.
        None => Engine::load(
            &InspectConfig::default(),
            Path::new("/nonexistent/palisade-inspect"),
            random_key(),
        )
        .context("loading the inspection engine"),
    }
}

fn read_input(p: &Path) -> Result<String> {
    if p.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading stdin")?;
        Ok(s)
    } else {
        std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
    }
}

fn scan(engine: &Engine, args: &InspectArgs) -> Result<Report> {
    let mut report = Report::default();
    if args.jsonl {
        for p in &args.paths {
            let r = palisade_inspect::scan_jsonl(engine, &read_input(p)?);
            report.findings.extend(r.findings);
            report.errors.extend(r.errors);
            report.scanned += r.scanned;
            report.bytes += r.bytes;
        }
        return Ok(report);
    }
    let (stdin, files): (Vec<&PathBuf>, Vec<&PathBuf>) =
        args.paths.iter().partition(|p| p.as_os_str() == "-");
    if stdin.len() > 1 {
        bail!("`-` (stdin) can be given only once");
    }
    if !files.is_empty() {
        let opts = ScanOptions {
            max_file_size: args.max_file_size,
            respect_gitignore: !args.no_ignore,
            hidden: args.hidden,
            ..ScanOptions::default()
        };
        let bar = indicatif::ProgressBar::new_spinner();
        let files: Vec<PathBuf> = files.into_iter().cloned().collect();
        report = palisade_inspect::scan_paths(engine, &files, &opts, &|p| {
            if p.files.is_multiple_of(64) {
                bar.set_message(format!("{} files, {} bytes", p.files, p.bytes));
                bar.tick();
            }
        });
        bar.finish_and_clear();
    }
    if !stdin.is_empty() {
        let text = read_input(Path::new("-"))?;
        report.scanned += 1;
        report.bytes += text.len() as u64;
        report
            .findings
            .extend(palisade_inspect::scan_text(engine, "-", &text));
    }
    Ok(report)
}

/// Runs `inspect`.
pub fn run(args: InspectArgs) -> Result<()> {
    let engine = load_engine(&args.at)?;
    let report = scan(&engine, &args)?;
    let out = match args.format {
        FormatArg::Table => palisade_inspect::render_table(&report),
        FormatArg::Json => palisade_inspect::render_json(&report),
        FormatArg::Sarif => palisade_inspect::render_sarif(&report),
    };
    print!("{out}");
    if !out.ends_with('\n') {
        println!();
    }
    match palisade_inspect::exit_code(&report, args.fail_on.into()) {
        0 => Ok(()),
        1 => {
            let fail_on: palisade_core::Severity = args.fail_on.into();
            let n = report
                .findings
                .iter()
                .filter(|f| f.finding.severity >= fail_on)
                .count();
            Err(Failed(format!(
                "{n} finding(s) at or above {}",
                format!("{:?}", args.fail_on).to_lowercase()
            ))
            .into())
        }
        _ => bail!(
            "{} source(s) could not be scanned: {}",
            report.errors.len(),
            report.errors.join("; ")
        ),
    }
}
