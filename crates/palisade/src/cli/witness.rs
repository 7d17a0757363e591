//! `palisade witness init|key|serve`: a C2SP tlog-witness for other hosts' audit logs. `init`
//! creates the witness key (0600 file in the witness's data dir) and prints its vkey, which
//! the gateway pins in `[audit] witnesses`; `serve` answers `POST /add-checkpoint` for the logs
//! its config lists, keeping the latest cosigned checkpoint per origin in the data dir.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::PathBuf;
use std::sync::Arc;

/// `palisade witness ...`
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Create the witness key and print its public key (cosignature/v1 vkey).
    Init {
        /// The witness's name (e.g. `witness.example.com/w1`), as logs will see it.
        #[arg(long)]
        name: String,
        /// The witness's data directory (key and state).
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Print the witness's public key.
    Key {
        /// The witness's data directory.
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Serve add-checkpoint over HTTP until SIGINT/SIGTERM.
    Serve {
        /// Address to listen on (port 0 picks one; the bound address is printed).
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// The witness's data directory (key and state).
        #[arg(long)]
        data_dir: PathBuf,
        /// The logs to follow: TOML with `[[log]] origin = "...", key = "<vkey>"` (default
        /// `<data-dir>/witness.toml`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Runs a `witness` subcommand.
pub fn run(cmd: WitnessCommand) -> Result<()> {
    match cmd {
        WitnessCommand::Init { name, data_dir } => {
            let key = palisade_audit::init_witness_key(&data_dir, &name)
                .context("creating the witness key")?;
            println!("{}", key.verifier().to_vkey());
            Ok(())
        }
        WitnessCommand::Key { data_dir } => {
            let key =
                palisade_audit::load_witness_key(&data_dir).context("loading the witness key")?;
            println!("{}", key.verifier().to_vkey());
            Ok(())
        }
        WitnessCommand::Serve {
            listen,
            data_dir,
            config,
        } => serve(listen, data_dir, config),
    }
}

fn serve(listen: std::net::SocketAddr, data_dir: PathBuf, config: Option<PathBuf>) -> Result<()> {
    crate::logging::init();
    let config = config.unwrap_or_else(|| data_dir.join("witness.toml"));
    let logs = palisade_config::witness::load_witness_logs(&config)?;
    let key = palisade_audit::load_witness_key(&data_dir).context("loading the witness key")?;
    let name = key.verifier().name().to_string();
    let witness = Arc::new(
        palisade_audit::Witness::open(&data_dir.join("state"), key, logs)
            .context("opening the witness state")?,
    );
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        eprintln!(
            "palisade witness {name}: listening on http://{}",
            listener.local_addr()?
        );
        palisade_gateway::serve_witness(listener, witness, super::serve::shutdown_signal()).await;
        Ok(())
    })
}
