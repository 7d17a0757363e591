//! AMD SEV-SNP evidence: parse the report, verify ARK -> ASK|ASVK -> VCEK|VLEK, check the leaf was
//! issued for this report's TCB and chip, verify the report signature, then apply the policy.

pub mod certs;
pub mod policy;
pub mod report;

use crate::appraisal::Appraisal;
use crate::x509::CertError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use signature::Verifier as _;
use std::collections::BTreeMap;

pub use certs::{pinned_ark_sha256, ProductRoots};
pub use policy::{MinTcb, ReportDataRest, SnpPolicy};
pub use report::{Product, Report, SigningKey, Tcb};

/// Evidence kind name.
pub const KIND: &str = "sev_snp";

/// Why SEV-SNP evidence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnpError {
    /// The evidence JSON does not have the expected shape.
    #[error("malformed sev-snp evidence: {0}")]
    Evidence(String),
    /// A configuration value is invalid.
    #[error("invalid sev-snp configuration: {0}")]
    Config(String),
    /// Report is not 1184 bytes.
    #[error("sev-snp report must be 1184 bytes, got {0}")]
    ReportLength(usize),
    /// Unsupported report version.
    #[error("unsupported sev-snp report version {0}")]
    UnsupportedVersion(u32),
    /// Signature algorithm other than ECDSA P-384/SHA-384.
    #[error("unsupported sev-snp signature algorithm {0}")]
    UnsupportedSignatureAlgo(u32),
    /// KEY_INFO names no usable signing key.
    #[error("unsupported sev-snp signing key selector {0}")]
    UnsupportedSigningKey(u32),
    /// Product not configured or not known.
    #[error("unknown or unconfigured amd product `{0}`")]
    UnknownProduct(String),
    /// The configured ARK is not AMD's pinned root.
    #[error("the {0} ark does not match the pinned amd root fingerprint")]
    UntrustedRoot(String),
    /// A certificate problem (decode, validity, algorithm, signature, name chaining).
    #[error(transparent)]
    Cert(#[from] CertError),
    /// A VCEK/VLEK extension is missing or malformed.
    #[error("vcek extension `{0}` is missing or malformed")]
    VcekExtension(&'static str),
    /// The VCEK was issued for another TCB than the report claims.
    #[error("reported tcb {component}={report} does not match the vcek's {cert}")]
    VcekTcbMismatch {
        /// TCB component.
        component: &'static str,
        /// Value in the report.
        report: u8,
        /// Value in the certificate.
        cert: u8,
    },
    /// The VCEK belongs to another chip.
    #[error("report chip_id does not match the vcek hwid")]
    ChipIdMismatch,
    /// The report signature does not verify under the VCEK/VLEK.
    #[error("sev-snp report signature does not verify")]
    ReportSignature,
    /// Measurement not among the reference values.
    #[error("launch measurement {0} is not an accepted reference value")]
    MeasurementNotAllowed(String),
    /// Guest policy allows debugging.
    #[error("guest policy allows debugging (policy bit 19) and debug is not allowed")]
    DebugNotAllowed,
    /// A TCB component is below the minimum.
    #[error("reported tcb {component}={got} is below the minimum {min}")]
    TcbTooLow {
        /// TCB component.
        component: &'static str,
        /// Reported value.
        got: u8,
        /// Required minimum.
        min: u8,
    },
    /// VMPL not allowed.
    #[error("report from vmpl {0} is not allowed")]
    VmplNotAllowed(u32),
    /// Guest SVN too low.
    #[error("guest svn {got} is below the minimum {min}")]
    GuestSvnTooLow {
        /// Reported.
        got: u32,
        /// Required.
        min: u32,
    },
    /// HOST_DATA differs from the configured value.
    #[error("host_data does not match the configured value")]
    HostDataMismatch,
    /// REPORT_DATA[0..32] is not the expected nonce/key binding.
    #[error("report_data does not bind the enrollment nonce and workload key")]
    BindingMismatch,
    /// REPORT_DATA[32..64] is not zero.
    #[error("report_data bytes 32..64 must be zero")]
    ReportDataNotZero,
}

/// The SEV-SNP verifier configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnpConfig {
    /// Per product (`milan`, `genoa`, `turin`): the PEM bundle of AMD certificates (ASK and/or
    /// ASVK, and ARK) as served by AMD KDS `cert_chain`. The ARK is checked against the pin.
    pub amd_chains: BTreeMap<String, String>,
    /// The appraisal policy.
    pub policy: SnpPolicy,
}

/// Evidence JSON: `{"report": base64, "vcek": base64 DER, "product": "milan"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnpEvidence {
    report: String,
    #[serde(alias = "vlek")]
    vcek: String,
    product: String,
}

/// A ready verifier: roots loaded and pinned, policy compiled.
#[derive(Debug, Clone)]
pub struct SnpVerifier {
    roots: BTreeMap<Product, ProductRoots>,
    policy: policy::CompiledPolicy,
}

impl SnpVerifier {
    /// Loads and checks the configuration (ARK pins, hex values).
    pub fn new(config: SnpConfig) -> Result<Self, SnpError> {
        let mut roots = BTreeMap::new();
        for (name, pem) in &config.amd_chains {
            let product = Product::parse(name)?;
            roots.insert(product, ProductRoots::from_pem(product, pem)?);
        }
        Ok(Self {
            roots,
            policy: policy::CompiledPolicy::new(config.policy)?,
        })
    }

    /// The evidence kind this verifier handles (`sev_snp`).
    pub fn kind(&self) -> &str {
        KIND
    }

    /// Verifies JSON evidence (see [`SnpEvidence`] shape in the module docs).
    pub fn verify(
        &self,
        evidence: &serde_json::Value,
        binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, SnpError> {
        let ev =
            SnpEvidence::deserialize(evidence).map_err(|e| SnpError::Evidence(e.to_string()))?;
        let report = STANDARD
            .decode(ev.report.trim())
            .map_err(|_| SnpError::Evidence("report is not base64".into()))?;
        let vcek = STANDARD
            .decode(ev.vcek.trim())
            .map_err(|_| SnpError::Evidence("vcek is not base64".into()))?;
        let product = Product::parse(&ev.product)?;
        self.verify_raw(&report, &vcek, product, binding, now_ms)
    }

    /// Verifies a raw report and DER leaf certificate.
    pub fn verify_raw(
        &self,
        report_bytes: &[u8],
        leaf_der: &[u8],
        product: Product,
        binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, SnpError> {
        let roots = self
            .roots
            .get(&product)
            .ok_or_else(|| SnpError::UnknownProduct(product.cert_name().to_lowercase()))?;
        let report = Report::parse(report_bytes)?;
        let leaf = crate::x509::from_der(leaf_der, "vcek")?;
        let chain_not_after = roots.verify_chain(&leaf, report.signing_key, now_ms)?;
        let tcb = Tcb::decode(report.reported_tcb, product);
        certs::check_leaf_matches(
            &leaf,
            product,
            report.signing_key,
            tcb,
            &report.chip_id,
            report.mask_chip_id,
        )?;
        let key = certs::leaf_key(&leaf)?;
        let sig = p384::ecdsa::Signature::from_scalars(report.sig_r, report.sig_s)
            .map_err(|_| SnpError::ReportSignature)?;
        key.verify(&report.signed, &sig)
            .map_err(|_| SnpError::ReportSignature)?;
        self.policy.appraise(&report, tcb, binding)?;
        let ttl_ms = self.policy.raw.appraisal_ttl_secs.saturating_mul(1000);
        Ok(Appraisal {
            kind: KIND.to_owned(),
            expires_at_ms: now_ms.saturating_add(ttl_ms).min(chain_not_after),
            claims: claims(&report, tcb, product),
        })
    }
}

fn claims(r: &Report, tcb: Tcb, product: Product) -> BTreeMap<String, String> {
    let key = match r.signing_key {
        SigningKey::Vcek => "vcek",
        SigningKey::Vlek => "vlek",
    };
    [
        ("snp.product", product.cert_name().to_lowercase()),
        ("snp.measurement", hex::encode(r.measurement)),
        ("snp.policy", format!("{:#x}", r.policy)),
        ("snp.vmpl", r.vmpl.to_string()),
        ("snp.guest_svn", r.guest_svn.to_string()),
        ("snp.reported_tcb", tcb.to_string()),
        ("snp.signing_key", key.to_owned()),
        ("snp.report_version", r.version.to_string()),
        ("snp.host_data", hex::encode(r.host_data)),
        ("snp.report_id", hex::encode(r.report_id)),
        ("snp.chip_id", hex::encode(r.chip_id)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
