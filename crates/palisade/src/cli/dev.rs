//! `palisade dev fake-upstream --port N` (hidden): runs the SIMULATED OpenAI/Anthropic upstream
//! for interop tests, demos and benchmarks. It is not a model and answers canned text.

use anyhow::Result;
use clap::Subcommand;
use palisade_gateway::dev::fake_upstream::FakeUpstream;

/// `palisade dev ...`
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Serve the simulated upstream on 127.0.0.1:PORT (plain HTTP, loopback only).
    FakeUpstream {
        /// Port (0 picks one; the bound address is printed).
        #[arg(long, default_value_t = 9911)]
        port: u16,
    },
}

/// Runs a dev subcommand.
pub fn run(cmd: DevCommand) -> Result<()> {
    match cmd {
        DevCommand::FakeUpstream { port } => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                let up = FakeUpstream::start(([127, 0, 0, 1], port).into()).await?;
                println!("SIMULATED upstream listening on http://{}", up.addr());
                tokio::signal::ctrl_c().await?;
                Ok(())
            })
        }
    }
}
