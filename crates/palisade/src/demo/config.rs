//! The demo's embedded configuration: a TOML text filled with this run's paths, ports and
//! public keys, then parsed by `palisade_config::parse`, so it passes exactly the validation
//! `palisade serve` applies to a file. Nothing here is demo-only except `[attest.sample_tee]`,
//! which builds without the `sample-tee` feature refuse.

use super::evidence::{BUILDER_ID, MEASUREMENT, SOURCE_REPO};
use anyhow::{Context, Result};
use palisade_config::Config;
use std::net::SocketAddr;
use std::path::Path;

/// Ordinary calls an identity makes before its own baseline is enforced.
pub const LEARNING_REQUESTS: u64 = 8;

/// Inputs of the config.
pub struct ConfigInputs<'a> {
    /// The data dir.
    pub data_dir: &'a Path,
    /// The simulated provider (FakeUpstream).
    pub provider: SocketAddr,
    /// The simulated retrieval model over the lab's documents.
    pub rag: SocketAddr,
    /// Builder public key PEM.
    pub builder_pem: &'a str,
    /// Scanner public key file.
    pub scanner_key_file: &'a Path,
    /// Payroll CSV.
    pub payroll_csv: &'a Path,
    /// Policy dir.
    pub policy_dir: &'a Path,
}

/// The TOML text.
pub fn text(i: &ConfigInputs<'_>) -> String {
    let p = i.provider;
    let r = i.rag;
    format!(
        r#"# palisade demo: embedded configuration (SIMULATED providers on loopback)
[server]
listen = "127.0.0.1:0"
data_dir = "{data}"
shutdown_drain = "2s"

# The lab's own models (internal), one upstream per segment, all served by the simulated provider.
[[upstreams]]
name = "lab-labeling"
kind = "openai-compatible"
base_url = "http://{p}"
credential = "sim-internal-key"
destination = "internal"
segment = "labeling"

[[upstreams]]
name = "lab-training"
kind = "openai-compatible"
base_url = "http://{p}"
credential = "sim-internal-key"
destination = "internal"
segment = "training"

[[upstreams]]
name = "lab-research"
kind = "openai-compatible"
base_url = "http://{p}"
credential = "sim-internal-key"
destination = "internal"
segment = "research"

[[upstreams]]
name = "lab-rag"
kind = "openai-compatible"
base_url = "http://{r}"
credential = "sim-internal-key"
destination = "internal"
segment = "research"

# A third-party hosted model (external), open to every segment through the shared catalogue.
[[upstreams]]
name = "external"
kind = "openai-compatible"
base_url = "http://{p}"
credential = "sim-external-key"
destination = "external"
segment = "shared"

[[models]]
name = "labeling-small"
upstream = "lab-labeling"

[[models]]
name = "ckpt-70b-latest"
upstream = "lab-training"

[[models]]
name = "research-llm"
upstream = "lab-research"

[[models]]
name = "roadmap-rag"
upstream = "lab-rag"

[[models]]
name = "gpt-4o"
upstream = "external"

[auth]
mode = "identity"

[identity]
trust_domain = "lab.example"
issuer = "https://palisade.lab.example"
audience = "palisade-gateway"

[attest.sample_tee]
reference_measurements = ["{measurement}"]

[attest.provenance]
allowed_builder_ids = ["{builder_id}"]
allowed_source_repositories = ["{source}"]

[[attest.provenance.builder_keys]]
id = "demo-builder"
public_key_pem = '''
{builder_pem}'''

[attest.scan]
trusted_key_files = ["{scanner}"]
max_severity = "low"

[policy]
dir = "{policy}"

[inspect]
markers = ["CONFIDENTIAL"]
code_names = ["Llama-5"]

[inspect.actions]
secret = "redact"
pii = "record"
payroll = "record"
confidential = "record"
protected_document = "record"
canary = "block"
injection = "record"

[inspect.edm]
csv = "{csv}"
min_corroborating = 1

[inspect.edm.columns]
employee_id = "primary"
name = "corroborating"
salary = "corroborating"

[behavior]
learning_period_requests = {learning}
learning_period_hours = 0
peer_baseline = false
snapshot_interval_secs = 0

[audit]
mode = "sync"
origin = "palisade.demo/audit"
"#,
        data = i.data_dir.display(),
        measurement = MEASUREMENT,
        builder_id = BUILDER_ID,
        source = SOURCE_REPO,
        builder_pem = i.builder_pem,
        scanner = i.scanner_key_file.display(),
        policy = i.policy_dir.display(),
        csv = i.payroll_csv.display(),
        learning = LEARNING_REQUESTS,
    )
}

/// Where the config is kept, so the other commands can read the demo's state with it.
pub fn kept_file(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("palisade.toml")
}

/// Parses and validates the embedded config, and keeps a copy in the data dir.
pub fn build(i: &ConfigInputs<'_>) -> Result<Config> {
    let text = text(i);
    let config = palisade_config::parse(&text, "<embedded demo config>", i.data_dir)
        .context("the embedded demo config did not validate")?;
    std::fs::write(kept_file(i.data_dir), &text).context("keeping the demo config")?;
    Ok(config)
}
