//! `palisade vault put NAME | list | rotate-master`: the sealed provider keys in the data dir.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use palisade_vault::Vault;
use secrecy::SecretString;
use std::io::Read;

/// Where the vault lives (the shared `--config | --data-dir` location).
pub use super::location::Location as VaultLocation;

/// `palisade vault ...`
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Store a secret read from stdin under NAME (sealed with AES-256-GCM).
    Put {
        /// Entry name (as referenced by `upstreams.credential`).
        name: String,
        #[command(flatten)]
        at: VaultLocation,
    },
    /// List entry names and creation times (never values).
    List {
        #[command(flatten)]
        at: VaultLocation,
    },
    /// Generate a new master key and re-seal every entry.
    RotateMaster {
        #[command(flatten)]
        at: VaultLocation,
    },
}

/// Opens the vault at a location.
pub fn open(at: &VaultLocation) -> Result<Vault> {
    at.resolve()?.open_vault()
}

/// Runs a vault subcommand.
pub fn run(cmd: VaultCommand) -> Result<()> {
    match cmd {
        VaultCommand::Put { name, at } => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the secret from stdin")?;
            // A trailing newline from `echo` or a file is not part of the key.
            let value = s.trim_end_matches(['\n', '\r']).to_owned();
            if value.is_empty() {
                bail!("no secret on stdin");
            }
            open(&at)?.put(&name, SecretString::from(value))?;
            println!("stored `{name}`");
        }
        VaultCommand::List { at } => {
            for e in open(&at)?.list()? {
                println!("{}\t{}", e.name, e.created_at_ms);
            }
        }
        VaultCommand::RotateMaster { at } => {
            let n = open(&at)?.rotate_master()?;
            println!("re-sealed {n} entries under a new master key");
        }
    }
    Ok(())
}
