//! Signed Certificate Timestamps embedded in Fulcio leaves (RFC 6962 §3.2-3.3): parses the
//! TLS-encoded `SignedCertificateTimestampList` extension, rebuilds the precertificate entry each
//! SCT signs, and requires at least one SCT that verifies under a trusted root CT log valid at
//! the SCT's time (the Sigstore clients' default policy: the leaf was publicly logged).

use super::ctlog::CtLog;
use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

/// The embedded SCT list extension (RFC 6962 §3.3).
pub const OID_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// Why the embedded SCTs were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SctError {
    /// The leaf carries no SCT list (or an empty one).
    #[error("fulcio certificate has no embedded signed certificate timestamps")]
    Missing,
    /// The extension or list does not decode.
    #[error("malformed signed certificate timestamp list: {0}")]
    Malformed(String),
    /// An SCT is not version 1.
    #[error("signed certificate timestamp version {0} is not v1")]
    Version(u8),
    /// The log id names no CT log of the trusted root.
    #[error("signed certificate timestamp is from a ct log not in the trusted root")]
    UnknownLog,
    /// The SCT time lies outside the log key's validity window.
    #[error("signed certificate timestamp lies outside the validity window of ct log `{0}`")]
    OutsideWindow(String),
    /// The SCT's algorithms are not the log key's, or the key kind is unsupported.
    #[error("signed certificate timestamp algorithm unsupported for ct log `{log}`: {what}")]
    Algorithm {
        /// The log's base URL.
        log: String,
        /// What did not fit.
        what: String,
    },
    /// The log's signature does not verify over the precertificate entry.
    #[error("signed certificate timestamp signature from ct log `{0}` does not verify")]
    Signature(String),
}

/// One v1 SCT, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// `sct_version` (0 = v1).
    pub version: u8,
    /// SHA-256 of the log's key.
    pub log_id: [u8; 32],
    /// Milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// `CtExtensions` (opaque; signed as given).
    pub extensions: Vec<u8>,
    /// TLS hash algorithm.
    pub hash_alg: u8,
    /// TLS signature algorithm.
    pub sig_alg: u8,
    /// Signature bytes.
    pub signature: Vec<u8>,
}

/// A bounds-checked reader over TLS wire bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SctError> {
        if self.0.len() < n {
            return Err(SctError::Malformed("truncated".into()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn uint(&mut self, n: usize) -> Result<u64, SctError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
    fn u8(&mut self) -> Result<u8, SctError> {
        self.take(1)?
            .first()
            .copied()
            .ok_or_else(|| SctError::Malformed("truncated".into()))
    }
    /// A `<0..2^16-1>` vector.
    fn vec16(&mut self) -> Result<&'a [u8], SctError> {
        let n = self.uint(2)?;
        self.take(usize::try_from(n).map_err(|_| SctError::Malformed("length".into()))?)
    }
    fn finish(&self, what: &str) -> Result<(), SctError> {
        if !self.0.is_empty() {
            return Err(SctError::Malformed(format!("trailing bytes after {what}")));
        }
        Ok(())
    }
}

/// Parses a TLS `SignedCertificateTimestampList`. Each entry is `Ok(sct)` or, for a non-v1
/// SCT (whose layout is unknown, so it is skipped by its length), `Err(Version)`.
pub fn parse_sct_list(tls: &[u8]) -> Result<Vec<Result<Sct, SctError>>, SctError> {
    let mut outer = Reader(tls);
    let mut list = Reader(outer.vec16()?);
    outer.finish("sct list")?;
    let mut out = Vec::new();
    while !list.0.is_empty() {
        let mut r = Reader(list.vec16()?);
        let version = r.u8()?;
        if version != 0 {
            out.push(Err(SctError::Version(version)));
            continue;
        }
        let log_id: [u8; 32] = r
            .take(32)?
            .try_into()
            .map_err(|_| SctError::Malformed("log id".into()))?;
        let timestamp_ms = r.uint(8)?;
        let extensions = r.vec16()?.to_vec();
        let hash_alg = r.u8()?;
        let sig_alg = r.u8()?;
        let signature = r.vec16()?.to_vec();
        r.finish("sct")?;
        out.push(Ok(Sct {
            version,
            log_id,
            timestamp_ms,
            extensions,
            hash_alg,
            sig_alg,
            signature,
        }));
    }
    if out.is_empty() {
        return Err(SctError::Missing);
    }
    Ok(out)
}

/// The SCT list of a leaf: the extension value is a DER OCTET STRING wrapping the TLS list.
pub fn embedded_scts(leaf: &Certificate) -> Result<Vec<Result<Sct, SctError>>, SctError> {
    let exts = leaf
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default();
    let mut found = exts.iter().filter(|e| e.extn_id == OID_SCT_LIST);
    let ext = found.next().ok_or(SctError::Missing)?;
    if found.next().is_some() {
        return Err(SctError::Malformed("duplicate sct list extension".into()));
    }
    let inner = OctetStringRef::from_der(ext.extn_value.as_bytes())
        .map_err(|_| SctError::Malformed("extension is not an octet string".into()))?;
    parse_sct_list(inner.as_bytes())
}

/// The precertificate's TBSCertificate DER: the leaf's TBS without the SCT list extension
/// (RFC 6962 §3.2: the log signed the TBS before the SCTs were added).
pub fn precert_tbs(leaf: &Certificate) -> Result<Vec<u8>, SctError> {
    let mut tbs = leaf.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id != OID_SCT_LIST);
    }
    if tbs.extensions.as_ref().is_some_and(Vec::is_empty) {
        tbs.extensions = None;
    }
    tbs.to_der()
        .map_err(|e| SctError::Malformed(format!("re-encoding tbs: {e}")))
}

/// The `digitally-signed` input of a v1 SCT over a precert entry (RFC 6962 §3.2).
pub fn signed_data(sct: &Sct, issuer_key_hash: &[u8; 32], tbs: &[u8]) -> Result<Vec<u8>, SctError> {
    let too_long = |what: &str| SctError::Malformed(format!("{what} too long"));
    let tbs_len = u32::try_from(tbs.len())
        .ok()
        .filter(|&n| n < 1 << 24)
        .ok_or_else(|| too_long("tbs certificate"))?;
    let ext_len = u16::try_from(sct.extensions.len()).map_err(|_| too_long("extensions"))?;
    let mut m = Vec::with_capacity(tbs.len() + 64 + sct.extensions.len());
    m.push(sct.version);
    m.push(0); // signature_type = certificate_timestamp
    m.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes()); // entry_type = precert_entry
    m.extend_from_slice(issuer_key_hash);
    m.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    m.extend_from_slice(tbs);
    m.extend_from_slice(&ext_len.to_be_bytes());
    m.extend_from_slice(&sct.extensions);
    Ok(m)
}

/// Verifies one SCT against the trusted CT logs; returns the log that signed it.
pub fn verify_sct<'a>(
    sct: &Sct,
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
    ctlogs: &'a [CtLog],
) -> Result<&'a CtLog, SctError> {
    let log = ctlogs
        .iter()
        .find(|l| l.log_id == sct.log_id)
        .ok_or(SctError::UnknownLog)?;
    if !log.valid_for.contains(sct.timestamp_ms) {
        return Err(SctError::OutsideWindow(log.base_url.clone()));
    }
    let alg_err = |what: String| SctError::Algorithm {
        log: log.base_url.clone(),
        what,
    };
    match log.key.algorithms() {
        None => return Err(alg_err(format!("unsupported key kind {:?}", log.key))),
        Some(pair) if pair != (sct.hash_alg, sct.sig_alg) => {
            return Err(alg_err(format!(
                "sct declares hash {} / signature {}, log key needs {} / {}",
                sct.hash_alg, sct.sig_alg, pair.0, pair.1
            )))
        }
        Some(_) => {}
    }
    if !log
        .key
        .verify(&signed_data(sct, issuer_key_hash, tbs)?, &sct.signature)
    {
        return Err(SctError::Signature(log.base_url.clone()));
    }
    Ok(log)
}

/// Requires at least one embedded SCT of `leaf` (issued by `issuer`) to verify under a trusted
/// CT log; SCTs from unknown logs are tolerated when another verifies. With none valid, the
/// first SCT's error explains why.
pub fn verify_embedded_scts<'a>(
    leaf: &Certificate,
    issuer: &Certificate,
    ctlogs: &'a [CtLog],
) -> Result<&'a CtLog, SctError> {
    let scts = embedded_scts(leaf)?;
    let spki = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| SctError::Malformed(format!("issuer key: {e}")))?;
    let issuer_key_hash: [u8; 32] = Sha256::digest(&spki).into();
    let tbs = precert_tbs(leaf)?;
    let mut first = None;
    for sct in scts {
        match sct.and_then(|s| verify_sct(&s, &issuer_key_hash, &tbs, ctlogs)) {
            Ok(log) => return Ok(log),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.unwrap_or(SctError::Missing))
}
