//! `--config FILE | --data-dir DIR`: where an offline subcommand finds the gateway's state. One
//! helper for every subcommand, so they all resolve the data dir (and config) the same way the
//! gateway does.

use anyhow::{bail, Context, Result};
use clap::Args;
use palisade_store::Store;
use palisade_vault::Vault;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the state lives: a data dir, or the one a config file names.
#[derive(Debug, Clone, Args)]
pub struct Location {
    /// Gateway config whose `server.data_dir` holds the state (its sections apply too).
    #[arg(long, conflicts_with = "data_dir")]
    pub config: Option<PathBuf>,
    /// Existing data directory holding the state (settings at their defaults).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// A resolved location: the data dir and, when given, the validated config.
#[derive(Debug)]
pub struct Resolved {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The config, when `--config` was given.
    pub config: Option<palisade_config::Config>,
}

impl Location {
    /// Loads the config (if any) and picks the data dir.
    pub fn resolve(&self) -> Result<Resolved> {
        match (&self.config, &self.data_dir) {
            (Some(c), _) => {
                let config = palisade_config::load(c)?;
                Ok(Resolved {
                    data_dir: config.server.data_dir.clone(),
                    config: Some(config),
                })
            }
            // A typo in `--data-dir` must not quietly start a new, empty deployment (a fresh
            // vault, an empty registry): the directory has to exist. A config's data dir may
            // be created, as `serve` does, so state can be prepared before the first start.
            (None, Some(d)) if !d.is_dir() => bail!(
                "data dir {} does not exist (create it, or give the gateway's --config)",
                d.display()
            ),
            (None, Some(d)) => Ok(Resolved {
                data_dir: d.clone(),
                config: None,
            }),
            (None, None) => bail!("give --config FILE or --data-dir DIR"),
        }
    }

    /// Just the data dir.
    pub fn data_dir(&self) -> Result<PathBuf> {
        Ok(self.resolve()?.data_dir)
    }
}

/// `--config | --data-dir`, for commands that also run without state
/// (`inspect`, `scan`).
#[derive(Debug, Args)]
pub struct OptionalLocation {
    /// Gateway config (its data dir and settings apply).
    #[arg(long, conflicts_with = "data_dir")]
    pub config: Option<PathBuf>,
    /// Data directory (settings at their defaults).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl OptionalLocation {
    /// The resolved location, or `None` when neither flag was given.
    pub fn resolve(&self) -> Result<Option<Resolved>> {
        if self.config.is_none() && self.data_dir.is_none() {
            return Ok(None);
        }
        Location {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
        }
        .resolve()
        .map(Some)
    }
}

impl Resolved {
    /// Opens (or creates) the vault in the data dir.
    pub fn open_vault(&self) -> Result<Vault> {
        open_vault_at(&self.data_dir)
    }

    /// Opens the vault only if one exists there (read-only commands must not create one).
    pub fn existing_vault(&self) -> Result<Option<Vault>> {
        if self.data_dir.join("vault.json").is_file() {
            self.open_vault().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Opens (or creates) the embedded store in the data dir.
    pub fn open_store(&self) -> Result<Arc<Store>> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))?;
        Store::open(&self.data_dir)
            .map(Arc::new)
            .with_context(|| format!("opening the store in {}", self.data_dir.display()))
    }
}

/// Opens the vault in a data dir.
pub fn open_vault_at(dir: &Path) -> Result<Vault> {
    Vault::open(dir).with_context(|| format!("opening the vault in {}", dir.display()))
}
