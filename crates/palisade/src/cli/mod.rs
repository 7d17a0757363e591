//! One file per subcommand; each exposes `run(args) -> anyhow::Result<()>`.

pub mod config;
pub mod dev;
pub mod serve;
pub mod vault;
mod vault_credentials;
