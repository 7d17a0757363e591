//! Evidence verifiers: DSSE/in-toto provenance, Sigstore bundles, AMD SEV-SNP reports, join tokens, Kubernetes SA tokens.
//!
//! (Skeleton: filled in by its issue.)
