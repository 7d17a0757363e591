//! The `palisade` command line. Each subcommand lives in its own file under `cli/`; adding one is
//! a new file, a variant in `Command`, and a match arm here.

mod cli;
#[cfg(feature = "demo")]
mod demo;
mod logging;
mod runtime;

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
    /// The tamper-evident audit log: verify, read, prove, export.
    #[command(subcommand)]
    Audit(cli::audit::AuditCommand),
    /// A C2SP tlog-witness that cosigns other hosts' audit checkpoints.
    #[command(subcommand)]
    Witness(cli::witness::WitnessCommand),
    /// Non-human identities: registry, status, join tokens, behaviour baselines.
    #[command(subcommand)]
    Identity(cli::identity::IdentityCommand),
    /// Cedar policies: validate, test against cases, explain one decision.
    #[command(subcommand)]
    Policy(cli::policy::PolicyCommand),
    /// Scan files, directories or stdin with the gateway's inspection engine.
    Inspect(cli::inspect::InspectArgs),
    /// Canary tokens that trip a critical finding wherever they are seen.
    #[command(subcommand)]
    Canary(cli::canary::CanaryCommand),
    /// Protected documents recognized by fingerprint.
    #[command(subcommand)]
    Protect(cli::protect::ProtectCommand),
    /// Supply-chain scan of environments, lockfiles, workflows and package sources.
    Scan(cli::scan::ScanCli),
    /// Advisory database (OSV, RustSec) used by `scan`.
    #[command(subcommand)]
    Advisories(cli::advisories::AdvisoriesCommand),
    /// The key that signs scan verdicts for vendor enrollment.
    #[command(subcommand)]
    ScanKey(cli::scan_key::ScanKeyCommand),
    /// Development tools (simulated upstreams).
    #[command(subcommand, hide = true)]
    Dev(cli::dev::DevCommand),
    /// Replay the breach against a real gateway on loopback (simulated providers).
    #[cfg(feature = "demo")]
    Demo(cli::demo::DemoArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => cli::serve::run(args),
        Command::Config(cmd) => cli::config::run(cmd),
        Command::Vault(cmd) => cli::vault::run(cmd),
        Command::Audit(cmd) => cli::audit::run(cmd),
        Command::Witness(cmd) => cli::witness::run(cmd),
        Command::Identity(cmd) => cli::identity::run(cmd),
        Command::Policy(cmd) => cli::policy::run(cmd),
        Command::Inspect(args) => cli::inspect::run(args),
        Command::Canary(cmd) => cli::canary::run(cmd),
        Command::Protect(cmd) => cli::protect::run(cmd),
        Command::Scan(args) => cli::scan::run(args),
        Command::Advisories(cmd) => cli::advisories::run(cmd),
        Command::ScanKey(cmd) => cli::scan_key::run(cmd),
        Command::Dev(cmd) => cli::dev::run(cmd),
        #[cfg(feature = "demo")]
        Command::Demo(args) => cli::demo::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A "no" answer (findings, failed verification): exit 1, as CI expects.
        Err(e) if e.downcast_ref::<cli::Failed>().is_some() => {
            let msg = e.to_string();
            if !msg.is_empty() {
                eprintln!("palisade: {msg}");
            }
            std::process::ExitCode::from(1)
        }
        // Usage and internal errors: exit 2 (clap uses 2 for usage errors too).
        Err(e) => {
            eprintln!("palisade: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
