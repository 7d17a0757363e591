//! The umbrella error over every evidence kind, for callers that hold verifiers of several kinds.

/// Any verifier's failure, keeping the kind's precise error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestError {
    /// SEV-SNP.
    #[error(transparent)]
    Snp(#[from] crate::snp::SnpError),
    /// DSSE / in-toto provenance.
    #[error(transparent)]
    Provenance(#[from] crate::provenance::ProvenanceError),
    /// Sigstore bundle.
    #[error(transparent)]
    Sigstore(#[from] crate::sigstore::SigstoreError),
    /// Sample TEE.
    #[cfg(feature = "sample-tee")]
    #[error(transparent)]
    SampleTee(#[from] crate::sample_tee::SampleTeeError),
}
