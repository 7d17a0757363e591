//! Assembles the request-path stages from a validated config: the real domain crates behind the
//! gateway's stage traits, in the order of DESIGN.md §2. `serve` and `demo` both start the
//! gateway through here, so the demo exercises exactly what production runs.

mod control;
pub mod credentials;
mod evidence;
pub mod keys;
pub mod metrics;
pub mod quarantine;

use anyhow::{bail, Context, Result};
use palisade_audit::AuditLog;
use palisade_behavior::Baselines;
use palisade_config::{AuthMode, Config};
use palisade_core::{AuditSink, Authenticator, Authorizer, BehaviorScorer, SharedClock};
use palisade_gateway::Stages;
use palisade_identity::IdentityService;
use palisade_policy::PolicyEngine;
use palisade_store::Store;
use palisade_vault::Vault;
use std::sync::Arc;

/// Everything a running gateway holds besides the gateway itself.
pub struct Runtime {
    /// The stages handed to the gateway.
    pub stages: Stages,
    /// The state database.
    // Not read by the binary yet; kept so its owner can reach the shared store.
    #[allow(dead_code)]
    pub store: Arc<Store>,
    /// Identities, enrollment and tokens (auth mode `identity`).
    // Read by the demo (registry, join tokens); `serve` reaches it through the stages only.
    #[cfg_attr(not(feature = "demo"), allow(dead_code))]
    pub identity: Option<Arc<IdentityService>>,
    /// The audit log.
    pub audit: Arc<AuditLog>,
    /// Behavioural baselines (`[behavior]`).
    pub behavior: Option<Arc<Baselines>>,
    /// The inspection engine (`[inspect]`).
    // Not read by the binary yet (a reload hook would use it); the stages hold their own Arc.
    #[allow(dead_code)]
    pub inspect: Option<Arc<palisade_inspect::Engine>>,
    /// The policy engine (`[policy]`); `reload()` on SIGHUP.
    pub policy: Option<Arc<PolicyEngine>>,
    /// Polls the policy directory when `[policy] watch = true`; stops when dropped.
    // Never read: held only so the watcher lives as long as the runtime.
    #[allow(dead_code)]
    pub policy_watcher: Option<palisade_policy::PolicyWatcher>,
}

impl Runtime {
    /// Builds every stage the config asks for. Anything missing that a secure mode needs is an
    /// error here, at start, rather than an open door later.
    pub fn build(config: &Config, vault: &Vault, clock: SharedClock) -> Result<Runtime> {
        let data_dir = &config.server.data_dir;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data dir {}", data_dir.display()))?;
        let store = Arc::new(Store::open(data_dir).context("opening the state database")?);

        let audit_cfg = config.audit.clone().unwrap_or_default();
        let audit =
            Arc::new(AuditLog::open(data_dir, &audit_cfg, vault).context("opening the audit log")?);
        let audit_sink: Arc<dyn AuditSink> = audit.clone();

        // Development stages exist only for `mode = "none"` (their constructors refuse otherwise).
        let dev = match config.auth.mode {
            AuthMode::None => Some(palisade_gateway::dev::development_stages(config)?.0),
            AuthMode::Identity => None,
        };
        let (authenticator, identity): (Arc<dyn Authenticator>, _) = match &dev {
            Some(dev) => {
                tracing::warn!(
                    "[auth] mode = \"none\": every caller is allowed (development only)"
                );
                (dev.authenticator.clone(), None)
            }
            None => {
                let cfg = config.identity.clone().unwrap_or_default();
                let mut svc = IdentityService::open(
                    cfg,
                    store.clone(),
                    data_dir,
                    keys::dpop_nonce_key(vault)?,
                    clock.clone(),
                )
                .context("opening the identity service")?;
                if let Some(attest) = &config.attest {
                    for v in evidence::verifiers(attest)? {
                        svc.add_verifier(v);
                    }
                }
                let svc = Arc::new(svc);
                (
                    svc.authenticator.clone() as Arc<dyn Authenticator>,
                    Some(svc),
                )
            }
        };

        let policy = match &config.policy {
            Some(cfg) => Some(Arc::new(
                PolicyEngine::load(cfg).context("loading the policy set")?,
            )),
            None => None,
        };
        let policy_watcher = match &policy {
            Some(p) => p
                .watch_configured()
                .context("watching the policy directory")?,
            None => None,
        };
        let authorizer: Arc<dyn Authorizer> = match (&policy, &dev) {
            (Some(p), _) => p.clone(),
            (None, Some(dev)) => dev.authorizer.clone(),
            (None, None) => bail!(
                "auth.mode = \"identity\" needs a [policy] section: without policy every call would be denied"
            ),
        };

        let behavior = match &config.behavior {
            Some(cfg) => Some(Arc::new(
                Baselines::open(store.clone(), cfg.clone(), clock.clone())
                    .context("opening behavioural baselines")?,
            )),
            None => None,
        };
        let behavior_stage: Option<Arc<dyn BehaviorScorer>> = behavior.as_ref().map(|b| {
            Arc::new(quarantine::EnforcingBehavior {
                inner: b.clone(),
                registry: identity.as_ref().map(|s| s.registry.clone()),
                audit: audit_sink.clone(),
                clock: clock.clone(),
            }) as Arc<dyn BehaviorScorer>
        });

        let inspect = match &config.inspect {
            Some(cfg) => Some(Arc::new(
                palisade_inspect::Engine::load(cfg, data_dir, keys::inspect_hash_key(vault)?)
                    .context("loading the inspection engine")?,
            )),
            None => None,
        };

        let stages = Stages {
            authenticator,
            inspector: inspect
                .clone()
                .map(|e| e as Arc<dyn palisade_core::Inspector>),
            behavior: behavior_stage,
            authorizer,
            audit: audit_sink,
            clock,
            control: identity.as_ref().map(|svc| {
                Arc::new(control::IdentityControl {
                    identity: svc.clone(),
                    behavior: behavior.clone(),
                }) as Arc<dyn palisade_gateway::ControlPlane>
            }),
        };
        Ok(Runtime {
            stages,
            store,
            identity,
            audit,
            behavior,
            inspect,
            policy,
            policy_watcher,
        })
    }

    /// The gateway on these stages, with the policy, behaviour and audit counters on its
    /// `/metrics`. `serve` and `demo` both start it through here.
    pub fn gateway(
        &self,
        config: Config,
        credentials: &dyn palisade_gateway::CredentialSource,
    ) -> Result<palisade_gateway::Gateway> {
        let gateway = palisade_gateway::Gateway::new(config, self.stages.clone(), credentials)?;
        let registry = gateway.metrics();
        if let Some(p) = &self.policy {
            registry.add_source(Arc::new(metrics::PolicyMetrics(Arc::clone(p))));
        }
        if let Some(b) = &self.behavior {
            registry.add_source(Arc::new(metrics::BehaviorMetrics(Arc::clone(b))));
        }
        registry.add_source(Arc::new(metrics::AuditMetrics(Arc::clone(&self.audit))));
        Ok(gateway)
    }

    /// Makes state durable before exit: audit checkpoint, behaviour snapshot.
    pub fn shutdown(&self) {
        if let Some(b) = &self.behavior {
            if let Err(e) = b.flush() {
                tracing::error!(error = %e, "behaviour snapshot failed at shutdown");
            }
        }
        if let Err(e) = self.audit.close() {
            tracing::error!(error = %e, "audit log close failed");
        }
    }
}
