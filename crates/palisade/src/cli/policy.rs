//! `palisade policy validate DIR | test CASES.toml [--dir DIR] | explain --request FILE
//! [--dir DIR]`: the Cedar policy set, checked offline with palisade-policy's handlers exactly
//! as the gateway loads it. Invalid policies and failing cases exit 1 (CI); unreadable input
//! exits 2.

use super::Failed;
use anyhow::{Context, Result};
use clap::Subcommand;
use palisade_policy::{PolicyError, RequestSpec};
use std::path::{Path, PathBuf};

/// `palisade policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Parse, check `@id`s and validate every policy strictly against the shipped schema.
    Validate {
        /// Directory of `*.cedar` files.
        dir: PathBuf,
        /// JSON report instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a case file (expected decisions and policy ids); exit 1 if any case fails.
    Test {
        /// The case file (TOML).
        cases: PathBuf,
        /// Policy directory (default: the case file's directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Decide one request and say which policies decided it.
    Explain {
        /// The request (TOML: principal, action, resource, context); `-` reads stdin.
        #[arg(long)]
        request: PathBuf,
        /// Policy directory (default: the request file's directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// A directory given, or the directory of `file`.
fn dir_or_parent(dir: Option<PathBuf>, file: &Path) -> PathBuf {
    dir.unwrap_or_else(|| match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    })
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
        PolicyCommand::Validate { dir, json } => {
            let report = palisade_policy::validate_dir(&dir).map_err(map_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", palisade_policy::render_validation_report(&report));
            }
        }
        PolicyCommand::Test { cases, dir } => {
            let dir = dir_or_parent(dir, &cases);
            let report = palisade_policy::run_cases(&dir, &cases).map_err(map_err)?;
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
        PolicyCommand::Explain { request, dir, json } => {
            let (text, dir) = if request.as_os_str() == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .context("reading the request from stdin")?;
                (s, dir.unwrap_or_else(|| PathBuf::from(".")))
            } else {
                let s = std::fs::read_to_string(&request)
                    .with_context(|| format!("reading {}", request.display()))?;
                (s, dir_or_parent(dir, &request))
            };
            let spec = RequestSpec::from_toml(&text)?;
            let x = palisade_policy::explain(&dir, &spec).map_err(map_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&x)?);
            } else {
                print!("{}", palisade_policy::render_explanation(&x));
            }
        }
    }
    Ok(())
}
