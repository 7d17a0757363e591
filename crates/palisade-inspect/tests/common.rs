//! Shared helpers for the integration tests: an engine over a temp data dir.
#![allow(dead_code)]

use palisade_inspect::{Engine, InspectConfig};
use std::path::Path;

pub const KEY: [u8; 32] = [42; 32];

pub fn engine(cfg: &InspectConfig, dir: &Path) -> Engine {
    Engine::load(cfg, dir, KEY).unwrap()
}

/// A syntactically valid AWS access key id built at runtime (no literal secret in the source).
pub fn aws_key() -> String {
    format!("AKIA{}", "QZ5XW7PLMN3K2RTY")
}

pub fn github_pat() -> String {
    format!("ghp_{}", "R8kq2LmZ0vX7wKcTf3Hs9pQa1BnYd6Ue4Jt5")
}
