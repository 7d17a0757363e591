//! The `[attest]` section: which evidence kinds enrollment accepts and their reference values.
//! Policies reuse the verifiers' own types; key material and trust roots are named by file so
//! the config stays readable and the PEM/JSON is read once at start.

use palisade_attest::provenance::ProvenanceConfig;
use palisade_attest::sigstore::{CertIdentity, ManagedKeyConfig};
use palisade_attest::snp::SnpPolicy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `[attest]`: each present sub-table enables one evidence kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttestSection {
    /// `[attest.sev_snp]`: AMD SEV-SNP reports.
    pub sev_snp: Option<SnpSection>,
    /// `[attest.provenance]`: DSSE/in-toto SLSA provenance signed by a configured builder key.
    pub provenance: Option<ProvenanceConfig>,
    /// `[attest.sigstore]`: Sigstore bundles verified offline.
    pub sigstore: Option<SigstoreSection>,
    /// `[attest.sample_tee]`: plain-JSON sample TEE (only in builds with the `sample-tee` feature).
    pub sample_tee: Option<SampleTeeSection>,
    /// `[attest.scan]`: signed `palisade scan` verdicts required for vendor enrollment.
    pub scan: Option<ScanAttestSection>,
}

/// `[attest.sev_snp]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnpSection {
    /// Per product (`milan`, `genoa`, `turin`): a PEM file with the AMD ASK/ASVK + ARK chain.
    pub amd_chain_files: BTreeMap<String, PathBuf>,
    /// The appraisal policy (measurements, debug, TCB, VMPL).
    pub policy: SnpPolicy,
}

/// `[attest.sigstore]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigstoreSection {
    /// The pinned `trusted_root.json`.
    pub trusted_root_file: PathBuf,
    /// Allowed Fulcio identities (issuer + subject).
    #[serde(default)]
    pub identities: Vec<CertIdentity>,
    /// Allowed managed keys.
    #[serde(default)]
    pub managed_keys: Vec<ManagedKeyConfig>,
    /// Appraisal lifetime in seconds.
    #[serde(default = "default_ttl")]
    pub appraisal_ttl_secs: u64,
}

/// `[attest.sample_tee]`: refused by builds without the `sample-tee` feature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleTeeSection {
    /// Accepted measurements (hex).
    #[serde(default)]
    pub reference_measurements: Vec<String>,
    /// Accept `debug: true` evidence.
    #[serde(default)]
    pub allow_debug: bool,
    /// Appraisal lifetime in seconds.
    #[serde(default = "default_sample_ttl")]
    pub appraisal_ttl_secs: u64,
}

/// `[attest.scan]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanAttestSection {
    /// Files with the Ed25519 public keys (PEM) allowed to sign scan verdicts.
    pub trusted_key_files: Vec<PathBuf>,
    /// Oldest acceptable verdict, in seconds.
    #[serde(default = "default_scan_age")]
    pub max_age_secs: u64,
    /// Highest finding severity a clean verdict may contain (`low`, `medium`, `high`).
    #[serde(default = "default_scan_severity")]
    pub max_severity: String,
}

fn default_ttl() -> u64 {
    3600
}
fn default_sample_ttl() -> u64 {
    300
}
fn default_scan_age() -> u64 {
    86_400
}
fn default_scan_severity() -> String {
    "low".to_owned()
}
