//! Content inspection: normalizer, secret/PII/EDM/marker/canary/fingerprint detectors, streaming scanner.
//!
//! (Skeleton: filled in by its issue.)
