//! `palisade vault put NAME | list | rotate-master`: the sealed provider keys in the data dir.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use palisade_vault::Vault;
use secrecy::SecretString;
use std::io::Read;
use std::path::PathBuf;

/// Where the vault lives: a data dir, or the one a config file names.
#[derive(Debug, Args)]
pub struct VaultLocation {
    /// Gateway config whose `server.data_dir` holds the vault.
    #[arg(long, conflicts_with = "data_dir")]
    pub config: Option<PathBuf>,
    /// Data directory holding the vault.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

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
    let dir = match (&at.config, &at.data_dir) {
        (Some(c), _) => palisade_config::load(c)?.server.data_dir,
        (None, Some(d)) => d.clone(),
        (None, None) => bail!("give --config FILE or --data-dir DIR"),
    };
    Vault::open(&dir).with_context(|| format!("opening the vault in {}", dir.display()))
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
