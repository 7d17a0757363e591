//! Identity registry, enrollment, short-lived sender-bound access tokens (JWT + DPoP/mTLS),
//! revocation and quarantine: stage 3 of the request path (DESIGN.md §2).
//!
//! Layout: `registry` (SQLite records + status cache), `enroll` (challenge/response and token
//! minting) over `evidence` verifiers (`join_token`, `k8s`), `keys` + `token` (EdDSA access
//! tokens), `dpop` (RFC 9449 proofs), `authn` (the `Authenticator`), `admin` and `cli`.

pub mod admin;
pub mod admin_credential;
pub mod authn;
pub mod cli;
pub mod config;
pub mod dpop;
pub mod enroll;
pub mod enroll_error;
pub mod enroll_http;
pub mod enroll_nonce;
pub mod error;
pub mod evidence;
pub mod join_token;
pub mod jose;
pub mod k8s;
pub mod keys;
pub mod record;
pub mod refresh;
pub mod registry;
pub mod replay;
pub mod service;
pub mod token;
pub mod token_cache;

pub use admin::AdminApi;
pub use admin_credential::AdminCredential;
pub use authn::{Authenticated, IdentityAuthenticator, SenderBinding, LEGACY_BEARER_MARK};
pub use config::{ConfigError, IdentityConfig, K8sConfig};
pub use dpop::{normalize_htu, DpopVerifier, ProofContext, VerifiedProof};
pub use enroll::{EnrollRequest, Enrollment, EvidenceStatus, IssuedToken, Nonce};
pub use enroll_error::EnrollError;
pub use error::AuthError;
pub use evidence::{binding, Appraisal, EvidenceError, EvidenceVerifier, BOUND_IDENTITY};
pub use join_token::{JoinToken, JoinTokenVerifier};
pub use k8s::K8sSaVerifier;
pub use keys::SigningKeys;
pub use record::{IdentityRecord, NewIdentity, StatusAction, StatusChange};
pub use registry::{Registry, RegistryError};
pub use replay::{MemoryReplayCache, ReplayCache, Seen, StoreReplayCache};
pub use service::{IdentityService, ServiceError};
pub use token::{AccessClaims, Cnf};
