//! `palisade protect add FILE... | list | records`: protected documents fingerprinted into the data dir
//! (palisade_inspect::protect_add, hashes only) under the deployment's hash key, so the
//! gateway and `palisade inspect` recognize excerpts, reformatting and summaries.

use super::inspect::hash_key;
use super::location::Location;
use anyhow::Result;
use clap::Subcommand;
use std::path::PathBuf;

/// `palisade protect ...`
#[derive(Debug, Subcommand)]
pub enum ProtectCommand {
    /// Fingerprint documents (no text is stored).
    Add {
        /// The documents (text).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        at: Location,
    },
    /// List protected documents.
    List {
        #[command(flatten)]
        at: Location,
    },
    /// Load the organization's sensitive records (the CSV of `[inspect.edm]`) for exact data
    /// match: rows are stored as keyed hashes only, never in the clear. Needs `--config`.
    Records {
        #[command(flatten)]
        at: Location,
    },
}

/// Runs a protect subcommand.
pub fn run(cmd: ProtectCommand) -> Result<()> {
    match cmd {
        ProtectCommand::Add { files, at } => {
            let r = at.resolve()?;
            let key = hash_key(&r)?;
            for d in palisade_inspect::protect_add(&r.data_dir, &files, key)? {
                println!(
                    "protected {} as {} ({} words, {} fingerprints, {} salient terms)",
                    d.name,
                    d.id,
                    d.words,
                    d.prints.len(),
                    d.salient.len()
                );
            }
        }
        ProtectCommand::Records { at } => {
            let r = at.resolve()?;
            let edm = r
                .config
                .as_ref()
                .and_then(|c| c.inspect.as_ref())
                .and_then(|i| i.edm.as_ref())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no [inspect.edm] section: pass --config with the CSV and its column roles"
                    )
                })?;
            let key = hash_key(&r)?;
            let rows = palisade_inspect::edm_load(&r.data_dir, edm, key)?;
            println!(
                "indexed {rows} records from {} (keyed hashes only)",
                edm.csv.display()
            );
        }
        ProtectCommand::List { at } => {
            for d in palisade_inspect::load_docs(&at.data_dir()?)? {
                println!("{}\t{}\t{} words", d.id, d.name, d.words);
            }
        }
    }
    Ok(())
}
