//! `palisade demo [--json] [--keep-dir PATH]`: replays the breach against a real gateway on
//! loopback (see `crate::demo`). Exit 0 only when every step behaved as expected.

use super::Failed;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Keep the data dir here (must not exist or be empty) instead of a new temp dir.
    #[arg(long)]
    pub keep_dir: Option<PathBuf>,
}

/// Runs the demo and prints its report.
pub fn run(args: DemoArgs) -> Result<()> {
    let outcome = crate::demo::run(&crate::demo::Options {
        json: args.json,
        keep_dir: args.keep_dir,
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&crate::demo::output::json(&outcome))?
        );
    } else {
        print!("{}", crate::demo::output::text(&outcome));
    }
    if outcome.all_expected() {
        Ok(())
    } else {
        Err(Failed(String::new()).into())
    }
}
