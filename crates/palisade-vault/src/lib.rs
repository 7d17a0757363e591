//! Sealed secret storage (AES-256-GCM under a master key) with master-key rotation.
//!
//! (Skeleton: filled in by its issue.)
