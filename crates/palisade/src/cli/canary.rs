//! `palisade canary mint --kind aws-key|url|doc-id --note N | list`: canary tokens recorded in
//! the data dir (palisade_inspect::canary_mint); any sighting, inline or offline, is a critical
//! finding naming the canary.

use super::inspect::inspect_config;
use super::location::Location;
use anyhow::Result;
use clap::{Subcommand, ValueEnum};

/// `palisade canary ...`
#[derive(Debug, Subcommand)]
pub enum CanaryCommand {
    /// Create a canary, record it and print its values once.
    Mint {
        /// What it imitates.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Where it will be planted (kept with the canary, shown in findings).
        #[arg(long)]
        note: String,
        #[command(flatten)]
        at: Location,
    },
    /// List recorded canaries (ids, kinds and notes; never their values).
    List {
        #[command(flatten)]
        at: Location,
    },
}

/// Canary kinds on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// An AWS access key pair.
    AwsKey,
    /// A share link.
    Url,
    /// A document identifier.
    DocId,
}

impl KindArg {
    fn as_str(self) -> &'static str {
        match self {
            KindArg::AwsKey => "aws-key",
            KindArg::Url => "url",
            KindArg::DocId => "doc-id",
        }
    }
}

/// Runs a canary subcommand.
pub fn run(cmd: CanaryCommand) -> Result<()> {
    match cmd {
        CanaryCommand::Mint { kind, note, at } => {
            let r = at.resolve()?;
            let base = inspect_config(&r).canary_url_base;
            let c = palisade_inspect::canary_mint(&r.data_dir, kind.as_str(), &note, &base)?;
            println!("canary {} ({}): {}", c.id, kind.as_str(), c.note);
            for t in &c.tokens {
                println!("  {t}");
            }
        }
        CanaryCommand::List { at } => {
            let dir = at.data_dir()?;
            for c in palisade_inspect::load_canaries(&dir)? {
                // The kind's wire name (`aws-key`), as `mint --kind` takes it.
                let kind = serde_json::to_value(c.kind)?;
                let kind = kind.as_str().unwrap_or("?");
                println!("{}\t{kind}\t{}\t{}", c.id, c.created, c.note);
            }
        }
    }
    Ok(())
}
