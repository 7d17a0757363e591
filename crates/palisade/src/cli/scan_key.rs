//! `palisade scan-key generate FILE`: creates the Ed25519 key that signs `palisade scan --attest`
//! verdicts (PKCS#8 PEM, 0600, never overwrites) and prints its public key, which goes into the
//! gateway's `[attest.scan] trusted_key_files`.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::PathBuf;

/// `palisade scan-key ...`
#[derive(Debug, Subcommand)]
pub enum ScanKeyCommand {
    /// Generate a signing key and print its public key (PEM).
    Generate {
        /// Where to write the private key (refused if it exists).
        file: PathBuf,
    },
}

/// Runs a scan-key subcommand.
pub fn run(cmd: ScanKeyCommand) -> Result<()> {
    match cmd {
        ScanKeyCommand::Generate { file } => {
            let public = palisade_scan::generate_attest_key(&file)
                .with_context(|| format!("generating {}", file.display()))?;
            print!("{}", palisade_scan::verifying_key_pem(&public)?);
            eprintln!(
                "palisade: private key written to {} (0600); add the public key above to [attest.scan] trusted_key_files",
                file.display()
            );
        }
    }
    Ok(())
}
