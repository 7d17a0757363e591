//! Sets the scene: a fresh data dir with the policy pack, the protected roadmap with its
//! canaries, the payroll table for exact data match, sealed (simulated) provider keys, the
//! simulated providers, the validated config, and the real gateway started in-process through
//! `Runtime::build` + `Gateway::new/bind/serve`, the same path as `palisade serve`.

use super::assets;
use super::client::Transport;
use super::config::{self, ConfigInputs};
use super::evidence::DemoKeys;
use super::provider;
use crate::runtime::credentials::VaultCredentials;
use crate::runtime::{keys::inspect_hash_key, Runtime};
use anyhow::{Context, Result};
use palisade_core::SystemClock;
use palisade_gateway::dev::fake_upstream::FakeUpstream;
use palisade_vault::Vault;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Employees in the synthetic payroll table.
pub const STAFF: usize = 240;

/// Everything the steps use.
pub struct Scene {
    /// The kept data dir.
    pub data_dir: PathBuf,
    /// Demo evidence keys.
    pub keys: DemoKeys,
    /// The roadmap as planted (with canaries).
    pub roadmap: String,
    /// The canary URL planted in the roadmap's appendix.
    pub canary_id: String,
    /// The payroll table.
    pub staff: Vec<assets::Employee>,
    /// The wired stages and state.
    pub runtime: Runtime,
    /// Client transport trusting the dev CA.
    pub transport: Transport,
    /// Stops the gateway.
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The gateway task.
    pub served: Option<tokio::task::JoinHandle<Result<(), palisade_gateway::GatewayError>>>,
    /// The simulated provider (kept alive).
    pub provider: FakeUpstream,
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Prepares the data dir and starts the gateway.
pub async fn start(data_dir: &Path) -> Result<Scene> {
    std::fs::create_dir_all(data_dir)?;
    let work = data_dir.join("demo");
    let vault = Vault::open(data_dir).context("opening the vault")?;
    for name in ["sim-internal-key", "sim-external-key"] {
        let value = format!("sk-simulated-{}", hex::encode(rand::random::<[u8; 12]>()));
        vault.put(name, SecretString::from(value))?;
    }
    let hash_key = inspect_hash_key(&vault)?;

    // Canaries first: they are planted in the roadmap before it is registered.
    let base = palisade_inspect::InspectConfig::default().canary_url_base;
    let url =
        palisade_inspect::canary_mint(data_dir, "url", "research-roadmap.md appendix", &base)?;
    let doc =
        palisade_inspect::canary_mint(data_dir, "doc-id", "research-roadmap.md header", &base)?;
    let first = |c: &palisade_inspect::Canary| c.tokens.first().cloned().unwrap_or_default();
    let roadmap = assets::roadmap(&first(&url), &first(&doc));
    let roadmap_file = work.join("research-roadmap.md");
    write(&roadmap_file, &roadmap)?;
    palisade_inspect::protect_add(data_dir, &[roadmap_file], hash_key)?;

    let staff = assets::employees(STAFF);
    let csv = work.join("payroll.csv");
    write(&csv, &assets::payroll_csv(&staff))?;
    let policy_dir = data_dir.join("policies");
    assets::write_policy_pack(&policy_dir)?;
    let keys = DemoKeys::generate();
    let scanner_key = work.join("scanner.pub.pem");
    write(&scanner_key, &keys.scanner_pem()?)?;

    // SIMULATED providers on loopback.
    let provider = FakeUpstream::start("127.0.0.1:0".parse()?).await?;
    let appendix = roadmap.split("## Appendix").nth(1).unwrap_or("").trim();
    let rag_answer = format!(
        "From the document store (research-roadmap.md): {appendix} Quarter three of 2026: finish pretraining."
    );
    let rag = provider::start(rag_answer).await?;

    let builder_pem = keys.builder_pem()?;
    let config = config::build(&ConfigInputs {
        data_dir,
        provider: provider.addr(),
        rag,
        builder_pem: &builder_pem,
        scanner_key_file: &scanner_key,
        payroll_csv: &csv,
        policy_dir: &policy_dir,
    })?;
    if let Some(edm) = config.inspect.as_ref().and_then(|i| i.edm.as_ref()) {
        palisade_inspect::edm_load(data_dir, edm, hash_key)?;
    }

    // The gateway, exactly as `serve` builds it.
    let runtime = Runtime::build(&config, &vault, Arc::new(SystemClock))?;
    let gateway = runtime.gateway(config.clone(), &VaultCredentials(vault))?;
    let bound = gateway.bind().await?;
    let ca = bound
        .dev_ca()
        .map(|c| c.ca_cert.clone())
        .context("the gateway generated no dev CA")?;
    let transport = Transport::new(&ca, bound.local_addr())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(bound.serve(async move {
        let _ = rx.await;
    }));
    Ok(Scene {
        data_dir: data_dir.to_owned(),
        keys,
        roadmap,
        canary_id: url.id,
        staff,
        runtime,
        transport,
        stop: Some(tx),
        served: Some(served),
        provider,
    })
}

impl Scene {
    /// Stops the gateway (drains) and makes state durable (audit checkpoint, baselines).
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.served.take() {
            h.await??;
        }
        self.runtime.shutdown();
        Ok(())
    }

    /// The identity service (auth mode `identity` is embedded, so it exists).
    pub fn identity(&self) -> Result<&Arc<palisade_identity::IdentityService>> {
        self.runtime
            .identity
            .as_ref()
            .context("the runtime has no identity service")
    }
}
