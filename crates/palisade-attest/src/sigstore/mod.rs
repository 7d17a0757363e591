//! Sigstore bundles (v0.1-v0.3) verified offline against a pinned `trusted_root.json`: signer
//! (Fulcio certificate chained at signing time and matched to an identity policy, or a managed
//! key from config), content (message signature over the artifact digest, or DSSE with an
//! in-toto subject equal to the artifact), every Rekor entry (body, inclusion proof, signed
//! checkpoint, SET) and, for a Fulcio leaf, at least one embedded SCT from a CT log of the
//! trusted root (RFC 6962 precertificate entry, log key valid at the SCT time). Signing times
//! come from SET-backed `integratedTime` (Rekor v1) and RFC 3161 timestamps (Rekor v2 has no
//! SET); at least one is required, and the certificate must be valid at every one. Like
//! provenance, a bundle attests an artifact: `binding` is not checked.

pub mod bundle;
pub mod cert;
pub mod checkpoint;
pub mod content;
pub mod ctlog;
pub mod sct;
pub mod timestamp;
pub mod tlog;
pub mod trusted_root;

use crate::appraisal::Appraisal;
use crate::keys::PublicKey;
use crate::x509::CertError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub use bundle::Bundle;
pub use trusted_root::TrustedRoot;

/// Evidence kind name.
pub const KIND: &str = "sigstore_bundle";

/// Allowed clock skew when checking that a log time is not in the future.
const FUTURE_SKEW_MS: u64 = 60_000;

/// Why a Sigstore bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigstoreError {
    /// The evidence JSON does not have the expected shape.
    #[error("malformed sigstore evidence: {0}")]
    Evidence(String),
    /// The bundle is malformed or unsupported.
    #[error("invalid sigstore bundle: {0}")]
    Bundle(String),
    /// The configured trusted root is malformed.
    #[error("invalid trusted root: {0}")]
    TrustedRoot(String),
    /// Invalid configuration.
    #[error("invalid sigstore configuration: {0}")]
    Config(String),
    /// A certificate could not be parsed or used.
    #[error("sigstore certificate: {0}")]
    Certificate(String),
    /// A certificate was not valid at the signing time.
    #[error("sigstore certificate not valid at signing time: {0}")]
    CertificateTime(String),
    /// The certificate identity matches no configured identity.
    #[error("certificate identity `{subject}` from issuer `{issuer}` is not allowed")]
    IdentityNotAllowed {
        /// SAN values.
        subject: String,
        /// OIDC issuer.
        issuer: String,
    },
    /// The bundle names a key but none is configured.
    #[error("bundle is signed with a managed key but no key is configured")]
    NoKeyConfigured,
    /// The bundle's messageDigest is not the artifact's.
    #[error("bundle message digest does not match the artifact")]
    MessageDigestMismatch,
    /// The signature does not verify over the artifact / PAE.
    #[error("bundle signature does not verify")]
    SignatureInvalid,
    /// DSSE payload type or statement unusable.
    #[error("dsse content: {0}")]
    Dsse(String),
    /// The artifact is not a subject of the in-toto statement.
    #[error("artifact digest is not a subject of the in-toto statement")]
    SubjectMismatch,
    /// No tlog entry.
    #[error("bundle has no transparency log entry")]
    NoTlogEntry,
    /// The entry's log is not in the trusted root (or not valid then).
    #[error("transparency log entry is from a log not trusted at that time")]
    UnknownLog,
    /// The logged body does not describe this signature.
    #[error("transparency log entry does not match the bundle: {0}")]
    TlogBodyMismatch(String),
    /// No inclusion proof (offline verification requires one).
    #[error("transparency log entry has no inclusion proof")]
    MissingInclusionProof,
    /// The inclusion proof does not verify.
    #[error("inclusion proof invalid: {0}")]
    InclusionProof(String),
    /// The checkpoint is missing, unsigned or inconsistent.
    #[error("checkpoint invalid: {0}")]
    Checkpoint(String),
    /// The SET does not verify.
    #[error("signed entry timestamp does not verify")]
    SignedEntryTimestamp,
    /// An RFC 3161 timestamp does not verify.
    #[error("rfc 3161 timestamp invalid: {0}")]
    Timestamp(String),
    /// No trusted signing time (neither a SET nor an RFC 3161 timestamp verified).
    #[error("no verified signing time (no signed entry timestamp or rfc 3161 timestamp)")]
    NoVerifiedTime,
    /// A log time lies in the future.
    #[error("log integration time lies in the future")]
    TimeInFuture,
    /// The Fulcio leaf's embedded SCTs do not show it was logged by a trusted CT log.
    #[error("certificate transparency: {0}")]
    Sct(#[from] sct::SctError),
}

impl From<CertError> for SigstoreError {
    fn from(e: CertError) -> Self {
        SigstoreError::Certificate(e.to_string())
    }
}

/// An allowed certificate identity: exact OIDC issuer and SAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertIdentity {
    /// OIDC issuer (`https://token.actions.githubusercontent.com`).
    pub issuer: String,
    /// SAN URI or e-mail.
    pub subject: String,
}

/// A managed (non-Fulcio) signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedKeyConfig {
    /// Name used in claims.
    pub id: String,
    /// PEM SPKI.
    pub public_key_pem: String,
}

fn default_ttl() -> u64 {
    3600
}

/// Sigstore verifier configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigstoreConfig {
    /// The pinned `trusted_root.json` text.
    pub trusted_root_json: String,
    /// Allowed Fulcio identities.
    #[serde(default)]
    pub identities: Vec<CertIdentity>,
    /// Allowed managed keys.
    #[serde(default)]
    pub managed_keys: Vec<ManagedKeyConfig>,
    /// Appraisal lifetime in seconds.
    #[serde(default = "default_ttl")]
    pub appraisal_ttl_secs: u64,
}

/// Evidence: `{"bundle": {...}, "artifact_digest": "sha256:<hex>"}` or `{"bundle", "artifact": b64}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SigstoreEvidence {
    bundle: serde_json::Value,
    #[serde(default)]
    artifact_digest: Option<String>,
    #[serde(default)]
    artifact: Option<String>,
}

/// A ready verifier.
#[derive(Debug, Clone)]
pub struct SigstoreVerifier {
    root: TrustedRoot,
    identities: Vec<CertIdentity>,
    keys: Vec<PublicKey>,
    ttl_ms: u64,
}

enum Signer {
    Cert {
        der: Vec<u8>,
        cert: Box<x509_cert::Certificate>,
        key: PublicKey,
    },
    Key(PublicKey),
}

impl Signer {
    fn key(&self) -> &PublicKey {
        match self {
            Signer::Cert { key, .. } | Signer::Key(key) => key,
        }
    }
}

impl SigstoreVerifier {
    /// Parses the trusted root and keys.
    pub fn new(config: SigstoreConfig) -> Result<Self, SigstoreError> {
        let root = TrustedRoot::from_json(&config.trusted_root_json)?;
        let keys = config
            .managed_keys
            .iter()
            .map(|k| PublicKey::from_pem(&k.id, &k.public_key_pem))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SigstoreError::Config(e.to_string()))?;
        if config.identities.is_empty() && keys.is_empty() {
            return Err(SigstoreError::Config(
                "configure at least one identity or managed key".into(),
            ));
        }
        Ok(Self {
            root,
            identities: config.identities,
            keys,
            ttl_ms: config.appraisal_ttl_secs.saturating_mul(1000),
        })
    }

    /// The evidence kind (`sigstore_bundle`).
    pub fn kind(&self) -> &str {
        KIND
    }

    /// Verifies JSON evidence. `binding` is unused (see module docs).
    pub fn verify(
        &self,
        evidence: &serde_json::Value,
        _binding: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, SigstoreError> {
        let ev = SigstoreEvidence::deserialize(evidence)
            .map_err(|e| SigstoreError::Evidence(e.to_string()))?;
        let digest: [u8; 32] = match (&ev.artifact_digest, &ev.artifact) {
            (Some(d), None) => {
                let hex_part = d.strip_prefix("sha256:").ok_or_else(|| {
                    SigstoreError::Evidence("artifact_digest must be `sha256:<hex>`".into())
                })?;
                hex::decode(hex_part)
                    .ok()
                    .and_then(|v| v.try_into().ok())
                    .ok_or_else(|| {
                        SigstoreError::Evidence("artifact_digest is not 32 hex bytes".into())
                    })?
            }
            (None, Some(a)) => Sha256::digest(
                STANDARD
                    .decode(a)
                    .map_err(|_| SigstoreError::Evidence("artifact is not base64".into()))?,
            )
            .into(),
            _ => {
                return Err(SigstoreError::Evidence(
                    "give exactly one of artifact_digest and artifact".into(),
                ))
            }
        };
        self.verify_bundle(&ev.bundle, &digest, now_ms)
    }

    /// Verifies a bundle for an artifact's SHA-256.
    pub fn verify_bundle(
        &self,
        bundle: &serde_json::Value,
        artifact_sha256: &[u8; 32],
        now_ms: u64,
    ) -> Result<Appraisal, SigstoreError> {
        let b = Bundle::from_value(bundle)?;
        let mut claims = BTreeMap::new();
        let (signer, content) = match self.signer(&b)? {
            Some(cert) => {
                let c = content::verify_content(&b, cert.key(), artifact_sha256)?;
                (cert, c)
            }
            // A key bundle: the hint is not trusted, so the configured key whose signature
            // verifies is the signer; with none, the last key's error explains why.
            None => {
                let mut last = SigstoreError::NoKeyConfigured;
                let mut found = None;
                for k in &self.keys {
                    match content::verify_content(&b, k, artifact_sha256) {
                        Ok(c) => {
                            found = Some((Signer::Key(k.clone()), c));
                            break;
                        }
                        Err(e) => last = e,
                    }
                }
                found.ok_or(last)?
            }
        };
        if let Some(p) = &content.predicate_type {
            claims.insert("sigstore.predicate_type".into(), p.clone());
        }
        let signer_ref = match &signer {
            Signer::Cert { der, .. } => tlog::SignerRef::Cert(der),
            Signer::Key(k) => tlog::SignerRef::Key(k.spki_der()),
        };

        let entries = &b.verification_material.tlog_entries;
        if entries.is_empty() {
            return Err(SigstoreError::NoTlogEntry);
        }
        let mut times = Vec::new();
        for e in entries {
            if let Some(t) = tlog::verify_entry(e, &self.root, content.as_ref(), signer_ref)? {
                times.push(t);
            }
        }
        if let Some(tsd) = &b.verification_material.timestamp_verification_data {
            for ts in &tsd.rfc3161_timestamps {
                let der = trusted_root::b64(&ts.signed_timestamp, "signed timestamp")?;
                times.push(timestamp::verify_timestamp(
                    &der,
                    &content.signature,
                    &self.root,
                )?);
            }
        }
        if times.is_empty() {
            return Err(SigstoreError::NoVerifiedTime);
        }
        if times
            .iter()
            .any(|&t| t > now_ms.saturating_add(FUTURE_SKEW_MS))
        {
            return Err(SigstoreError::TimeInFuture);
        }

        match &signer {
            Signer::Cert { cert, .. } => {
                let mut issuer = None;
                for &t in &times {
                    issuer = Some(cert::verify_chain(cert, &self.root, t)?);
                }
                // `times` is not empty (checked above), so the chain was verified at least once.
                let issuer = issuer.ok_or(SigstoreError::NoVerifiedTime)?;
                let ct_log = sct::verify_embedded_scts(cert, issuer, &self.root.ctlogs)?;
                claims.insert("sigstore.ct_log".into(), ct_log.base_url.clone());
                let id = cert::leaf_identity(cert);
                let issuer = id.issuer.clone().unwrap_or_default();
                let allowed = self.identities.iter().find(|p| {
                    Some(&p.issuer) == id.issuer.as_ref() && id.subjects.contains(&p.subject)
                });
                let Some(p) = allowed else {
                    return Err(SigstoreError::IdentityNotAllowed {
                        subject: id.subjects.join(","),
                        issuer,
                    });
                };
                claims.insert("sigstore.identity".into(), p.subject.clone());
                claims.insert("sigstore.issuer".into(), p.issuer.clone());
            }
            Signer::Key(k) => {
                claims.insert("sigstore.key".into(), k.id().to_owned());
            }
        }
        claims.insert(
            "sigstore.artifact_digest".into(),
            format!("sha256:{}", hex::encode(artifact_sha256)),
        );
        if let Some(t) = times.iter().min() {
            claims.insert("sigstore.signed_at_ms".into(), t.to_string());
        }
        Ok(Appraisal {
            kind: KIND.to_owned(),
            expires_at_ms: now_ms.saturating_add(self.ttl_ms),
            claims,
        })
    }

    /// The certificate signer, or `None` for a key bundle (the key comes from config).
    fn signer(&self, b: &Bundle) -> Result<Option<Signer>, SigstoreError> {
        let m = &b.verification_material;
        let (leaf_b64, extra) = if let Some(c) = &m.certificate {
            (c.raw_bytes.as_str(), Vec::new())
        } else if let Some(chain) = &m.x509_certificate_chain {
            let (first, rest) = chain
                .certificates
                .split_first()
                .ok_or_else(|| SigstoreError::Bundle("empty certificate chain".into()))?;
            let rest = rest
                .iter()
                .map(|c| {
                    let der = trusted_root::b64(&c.raw_bytes, "chain certificate")?;
                    Ok(crate::x509::from_der(&der, "chain certificate")?)
                })
                .collect::<Result<Vec<_>, SigstoreError>>()?;
            (first.raw_bytes.as_str(), rest)
        } else if m.public_key.is_some() {
            if self.keys.is_empty() {
                return Err(SigstoreError::NoKeyConfigured);
            }
            return Ok(None);
        } else {
            return Err(SigstoreError::Bundle("no certificate or public key".into()));
        };
        cert::check_bundle_chain(&extra)?;
        let der = trusted_root::b64(leaf_b64, "certificate")?;
        let cert = crate::x509::from_der(&der, "fulcio leaf certificate")?;
        let key = cert::cert_key(&cert, "fulcio leaf")?;
        Ok(Some(Signer::Cert {
            der,
            cert: Box::new(cert),
            key,
        }))
    }
}
