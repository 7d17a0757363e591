//! `palisade serve --config FILE`: loads the config, opens the vault, builds the stages and runs
//! the gateway until SIGINT/SIGTERM, then drains.

use crate::runtime::credentials::VaultCredentials;
use crate::runtime::Runtime;
use anyhow::{Context, Result};
use clap::Args;
use palisade_core::SystemClock;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The gateway config (TOML).
    #[arg(long)]
    pub config: PathBuf,
}

/// Runs the gateway.
pub fn run(args: ServeArgs) -> Result<()> {
    crate::logging::init();
    let config = palisade_config::load(&args.config)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let vault =
            palisade_vault::Vault::open(&config.server.data_dir).context("opening the vault")?;
        let runtime = Runtime::build(&config, &vault, Arc::new(SystemClock))?;
        if let Some(policy) = runtime.policy.clone() {
            tokio::spawn(reload_policy_on_sighup(policy));
        }
        let audit_cfg = config.audit.clone().unwrap_or_default();
        let witnessing = palisade_gateway::start_witnessing(
            runtime.audit.clone(),
            &config.server.data_dir,
            &audit_cfg,
        )
        .await?;
        let mut gateway = runtime.gateway(config, &VaultCredentials(vault))?;
        if let Some(status) = witnessing {
            gateway
                .metrics()
                .add_source(Arc::new(crate::runtime::metrics::WitnessMetrics(
                    status.clone(),
                )));
            gateway = gateway.with_witness_status(status);
        }
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
        let served = bound.serve(shutdown_signal()).await;
        runtime.shutdown();
        served?;
        Ok(())
    })
}

/// SIGHUP re-reads the policy directory: the new set is validated and run against its case file
/// before it replaces the old one; a refused set is logged and the old one keeps serving.
async fn reload_policy_on_sighup(policy: Arc<palisade_policy::PolicyEngine>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; policy reload only by file watch");
            return;
        };
        while hup.recv().await.is_some() {
            let p = policy.clone();
            match tokio::task::spawn_blocking(move || p.reload()).await {
                Ok(Ok(o)) => tracing::info!(
                    generation = o.generation,
                    policies = o.policies,
                    "policy reloaded"
                ),
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "policy reload refused; the previous set keeps serving")
                }
                Err(e) => tracing::error!(error = %e, "policy reload task failed"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = policy;
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
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
