//! DSSE envelopes (secure-systems-lab/dsse v1): the envelope shape and the pre-authentication
//! encoding (PAE) that signatures cover. Crypto stays with the callers (attest verifies
//! provenance, scan signs its verdicts); this is the one place the byte format is defined.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// `application/vnd.in-toto+json`, the payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope as serialized in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Base64 of the payload bytes.
    pub payload: String,
    /// The payload type, covered by the signature through PAE.
    pub payload_type: String,
    /// One or more signatures over `pae(payload_type, payload)`.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Optional key id hint; never trusted by itself.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// Base64 of the signature bytes.
    pub sig: String,
}

/// Why an envelope's bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsseError {
    /// The payload or a signature is not base64 (standard or URL-safe).
    #[error("dsse {0} is not valid base64")]
    Base64(&'static str),
}

/// DSSE accepts standard and URL-safe base64, padded or not.
pub fn decode_b64(s: &str, what: &'static str) -> Result<Vec<u8>, DsseError> {
    let trimmed = s.trim_end_matches('=');
    let engines = [
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|e| e.decode(trimmed).ok())
        .ok_or(DsseError::Base64(what))
}

/// PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Builds an envelope around `payload` with signatures added later by the caller.
    pub fn new(payload_type: &str, payload: &[u8]) -> Self {
        Self {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: Vec::new(),
        }
    }

    /// The decoded payload bytes.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, DsseError> {
        decode_b64(&self.payload, "payload")
    }

    /// The bytes every signature must cover.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, DsseError> {
        Ok(pae(&self.payload_type, &self.payload_bytes()?))
    }

    /// Adds a signature (raw bytes; encoded as standard base64).
    pub fn push_signature(&mut self, keyid: &str, sig: &[u8]) {
        self.signatures.push(EnvelopeSignature {
            keyid: keyid.to_owned(),
            sig: STANDARD.encode(sig),
        });
    }
}

/// URL-safe base64 without padding is also what JOSE uses; re-exported for callers that mix both.
pub fn encode_url_safe(bytes: &[u8]) -> String {
    URL_SAFE.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // From the DSSE protocol spec: PAE("http://example.com/HelloWorld", "hello world").
        let got = pae("http://example.com/HelloWorld", b"hello world");
        assert_eq!(
            got,
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn payload_decodes_both_alphabets() {
        let mut env = Envelope::new(IN_TOTO_PAYLOAD_TYPE, b"\xfb\xff{}");
        assert_eq!(env.payload_bytes().unwrap(), b"\xfb\xff{}");
        env.payload = env.payload.replace('+', "-").replace('/', "_");
        assert_eq!(env.payload_bytes().unwrap(), b"\xfb\xff{}");
        env.payload = "!!".into();
        assert_eq!(env.payload_bytes(), Err(DsseError::Base64("payload")));
    }
}
