//! Strict TOML configuration: raw serde types with deny_unknown_fields, validated into a typed Config.
//!
//! (Skeleton: filled in by its issue.)
