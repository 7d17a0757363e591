//! One file per subcommand; each exposes `run(args) -> anyhow::Result<()>`. Exit codes: 0 ok,
//! 1 when a command reports findings or a failed verification ([`Failed`]), 2 for usage and
//! internal errors.

pub mod advisories;
pub mod audit;
pub mod canary;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod dev;
pub mod identity;
pub mod inspect;
pub mod location;
pub mod policy;
pub mod protect;
pub mod scan;
pub mod scan_key;
pub mod serve;
pub mod vault;
pub mod witness;

/// The command ran to completion and its answer is "no": findings at or above the threshold,
/// a log that fails verification, failing policy cases. `main` exits 1 and prints the message
/// (empty when the command already printed its report).
#[derive(Debug)]
pub struct Failed(pub String);

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

/// `--fail-on`: a severity on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeverityArg {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl From<SeverityArg> for palisade_core::Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Low => Self::Low,
            SeverityArg::Medium => Self::Medium,
            SeverityArg::High => Self::High,
            SeverityArg::Critical => Self::Critical,
        }
    }
}

/// `--format`: report formats shared by `inspect` and `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// A terminal table.
    Table,
    /// JSON.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
}
