//! `palisade scan --attest KEY`: the scan verdict as a DSSE-signed in-toto v1 Statement
//! (subject = the scanned tree digest; predicate = time, findings by severity, scanner version),
//! Ed25519 keys from PKCS#8 PEM or raw files, and key generation. Verification for enrollment
//! lives in `attest_verify.rs`.

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use palisade_core::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

use crate::error::ScanError;
use crate::finding::{severity_name, ScanReport, SeverityCounts};

/// The in-toto v1 statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of a scan result.
pub const SCAN_PREDICATE_TYPE: &str = "https://palisade.dev/scan-result/v1";
/// Subject name of the scanned tree.
pub const SUBJECT_NAME: &str = "palisade-scanned-tree";

/// An Ed25519 signing key for scan attestations. Debug never shows the secret.
pub struct AttestKey {
    key: SigningKey,
}

impl fmt::Debug for AttestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttestKey")
            .field("keyid", &self.keyid())
            .finish_non_exhaustive()
    }
}

/// `keyid` of a public key: hex sha256 of its 32 raw bytes.
pub fn keyid_of(vk: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(vk.as_bytes()))
}

impl AttestKey {
    /// Wraps an existing key.
    pub fn from_signing_key(key: SigningKey) -> Self {
        Self { key }
    }

    /// Loads a key file: PKCS#8 PEM (`BEGIN PRIVATE KEY`), 32 raw bytes, or 64 hex characters.
    pub fn load(path: &Path) -> Result<Self, ScanError> {
        let bytes =
            zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| ScanError::io(path, e))?);
        let bad = |reason| ScanError::Key {
            path: path.to_owned(),
            reason,
        };
        if bytes.starts_with(b"-----BEGIN") {
            let pem = std::str::from_utf8(&bytes).map_err(|_| bad("pem is not utf-8"))?;
            let key = SigningKey::from_pkcs8_pem(pem)
                .map_err(|_| bad("not a pkcs#8 ed25519 private key"))?;
            return Ok(Self { key });
        }
        if bytes.len() == 32 {
            let mut raw = zeroize::Zeroizing::new([0u8; 32]);
            raw.copy_from_slice(&bytes);
            return Ok(Self {
                key: SigningKey::from_bytes(&raw),
            });
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| bad("expected pem, 32 raw bytes or 64 hex characters"))?;
        let decoded = zeroize::Zeroizing::new(
            hex::decode(text.trim())
                .map_err(|_| bad("expected pem, 32 raw bytes or 64 hex characters"))?,
        );
        let raw: [u8; 32] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| bad("hex key must be 32 bytes"))?;
        let raw = zeroize::Zeroizing::new(raw);
        Ok(Self {
            key: SigningKey::from_bytes(&raw),
        })
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The key id placed in envelope signatures.
    pub fn keyid(&self) -> String {
        keyid_of(&self.verifying_key())
    }
}

/// Loads a trusted public key for verification: SPKI PEM (`BEGIN PUBLIC KEY`), 32 raw bytes or
/// 64 hex characters.
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey, ScanError> {
    let bytes = std::fs::read(path).map_err(|e| ScanError::io(path, e))?;
    let bad = |reason| ScanError::Key {
        path: path.to_owned(),
        reason,
    };
    let raw: [u8; 32] = if bytes.starts_with(b"-----BEGIN") {
        let pem = std::str::from_utf8(&bytes).map_err(|_| bad("pem is not utf-8"))?;
        return VerifyingKey::from_public_key_pem(pem)
            .map_err(|_| bad("not an spki ed25519 public key"));
    } else if bytes.len() == 32 {
        bytes
            .as_slice()
            .try_into()
            .map_err(|_| bad("expected 32 bytes"))?
    } else {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| bad("expected pem, 32 raw bytes or 64 hex characters"))?;
        let v = hex::decode(text.trim())
            .map_err(|_| bad("expected pem, 32 raw bytes or 64 hex characters"))?;
        v.as_slice()
            .try_into()
            .map_err(|_| bad("hex key must be 32 bytes"))?
    };
    VerifyingKey::from_bytes(&raw).map_err(|_| bad("not a valid ed25519 point"))
}

/// SPKI PEM of a public key (what `load_verifying_key` reads back).
pub fn verifying_key_pem(vk: &VerifyingKey) -> Result<String, ScanError> {
    vk.to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| ScanError::Serialize {
            what: "public key",
            reason: e.to_string(),
        })
}

/// Generates a new key, writes it as PKCS#8 PEM to `path` (mode 0600, never overwriting) and
/// returns the public key.
pub fn generate_attest_key(path: &Path) -> Result<VerifyingKey, ScanError> {
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|_| ScanError::Key {
            path: path.to_owned(),
            reason: "cannot encode key",
        })?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let write_err = |source| ScanError::Write {
        path: path.to_owned(),
        source,
    };
    let mut f = opts.open(path).map_err(write_err)?;
    std::io::Write::write_all(&mut f, pem.as_bytes()).map_err(write_err)?;
    Ok(key.verifying_key())
}

/// The predicate of a scan statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScanPredicate {
    /// Scanner identity.
    pub scanner: ScannerInfo,
    /// When the scan finished, Unix milliseconds.
    pub time_ms: u64,
    /// The same instant, RFC 3339 (for humans; `time_ms` is authoritative).
    pub time: String,
    /// Files scanned.
    pub files_scanned: u64,
    /// Findings by severity (after baseline).
    pub findings: SeverityCounts,
    /// Findings accepted by a baseline, by severity.
    pub suppressed: SeverityCounts,
    /// Highest severity among findings and suppressed findings, if any.
    pub max_severity: Option<String>,
    /// The SBOM written by the same scan (`--sbom`), by digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom: Option<SbomRef>,
}

/// Digest of the SBOM a scan wrote: binds the verdict to the package list it was made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SbomRef {
    /// `CycloneDX` with its spec version, e.g. `CycloneDX 1.5`.
    pub format: String,
    /// Hex SHA-256 of the SBOM file's bytes.
    pub sha256: String,
}

/// Scanner name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerInfo {
    /// `palisade-scan`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

pub(crate) fn rfc3339(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Builds the in-toto statement JSON for `report` at `now_ms`.
pub fn scan_statement(report: &ScanReport, now_ms: u64) -> serde_json::Value {
    let counts = report.counts();
    let mut all = counts;
    all.low += report.suppressed.low;
    all.medium += report.suppressed.medium;
    all.high += report.suppressed.high;
    all.critical += report.suppressed.critical;
    let predicate = ScanPredicate {
        scanner: ScannerInfo {
            name: "palisade-scan".into(),
            version: report.scanner_version.clone(),
        },
        time_ms: now_ms,
        time: rfc3339(now_ms),
        files_scanned: report.files_scanned,
        findings: counts,
        suppressed: report.suppressed,
        max_severity: all.max().map(|s| severity_name(s).to_owned()),
        sbom: report.sbom_sha256.as_ref().map(|d| SbomRef {
            format: crate::sbom::FORMAT.to_owned(),
            sha256: d.clone(),
        }),
    };
    serde_json::json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": SUBJECT_NAME, "digest": {"sha256": report.tree_digest}}],
        "predicateType": SCAN_PREDICATE_TYPE,
        "predicate": predicate,
    })
}

/// Signs the statement of `report` into a DSSE envelope.
pub fn sign_scan_attestation(
    report: &ScanReport,
    key: &AttestKey,
    now_ms: u64,
) -> Result<Envelope, ScanError> {
    let payload =
        serde_json::to_vec(&scan_statement(report, now_ms)).map_err(|e| ScanError::Serialize {
            what: "in-toto statement",
            reason: e.to_string(),
        })?;
    let mut env = Envelope::new(IN_TOTO_PAYLOAD_TYPE, &payload);
    let sig = key
        .key
        .sign(&palisade_core::dsse::pae(IN_TOTO_PAYLOAD_TYPE, &payload));
    env.push_signature(&key.keyid(), &sig.to_bytes());
    Ok(env)
}
