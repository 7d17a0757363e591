//! The verifying side of scan attestations, for enrollment: the envelope must carry an in-toto
//! v1 scan statement signed by a trusted Ed25519 key, be fresh, and report no finding (including
//! baselined ones) above the allowed severity.

use ed25519_dalek::{Signature, VerifyingKey};
use palisade_core::dsse::{decode_b64, pae, Envelope, IN_TOTO_PAYLOAD_TYPE};
use palisade_core::finding::Severity;
use serde::Deserialize;

use crate::attest::{keyid_of, ScanPredicate, SCAN_PREDICATE_TYPE, STATEMENT_TYPE, SUBJECT_NAME};
use crate::finding::{severity_name, SeverityCounts};

/// Clock skew tolerated for attestations dated slightly in the future.
const MAX_FUTURE_SKEW_MS: u64 = 60_000;

/// Why a scan attestation was refused. Messages are lowercase and carry no key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanAttestError {
    /// The envelope is not DSSE JSON.
    #[error("scan attestation is not a dsse envelope: {0}")]
    Envelope(String),
    /// Wrong payload type.
    #[error("scan attestation payload type {0:?} is not {IN_TOTO_PAYLOAD_TYPE}")]
    PayloadType(String),
    /// No signature verified under a trusted key.
    #[error("scan attestation is not signed by a trusted key")]
    Untrusted,
    /// The statement is malformed or not a scan result.
    #[error("scan attestation statement is invalid: {0}")]
    Statement(String),
    /// Too old.
    #[error("scan attestation is {age_secs} s old, more than the allowed {max_secs} s")]
    Stale {
        /// Age in seconds.
        age_secs: u64,
        /// Allowed age.
        max_secs: u64,
    },
    /// Dated in the future beyond skew.
    #[error("scan attestation is dated in the future")]
    FromFuture,
    /// A finding above the allowed severity.
    #[error("scan attestation reports a {found} finding, above the allowed {allowed}")]
    SeverityExceeded {
        /// Worst severity found.
        found: &'static str,
        /// Allowed maximum.
        allowed: &'static str,
    },
}

/// What a verified attestation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanAttestationSummary {
    /// Hex sha256 of the scanned tree.
    pub tree_digest: String,
    /// Scan time, Unix ms.
    pub time_ms: u64,
    /// Findings by severity.
    pub findings: SeverityCounts,
    /// Baselined findings by severity.
    pub suppressed: SeverityCounts,
    /// Scanner version.
    pub scanner_version: String,
    /// keyid (hex sha256 of the public key) of the trusted key that verified.
    pub signer_keyid: String,
    /// Hex SHA-256 of the SBOM the scan wrote, when the verdict names one.
    pub sbom_sha256: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Statement {
    #[serde(rename = "_type")]
    kind: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: ScanPredicate,
}

#[derive(Deserialize)]
struct Subject {
    name: String,
    digest: std::collections::BTreeMap<String, String>,
}

/// Verifies a scan attestation (DSSE JSON) for enrollment.
pub fn verify_scan_attestation(
    envelope_json: &str,
    trusted_pubkeys: &[VerifyingKey],
    max_age_secs: u64,
    max_severity: Severity,
    now_ms: u64,
) -> Result<ScanAttestationSummary, ScanAttestError> {
    let env: Envelope = serde_json::from_str(envelope_json)
        .map_err(|e| ScanAttestError::Envelope(e.to_string()))?;
    if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(ScanAttestError::PayloadType(env.payload_type));
    }
    let payload = env
        .payload_bytes()
        .map_err(|e| ScanAttestError::Envelope(e.to_string()))?;
    let signed = pae(&env.payload_type, &payload);
    // Signatures are checked before the payload is interpreted: nothing unauthenticated is trusted.
    let signer = env
        .signatures
        .iter()
        .filter_map(|s| decode_b64(&s.sig, "signature").ok())
        .filter_map(|b| Signature::from_slice(&b).ok())
        .find_map(|sig| {
            trusted_pubkeys
                .iter()
                .find(|k| k.verify_strict(&signed, &sig).is_ok())
        })
        .ok_or(ScanAttestError::Untrusted)?;
    let st: Statement =
        serde_json::from_slice(&payload).map_err(|e| ScanAttestError::Statement(e.to_string()))?;
    if st.kind != STATEMENT_TYPE {
        return Err(ScanAttestError::Statement(format!(
            "_type {:?} is not {STATEMENT_TYPE}",
            st.kind
        )));
    }
    if st.predicate_type != SCAN_PREDICATE_TYPE {
        return Err(ScanAttestError::Statement(format!(
            "predicateType {:?} is not {SCAN_PREDICATE_TYPE}",
            st.predicate_type
        )));
    }
    let [subject] = st.subject.as_slice() else {
        return Err(ScanAttestError::Statement(
            "expected exactly one subject".into(),
        ));
    };
    let digest = subject
        .digest
        .get("sha256")
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()));
    let (Some(digest), true) = (digest, subject.name == SUBJECT_NAME) else {
        return Err(ScanAttestError::Statement(
            "subject is not a scanned-tree sha256 digest".into(),
        ));
    };
    let p = st.predicate;
    if p.time_ms > now_ms.saturating_add(MAX_FUTURE_SKEW_MS) {
        return Err(ScanAttestError::FromFuture);
    }
    let age_secs = now_ms.saturating_sub(p.time_ms) / 1000;
    if age_secs > max_age_secs {
        return Err(ScanAttestError::Stale {
            age_secs,
            max_secs: max_age_secs,
        });
    }
    // Baselined findings count: a vendor cannot accept its own criticals away.
    let mut all = p.findings;
    all.low += p.suppressed.low;
    all.medium += p.suppressed.medium;
    all.high += p.suppressed.high;
    all.critical += p.suppressed.critical;
    if let Some(worst) = all.max().filter(|w| *w > max_severity) {
        return Err(ScanAttestError::SeverityExceeded {
            found: severity_name(worst),
            allowed: severity_name(max_severity),
        });
    }
    Ok(ScanAttestationSummary {
        tree_digest: digest.clone(),
        time_ms: p.time_ms,
        findings: p.findings,
        suppressed: p.suppressed,
        scanner_version: p.scanner.version,
        signer_keyid: keyid_of(signer),
        sbom_sha256: p.sbom.map(|s| s.sha256),
    })
}
