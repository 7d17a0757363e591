//! The `palisade` command line. Each subcommand lives in its own file under `cli/`; adding one is
//! a new file, a variant in `Command`, and a match arm here.

mod cli;
mod logging;

use clap::{Parser, Subcommand};

/// Palisade: a zero-trust gateway for AI agents.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTPS gateway.
    Serve(cli::serve::ServeArgs),
    /// Configuration tools.
    #[command(subcommand)]
    Config(cli::config::ConfigCommand),
    /// Sealed provider keys.
    #[command(subcommand)]
    Vault(cli::vault::VaultCommand),
    /// Development tools (simulated upstreams).
    #[command(subcommand, hide = true)]
    Dev(cli::dev::DevCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => cli::serve::run(args),
        Command::Config(cmd) => cli::config::run(cmd),
        Command::Vault(cmd) => cli::vault::run(cmd),
        Command::Dev(cmd) => cli::dev::run(cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("palisade: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
