//! `IdentityService`: everything the gateway and binary need, built from one config and data
//! dir: registry, signing keys, enrollment (join token and Kubernetes verifiers registered),
//! the stage-3 authenticator and the admin API.

use crate::admin::AdminApi;
use crate::admin_credential::AdminCredential;
use crate::authn::IdentityAuthenticator;
use crate::config::IdentityConfig;
use crate::dpop::DpopVerifier;
use crate::enroll::Enrollment;
use crate::evidence::EvidenceVerifier;
use crate::join_token::JoinTokenVerifier;
use crate::k8s::K8sSaVerifier;
use crate::keys::{KeyError, SigningKeys};
use crate::registry::{Registry, RegistryError};
use crate::replay::StoreReplayCache;
use palisade_core::SharedClock;
use palisade_store::Store;
use std::path::Path;
use std::sync::Arc;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Config out of range.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Registry/store.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Signing keys.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// Admin credential file.
    #[error("admin credential: {0}")]
    Admin(std::io::Error),
    /// Kubernetes attestor.
    #[error(transparent)]
    K8s(#[from] crate::evidence::EvidenceError),
    /// The persistent DPoP replay cache.
    #[error(transparent)]
    Replay(#[from] crate::replay::ReplayError),
}

/// The identity stage, assembled.
#[derive(Debug)]
pub struct IdentityService {
    /// The registry.
    pub registry: Arc<Registry>,
    /// Token signing keys.
    pub keys: Arc<SigningKeys>,
    /// Enrollment (add more verifiers before sharing, via `enrollment_mut`).
    pub enrollment: Enrollment,
    /// Stage 3.
    pub authenticator: Arc<IdentityAuthenticator>,
    /// Admin API.
    pub admin: AdminApi,
}

impl IdentityService {
    /// Opens everything in `data_dir` on a shared `store`: keys and admin credential files
    /// are created 0600 on first start. `dpop_nonce_key` keys the DPoP server nonces; the
    /// caller keeps it sealed (the vault), so nonces stay valid across a restart and cannot
    /// be minted by whoever reads the data directory.
    pub fn open(
        cfg: IdentityConfig,
        store: Arc<Store>,
        data_dir: &Path,
        dpop_nonce_key: [u8; 32],
        clock: SharedClock,
    ) -> Result<Self, ServiceError> {
        let keys = Arc::new(SigningKeys::load_or_create(data_dir)?);
        let admin = AdminCredential::load_or_create(data_dir).map_err(ServiceError::Admin)?;
        Self::with_nonce_key(cfg, store, keys, admin, dpop_nonce_key, clock)
    }

    /// Builds from explicit parts with a fresh random nonce key (tests, in-memory gateways).
    /// The replay cache is still the store's.
    pub fn with_parts(
        cfg: IdentityConfig,
        store: Arc<Store>,
        keys: Arc<SigningKeys>,
        admin: AdminCredential,
        clock: SharedClock,
    ) -> Result<Self, ServiceError> {
        Self::with_nonce_key(cfg, store, keys, admin, rand::random(), clock)
    }

    /// Builds from explicit parts and a DPoP nonce key.
    pub fn with_nonce_key(
        cfg: IdentityConfig,
        store: Arc<Store>,
        keys: Arc<SigningKeys>,
        admin: AdminCredential,
        dpop_nonce_key: [u8; 32],
        clock: SharedClock,
    ) -> Result<Self, ServiceError> {
        cfg.validate()?;
        let replay = Arc::new(StoreReplayCache::open(store.clone())?);
        let dpop = DpopVerifier::with_state(
            cfg.dpop_iat_window_secs,
            cfg.require_dpop_nonce,
            dpop_nonce_key,
            replay,
        );
        let registry = Arc::new(Registry::open(store, &cfg.trust_domain, clock.clone())?);
        let mut enrollment =
            Enrollment::new(cfg.clone(), registry.clone(), keys.clone(), clock.clone());
        enrollment.add_verifier(Arc::new(JoinTokenVerifier::new(
            registry.clone(),
            cfg.join_token_appraisal_secs,
        )));
        if let Some(k8s) = &cfg.k8s {
            enrollment.add_verifier(Arc::new(K8sSaVerifier::from_config(k8s)?));
        }
        let authenticator = Arc::new(IdentityAuthenticator::new(
            cfg,
            registry.clone(),
            keys.clone(),
            dpop,
            clock,
        ));
        let admin = AdminApi::new(registry.clone(), keys.clone(), admin);
        Ok(Self {
            registry,
            keys,
            enrollment,
            authenticator,
            admin,
        })
    }

    /// Adds an evidence verifier (e.g. an adapter over palisade-attest).
    pub fn add_verifier(&mut self, v: Arc<dyn EvidenceVerifier>) {
        self.enrollment.add_verifier(v);
    }
}
