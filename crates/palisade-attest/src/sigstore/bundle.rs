//! The Sigstore bundle JSON (protobuf-specs `dev.sigstore.bundle.v1.Bundle`, v0.1 to v0.3):
//! verification material (certificate, chain or key hint; tlog entries) and the content
//! (message signature or DSSE envelope). Types only; checks live in the sibling modules.

use super::trusted_root::RawCert;
use super::SigstoreError;
use palisade_core::dsse::Envelope;
use serde::{Deserialize, Deserializer};

/// Media types accepted (v0.1 and v0.2 differ from v0.3 only in the allowed material).
pub const MEDIA_TYPES: [&str; 4] = [
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
];

/// protobuf JSON writes int64 as a string; accept a number too.
fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        S(String),
        N(u64),
    }
    match N::deserialize(d)? {
        N::N(n) => Ok(n),
        N::S(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

fn de_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "de_u64")] u64);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

/// A bundle.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Media type with version.
    pub media_type: String,
    /// Keys, certificates and log entries.
    pub verification_material: Material,
    /// Signature over an artifact digest.
    #[serde(default)]
    pub message_signature: Option<MessageSignature>,
    /// Or a DSSE envelope.
    #[serde(default)]
    pub dsse_envelope: Option<Envelope>,
}

/// Verification material.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Material {
    /// v0.3 leaf certificate.
    #[serde(default)]
    pub certificate: Option<RawCert>,
    /// v0.1/v0.2 chain, leaf first.
    #[serde(default)]
    pub x509_certificate_chain: Option<Chain>,
    /// A key hint: the verifier must already hold the key.
    #[serde(default)]
    pub public_key: Option<serde_json::Value>,
    /// Transparency log entries.
    #[serde(default)]
    pub tlog_entries: Vec<TlogEntry>,
    /// RFC 3161 timestamps.
    #[serde(default)]
    pub timestamp_verification_data: Option<TimestampData>,
}

/// Timestamp verification data.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampData {
    /// Signed timestamps.
    #[serde(default)]
    pub rfc3161_timestamps: Vec<SignedTimestamp>,
}

/// One RFC 3161 timestamp.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedTimestamp {
    /// Base64 DER (TimeStampToken or TimeStampResp).
    pub signed_timestamp: String,
}

/// A certificate chain.
#[derive(Debug, Deserialize)]
pub struct Chain {
    /// Leaf first.
    pub certificates: Vec<RawCert>,
}

/// A message signature.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSignature {
    /// Optional digest of the artifact.
    #[serde(default)]
    pub message_digest: Option<MessageDigest>,
    /// Base64 signature.
    pub signature: String,
}

/// An artifact digest.
#[derive(Debug, Deserialize)]
pub struct MessageDigest {
    /// `SHA2_256`.
    pub algorithm: String,
    /// Base64 digest.
    pub digest: String,
}

/// A transparency log entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlogEntry {
    /// Global log index (used in the SET).
    #[serde(deserialize_with = "de_u64")]
    pub log_index: u64,
    /// Which log.
    pub log_id: LogId,
    /// Entry kind and version.
    pub kind_version: KindVersion,
    /// Rekor v1 integration time (seconds).
    #[serde(default, deserialize_with = "de_opt_u64")]
    pub integrated_time: Option<u64>,
    /// Signed entry timestamp (Rekor v1).
    #[serde(default)]
    pub inclusion_promise: Option<InclusionPromise>,
    /// Inclusion proof with checkpoint.
    #[serde(default)]
    pub inclusion_proof: Option<InclusionProof>,
    /// Base64 of the canonical entry body (the Merkle leaf).
    pub canonicalized_body: String,
}

/// A log id.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    /// Base64 key id.
    pub key_id: String,
}

/// Kind and version.
#[derive(Debug, Deserialize)]
pub struct KindVersion {
    /// `hashedrekord`, `dsse`, `intoto`.
    pub kind: String,
    /// `0.0.1`, `0.0.2`.
    pub version: String,
}

/// A SET.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromise {
    /// Base64 signature.
    pub signed_entry_timestamp: String,
}

/// An inclusion proof.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// Index in the (shard's) tree.
    #[serde(deserialize_with = "de_u64")]
    pub log_index: u64,
    /// Base64 root hash.
    pub root_hash: String,
    /// Tree size.
    #[serde(deserialize_with = "de_u64")]
    pub tree_size: u64,
    /// Base64 audit path.
    #[serde(default)]
    pub hashes: Vec<String>,
    /// Signed checkpoint.
    #[serde(default)]
    pub checkpoint: Option<CheckpointEnvelope>,
}

/// A checkpoint wrapper.
#[derive(Debug, Deserialize)]
pub struct CheckpointEnvelope {
    /// The signed note text.
    pub envelope: String,
}

impl Bundle {
    /// Parses and checks the media type and that exactly one content kind is present.
    pub fn from_value(v: &serde_json::Value) -> Result<Self, SigstoreError> {
        let b = Bundle::deserialize(v).map_err(|e| SigstoreError::Bundle(e.to_string()))?;
        if !MEDIA_TYPES.contains(&b.media_type.as_str()) {
            return Err(SigstoreError::Bundle(format!(
                "unsupported media type `{}`",
                b.media_type
            )));
        }
        if b.message_signature.is_some() == b.dsse_envelope.is_some() {
            return Err(SigstoreError::Bundle(
                "a bundle carries exactly one of messageSignature and dsseEnvelope".into(),
            ));
        }
        Ok(b)
    }
}
