//! Development-only pieces: open authentication and allow-all authorization (only constructible
//! when the config says `[auth] mode = "none"`), an in-memory audit sink, and a simulated
//! OpenAI/Anthropic upstream for tests, interop and benchmarks.

pub mod fake_upstream;
mod stages;

pub use stages::{AllowAllAuthorizer, DevModeRefused, DevOpenAuthenticator, MemoryAuditSink};

use crate::stages::Stages;
use palisade_config::Config;
use palisade_core::SystemClock;
use std::sync::Arc;

/// The development stage set: open auth, allow-all authorization, in-memory audit, no
/// inspection, behaviour or control plane. Refused unless the config explicitly selects `mode = "none"`.
pub fn development_stages(
    config: &Config,
) -> Result<(Stages, Arc<MemoryAuditSink>), DevModeRefused> {
    let audit = Arc::new(MemoryAuditSink::default());
    let stages = Stages {
        authenticator: Arc::new(DevOpenAuthenticator::new(&config.auth)?),
        inspector: None,
        behavior: None,
        authorizer: Arc::new(AllowAllAuthorizer::new(&config.auth)?),
        audit: audit.clone(),
        clock: Arc::new(SystemClock),
        control: None,
    };
    Ok((stages, audit))
}
