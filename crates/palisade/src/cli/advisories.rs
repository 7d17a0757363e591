//! `palisade advisories import DIR`: OSV (`MAL-` and vulnerability records) and RustSec
//! advisory files into the data dir's store (palisade_scan::cli::run_advisories_import), where
//! `palisade scan` matches packages against them.

use super::location::Location;
use anyhow::Result;
use clap::Subcommand;
use std::path::PathBuf;

/// `palisade advisories ...`
#[derive(Debug, Subcommand)]
pub enum AdvisoriesCommand {
    /// Import every advisory file under DIR (recursively).
    Import {
        /// Directory of OSV JSON and RustSec files.
        dir: PathBuf,
        #[command(flatten)]
        at: Location,
    },
}

/// Runs an advisories subcommand.
pub fn run(cmd: AdvisoriesCommand) -> Result<()> {
    match cmd {
        AdvisoriesCommand::Import { dir, at } => {
            let store = at.resolve()?.open_store()?;
            let stdout = std::io::stdout();
            palisade_scan::cli::run_advisories_import(&store, &dir, &mut stdout.lock())?;
        }
    }
    Ok(())
}
