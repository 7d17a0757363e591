//! DSSE envelope verification: payload type allowed, then at least `threshold` distinct trusted
//! keys each verify some signature over PAE(payloadType, payload). Key id hints are ignored
//! (the DSSE spec says they are not trusted), so every signature is tried against every key.

use super::ProvenanceError;
use crate::keys::PublicKey;
use palisade_core::dsse::{decode_b64, pae, Envelope};

/// The payload and the ids of the keys that verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEnvelope {
    /// The decoded payload bytes (only now safe to parse).
    pub payload: Vec<u8>,
    /// Ids of the distinct trusted keys whose signature verified, in configuration order.
    pub key_ids: Vec<String>,
}

/// Verifies an envelope against trusted keys, a threshold and the accepted payload types.
pub fn verify_envelope(
    env: &Envelope,
    keys: &[PublicKey],
    threshold: usize,
    payload_types: &[&str],
) -> Result<VerifiedEnvelope, ProvenanceError> {
    if threshold == 0 {
        return Err(ProvenanceError::Config(
            "threshold must be at least 1".into(),
        ));
    }
    if !payload_types.contains(&env.payload_type.as_str()) {
        return Err(ProvenanceError::PayloadType(env.payload_type.clone()));
    }
    if env.signatures.is_empty() {
        return Err(ProvenanceError::NoSignatures);
    }
    let payload = decode_b64(&env.payload, "payload")
        .map_err(|e| ProvenanceError::Envelope(e.to_string()))?;
    let signed = pae(&env.payload_type, &payload);
    // A signature that is not even base64 cannot count towards the threshold, but it does not
    // poison the others: DSSE allows unrelated signers on the same envelope.
    let sigs: Vec<Vec<u8>> = env
        .signatures
        .iter()
        .filter_map(|s| decode_b64(&s.sig, "signature").ok())
        .collect();
    let key_ids: Vec<String> = keys
        .iter()
        .filter(|k| sigs.iter().any(|s| k.verify(&signed, s)))
        .map(|k| k.id().to_owned())
        .collect();
    if key_ids.len() < threshold {
        return Err(ProvenanceError::Threshold {
            verified: key_ids.len(),
            threshold,
        });
    }
    Ok(VerifiedEnvelope { payload, key_ids })
}
