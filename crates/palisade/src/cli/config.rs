//! `palisade config check FILE`: parse and validate, report the first error with its line.

use anyhow::Result;
use clap::Subcommand;
use std::path::PathBuf;

/// `palisade config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file.
    Check {
        /// The TOML file.
        file: PathBuf,
    },
}

/// Runs a config subcommand.
pub fn run(cmd: ConfigCommand) -> Result<()> {
    match cmd {
        ConfigCommand::Check { file } => {
            let cfg = palisade_config::load(&file)?;
            println!(
                "{}: ok ({} upstreams, {} models, listen {})",
                file.display(),
                cfg.upstreams.len(),
                cfg.models.len(),
                cfg.server.listen
            );
            Ok(())
        }
    }
}
