//! The pinned Sigstore `trusted_root.json` (media type trustedroot v0.1): transparency log keys
//! by log id, CT log keys (`ctlogs`, for the SCTs in Fulcio leaves) and Fulcio/TSA CA chains,
//! each with its validity window. Loaded once from text; never
//! fetched (no TUF here: the operator pins the file).

use super::ctlog::{CtKey, CtLog};
use super::SigstoreError;
use crate::keys::PublicKey;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use x509_cert::Certificate;

/// A `[start, end)` window in milliseconds; `end` absent means open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start (inclusive).
    pub start_ms: u64,
    /// End (exclusive), if any.
    pub end_ms: Option<u64>,
}

impl Window {
    /// True when `t_ms` falls inside.
    pub fn contains(&self, t_ms: u64) -> bool {
        t_ms >= self.start_ms
            && match self.end_ms {
                Some(e) => t_ms < e,
                None => true,
            }
    }
}

/// A transparency log (Rekor v1 or v2).
#[derive(Debug, Clone)]
pub struct Tlog {
    /// Base URL, for claims.
    pub base_url: String,
    /// The log id (bundles reference logs by it).
    pub log_id: Vec<u8>,
    /// The log's public key.
    pub key: PublicKey,
    /// When the key is valid.
    pub valid_for: Window,
}

/// A Fulcio certificate authority: chain from intermediate(s) to the self-signed root.
#[derive(Debug, Clone)]
pub struct CertAuthority {
    /// Certificates, issuing certificate first, root last.
    pub chain: Vec<Certificate>,
    /// When this CA could issue.
    pub valid_for: Window,
}

/// A parsed trusted root.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    /// Transparency logs.
    pub tlogs: Vec<Tlog>,
    /// Fulcio CAs.
    pub cas: Vec<CertAuthority>,
    /// RFC 3161 timestamp authorities (same shape: signing certificate first, root last).
    pub tsas: Vec<CertAuthority>,
    /// Certificate Transparency logs that may have logged Fulcio leaves.
    pub ctlogs: Vec<CtLog>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    #[serde(default)]
    tlogs: Vec<RawTlog>,
    #[serde(default)]
    certificate_authorities: Vec<RawCa>,
    #[serde(default)]
    timestamp_authorities: Vec<RawCa>,
    #[serde(default)]
    ctlogs: Vec<RawTlog>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTlog {
    #[serde(default)]
    base_url: String,
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    #[serde(default)]
    key_details: String,
    valid_for: Option<RawWindow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCa {
    cert_chain: RawChain,
    valid_for: Option<RawWindow>,
}

#[derive(Deserialize)]
struct RawChain {
    certificates: Vec<RawCert>,
}

/// A base64 DER certificate as the JSON formats carry it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawCert {
    /// Base64 DER.
    pub raw_bytes: String,
}

#[derive(Deserialize)]
struct RawWindow {
    start: Option<String>,
    end: Option<String>,
}

/// RFC 3339 -> milliseconds since the epoch.
pub fn rfc3339_ms(s: &str) -> Result<u64, SigstoreError> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| SigstoreError::TrustedRoot(format!("bad timestamp `{s}`")))?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| SigstoreError::TrustedRoot(format!("timestamp `{s}` before 1970")))
}

fn window(w: Option<RawWindow>) -> Result<Window, SigstoreError> {
    let Some(w) = w else {
        return Ok(Window {
            start_ms: 0,
            end_ms: None,
        });
    };
    Ok(Window {
        start_ms: w.start.as_deref().map(rfc3339_ms).transpose()?.unwrap_or(0),
        end_ms: w.end.as_deref().map(rfc3339_ms).transpose()?,
    })
}

pub(crate) fn b64(s: &str, what: &str) -> Result<Vec<u8>, SigstoreError> {
    STANDARD
        .decode(s.trim())
        .map_err(|_| SigstoreError::Bundle(format!("{what} is not base64")))
}

fn authorities(raw: Vec<RawCa>) -> Result<Vec<CertAuthority>, SigstoreError> {
    raw.into_iter()
        .map(|ca| {
            let chain = ca
                .cert_chain
                .certificates
                .iter()
                .map(|c| {
                    let der = b64(&c.raw_bytes, "ca certificate")?;
                    Ok(crate::x509::from_der(&der, "trusted root certificate")?)
                })
                .collect::<Result<Vec<_>, SigstoreError>>()?;
            if chain.is_empty() {
                return Err(SigstoreError::TrustedRoot("empty certificate chain".into()));
            }
            Ok(CertAuthority {
                chain,
                valid_for: window(ca.valid_for)?,
            })
        })
        .collect()
}

/// A CT log entry; its key kind comes from `keyDetails` (RSA logs carry PKCS#1, not SPKI).
fn ctlog(t: RawTlog) -> Result<CtLog, SigstoreError> {
    let tr = |e: SigstoreError| SigstoreError::TrustedRoot(e.to_string());
    let der = b64(&t.public_key.raw_bytes, "ct log key").map_err(tr)?;
    Ok(CtLog {
        key: CtKey::load(&t.base_url, &t.public_key.key_details, &der)
            .map_err(|e| SigstoreError::TrustedRoot(e.to_string()))?,
        log_id: b64(&t.log_id.key_id, "ct log id").map_err(tr)?,
        valid_for: window(t.public_key.valid_for)?,
        base_url: t.base_url,
    })
}

impl TrustedRoot {
    /// Parses the JSON text of a trusted root.
    pub fn from_json(text: &str) -> Result<Self, SigstoreError> {
        let raw: RawRoot =
            serde_json::from_str(text).map_err(|e| SigstoreError::TrustedRoot(e.to_string()))?;
        let tlogs = raw
            .tlogs
            .into_iter()
            .map(|t| {
                let der = b64(&t.public_key.raw_bytes, "tlog key")
                    .map_err(|e| SigstoreError::TrustedRoot(e.to_string()))?;
                Ok(Tlog {
                    key: PublicKey::from_der(&t.base_url, &der)
                        .map_err(|e| SigstoreError::TrustedRoot(e.to_string()))?,
                    log_id: b64(&t.log_id.key_id, "log id")
                        .map_err(|e| SigstoreError::TrustedRoot(e.to_string()))?,
                    valid_for: window(t.public_key.valid_for)?,
                    base_url: t.base_url,
                })
            })
            .collect::<Result<Vec<_>, SigstoreError>>()?;
        let cas = authorities(raw.certificate_authorities)?;
        let tsas = authorities(raw.timestamp_authorities)?;
        let ctlogs = raw
            .ctlogs
            .into_iter()
            .map(ctlog)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            tlogs,
            cas,
            tsas,
            ctlogs,
        })
    }

    /// The log with this id.
    pub fn tlog(&self, log_id: &[u8]) -> Option<&Tlog> {
        self.tlogs.iter().find(|t| t.log_id == log_id)
    }
}
