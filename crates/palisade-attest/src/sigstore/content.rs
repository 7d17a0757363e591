//! The signed content of a bundle: a message signature over the artifact's SHA-256 (with the
//! optional messageDigest equal to it), or a DSSE envelope whose in-toto statement names the
//! artifact as a subject. Checked first: it is cheap and ties the bundle to this artifact.

use super::bundle::Bundle;
use super::tlog::ContentRef;
use super::trusted_root::b64;
use super::SigstoreError;
use crate::keys::PublicKey;
use palisade_core::dsse::{decode_b64, pae, IN_TOTO_PAYLOAD_TYPE};

/// Content whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedContent {
    /// The signature bytes (what timestamps imprint and logs record).
    pub signature: Vec<u8>,
    /// For DSSE: payload and PAE bytes.
    pub dsse: Option<(Vec<u8>, Vec<u8>)>,
    /// For DSSE: the statement's predicate type.
    pub predicate_type: Option<String>,
    artifact: [u8; 32],
}

impl VerifiedContent {
    /// The view the tlog checks use.
    pub fn as_ref(&self) -> ContentRef<'_> {
        match &self.dsse {
            None => ContentRef::Message {
                digest: &self.artifact,
                signature: &self.signature,
            },
            Some((payload, signed)) => ContentRef::Dsse {
                payload,
                pae: signed,
                signature: &self.signature,
            },
        }
    }
}

/// Verifies the content signature with `key` for the artifact digest.
pub fn verify_content(
    b: &Bundle,
    key: &PublicKey,
    artifact: &[u8; 32],
) -> Result<VerifiedContent, SigstoreError> {
    if let Some(ms) = &b.message_signature {
        if let Some(md) = &ms.message_digest {
            let d = b64(&md.digest, "message digest")?;
            if md.algorithm != "SHA2_256" || d.as_slice() != artifact.as_slice() {
                return Err(SigstoreError::MessageDigestMismatch);
            }
        }
        let signature = b64(&ms.signature, "signature")?;
        if !key.verify_prehash(artifact, &signature) {
            return Err(SigstoreError::SignatureInvalid);
        }
        return Ok(VerifiedContent {
            signature,
            dsse: None,
            predicate_type: None,
            artifact: *artifact,
        });
    }
    let env = b
        .dsse_envelope
        .as_ref()
        .ok_or_else(|| SigstoreError::Bundle("no content".into()))?;
    if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(SigstoreError::Dsse(format!(
            "payload type `{}` is not in-toto",
            env.payload_type
        )));
    }
    let [sig] = env.signatures.as_slice() else {
        return Err(SigstoreError::Dsse("expected exactly one signature".into()));
    };
    let payload =
        decode_b64(&env.payload, "payload").map_err(|e| SigstoreError::Dsse(e.to_string()))?;
    let signed = pae(&env.payload_type, &payload);
    let signature =
        decode_b64(&sig.sig, "signature").map_err(|e| SigstoreError::Dsse(e.to_string()))?;
    if !key.verify(&signed, &signature) {
        return Err(SigstoreError::SignatureInvalid);
    }
    let st = crate::provenance::Statement::parse(&payload)
        .map_err(|e| SigstoreError::Dsse(e.to_string()))?;
    let want = hex::encode(artifact);
    let named = st.subject.iter().any(|s| {
        s.digest
            .get("sha256")
            .is_some_and(|d| d.eq_ignore_ascii_case(&want))
    });
    if !named {
        return Err(SigstoreError::SubjectMismatch);
    }
    Ok(VerifiedContent {
        signature,
        dsse: Some((payload, signed)),
        predicate_type: Some(st.predicate_type),
        artifact: *artifact,
    })
}
