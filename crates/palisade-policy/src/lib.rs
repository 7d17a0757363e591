//! Cedar schema, policy sets, entity building and decisions with reasons; hot reload and shadow mode.
//!
//! (Skeleton: filled in by its issue.)
