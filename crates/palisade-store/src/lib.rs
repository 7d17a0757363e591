//! Embedded state store (SQLite) shared by the domain crates.
//!
//! (Skeleton: filled in by its issue.)
