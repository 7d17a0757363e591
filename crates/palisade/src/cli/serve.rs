//! `palisade serve --config FILE`: loads the config, opens the vault, builds the stages and runs
//! the gateway until SIGINT/SIGTERM, then drains.

use super::vault_credentials::VaultCredentials;
use anyhow::{Context, Result};
use clap::Args;
use palisade_gateway::{Gateway, Stages};
use std::path::PathBuf;

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The gateway config (TOML).
    #[arg(long)]
    pub config: PathBuf,
}

/// Builds the request-path stages for a config. Until the identity, policy, inspection,
/// behaviour and audit crates are wired in, only the explicit development mode exists.
pub fn stages_for(config: &palisade_config::Config) -> Result<Stages> {
    let (stages, _audit) = palisade_gateway::dev::development_stages(config)?;
    tracing::warn!("[auth] mode = \"none\": every caller is allowed (development only)");
    Ok(stages)
}

/// Runs the gateway.
pub fn run(args: ServeArgs) -> Result<()> {
    crate::logging::init();
    let config = palisade_config::load(&args.config)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let vault =
            palisade_vault::Vault::open(&config.server.data_dir).context("opening the vault")?;
        let stages = stages_for(&config)?;
        let gateway = Gateway::new(config, stages, &VaultCredentials(vault))?;
        let bound = gateway.bind().await?;
        if let Some(ca) = bound.dev_ca() {
            eprintln!(
                "palisade: {} local CA {} (SHA-256 {})",
                if ca.created { "created" } else { "using" },
                ca.ca_cert.display(),
                ca.ca_sha256
            );
        }
        eprintln!("palisade: listening on https://{}", bound.local_addr());
        bound.serve(shutdown_signal()).await?;
        Ok(())
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
