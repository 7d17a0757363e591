//! Tamper-evident audit log: RFC 6962 Merkle tree, C2SP signed checkpoints, proofs, verification, export.
//!
//! (Skeleton: filled in by its issue.)
