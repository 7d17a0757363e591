//! `palisade policy validate [DIR] | test [CASES.toml] [--dir DIR] | explain --request FILE
//! [--dir DIR]`, each with an optional `--config FILE` whose `[policy]` section supplies the
//! directory, case file and anomaly threshold the gateway uses: the Cedar policy set, checked
//! offline with palisade-policy's handlers exactly as the gateway loads it. Invalid policies and
//! failing cases exit 1 (CI); unreadable input exits 2. (There is no `--data-dir`: policies
//! live in their own directory, not in the data dir.)

use super::Failed;
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use palisade_policy::{PolicyConfig, PolicyError, RequestSpec};
use std::path::{Path, PathBuf};

/// `palisade policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Parse, check `@id`s and validate every policy strictly against the shipped schema.
    Validate {
        /// Directory of `*.cedar` files (default: the config's `[policy] dir`).
        dir: Option<PathBuf>,
        /// Gateway config whose `[policy]` section applies.
        #[arg(long)]
        config: Option<PathBuf>,
        /// JSON report instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a case file (expected decisions and policy ids); exit 1 if any case fails.
    Test {
        /// The case file (TOML; default: the config's case file).
        cases: Option<PathBuf>,
        /// Policy directory (default: the config's, else the case file's directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Gateway config whose `[policy]` section applies.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Decide one request and say which policies decided it.
    Explain {
        /// The request (TOML: principal, action, resource, context); `-` reads stdin.
        #[arg(long)]
        request: PathBuf,
        /// Policy directory (default: the config's, else the request file's directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Gateway config whose `[policy]` section applies.
        #[arg(long)]
        config: Option<PathBuf>,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// The `[policy]` settings of a config (if given and present).
fn policy_config(config: Option<&Path>) -> Result<Option<PolicyConfig>> {
    match config {
        Some(c) => Ok(palisade_config::load(c)?.policy),
        None => Ok(None),
    }
}

/// The settings to run with: the config's, with `--dir` (else the config's directory, else the
/// directory of `file`) as the policy directory.
fn settings(dir: Option<PathBuf>, cfg: Option<PolicyConfig>, file: Option<&Path>) -> PolicyConfig {
    let parent = || match file.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match (dir, cfg) {
        (Some(d), Some(c)) => PolicyConfig { dir: d, ..c },
        (Some(d), None) => PolicyConfig::for_dir(d),
        (None, Some(c)) => c,
        (None, None) => PolicyConfig::for_dir(parent()),
    }
}

/// Invalid policies are a finding (exit 1) with every located problem; I/O is internal.
fn map_err(e: PolicyError) -> anyhow::Error {
    if e.problems().is_empty() {
        anyhow::Error::new(e)
    } else {
        Failed(palisade_policy::render_error(&e).trim_end().to_owned()).into()
    }
}

/// Runs a policy subcommand.
pub fn run(cmd: PolicyCommand) -> Result<()> {
    match cmd {
        PolicyCommand::Validate { dir, config, json } => {
            let dir = match (dir, policy_config(config.as_deref())?) {
                (Some(d), _) => d,
                (None, Some(c)) => c.dir,
                (None, None) => bail!("give a policy DIR or a --config with a [policy] section"),
            };
            let report = palisade_policy::validate_dir(&dir).map_err(map_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", palisade_policy::render_validation_report(&report));
            }
        }
        PolicyCommand::Test { cases, dir, config } => {
            let cfg = settings(dir, policy_config(config.as_deref())?, cases.as_deref());
            let Some(cases) = cases.or_else(|| cfg.cases_for(&cfg.dir)) else {
                bail!("no case file: give CASES.toml or a config whose policy dir has one");
            };
            let report =
                palisade_policy::run_cases_with(&cfg.dir, &cases, &cfg).map_err(map_err)?;
            print!("{}", palisade_policy::render_case_report(&report));
            if report.failed() > 0 {
                return Err(Failed(format!(
                    "{} of {} cases failed",
                    report.failed(),
                    report.results.len()
                ))
                .into());
            }
        }
        PolicyCommand::Explain {
            request,
            dir,
            config,
            json,
        } => {
            let stdin = request.as_os_str() == "-";
            let text = if stdin {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .context("reading the request from stdin")?;
                s
            } else {
                std::fs::read_to_string(&request)
                    .with_context(|| format!("reading {}", request.display()))?
            };
            let file = (!stdin).then_some(request.as_path());
            let cfg = settings(dir, policy_config(config.as_deref())?, file);
            let spec = RequestSpec::from_toml(&text)?;
            let x = palisade_policy::explain_with(&cfg.dir, &spec, &cfg).map_err(map_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&x)?);
            } else {
                print!("{}", palisade_policy::render_explanation(&x));
            }
        }
    }
    Ok(())
}
