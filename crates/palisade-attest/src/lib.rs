//! Evidence verifiers for attestation-gated enrollment: AMD SEV-SNP reports, DSSE/in-toto SLSA
//! provenance, Sigstore bundles (offline, pinned trusted root) and, behind the `sample-tee`
//! feature, a plain-JSON sample TEE for tests and demos. Pure library code: no HTTP, no clock
//! (callers pass `now_ms`), no files (callers pass PEM/JSON text).
//!
//! Every verifier has the same shape so the identity layer can wrap it in its
//! `EvidenceVerifier` trait: `kind() -> &str` and
//! `verify(&serde_json::Value, &[u8; 32], u64) -> Result<Appraisal, KindError>`.

pub mod appraisal;
pub mod error;
pub mod keys;
pub mod provenance;
#[cfg(feature = "sample-tee")]
pub mod sample_tee;
pub mod sigstore;
pub mod snp;
pub mod verifier;
pub mod x509;

pub use appraisal::Appraisal;
pub use error::AttestError;
pub use verifier::Verifier;
