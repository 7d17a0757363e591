//! The shape every evidence verifier shares, as a trait, so callers holding several kinds (the
//! enrollment wiring) handle them through one adapter instead of one per kind.

use crate::{Appraisal, AttestError};
use serde_json::Value;

/// An evidence verifier of one kind.
pub trait Verifier: Send + Sync {
    /// The evidence kind it handles (`sev_snp`, `dsse_provenance`, ...).
    fn kind(&self) -> &str;
    /// Verifies JSON evidence against the 32-byte binding at `now_ms`.
    fn verify(
        &self,
        evidence: &Value,
        binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, AttestError>;
}

/// Each verifier's inherent methods keep their precise error type; the trait widens it.
macro_rules! impl_verifier {
    ($ty:ty) => {
        impl Verifier for $ty {
            fn kind(&self) -> &str {
                <$ty>::kind(self)
            }
            fn verify(
                &self,
                evidence: &Value,
                binding: &[u8; 32],
                now_ms: u64,
            ) -> Result<Appraisal, AttestError> {
                <$ty>::verify(self, evidence, binding, now_ms).map_err(AttestError::from)
            }
        }
    };
}

impl_verifier!(crate::snp::SnpVerifier);
impl_verifier!(crate::provenance::ProvenanceVerifier);
impl_verifier!(crate::sigstore::SigstoreVerifier);
#[cfg(feature = "sample-tee")]
impl_verifier!(crate::sample_tee::SampleTeeVerifier);
