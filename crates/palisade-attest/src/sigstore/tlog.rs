//! Rekor entries in a bundle: the logged body must describe exactly this signature, signer and
//! artifact (hashedrekord 0.0.1/0.0.2, dsse 0.0.1, intoto 0.0.2); the entry must be included in
//! a checkpoint signed by the pinned log key; a Rekor v1 SET, when present, must verify and is
//! then what makes `integratedTime` a trusted signing time.

use super::bundle::TlogEntry;
use super::checkpoint::verify_checkpoint;
use super::trusted_root::{b64, TrustedRoot};
use super::SigstoreError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use palisade_audit::merkle::{leaf_hash, verify_inclusion};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Who signed, as the log records it.
#[derive(Debug, Clone, Copy)]
pub enum SignerRef<'a> {
    /// DER of the leaf certificate.
    Cert(&'a [u8]),
    /// DER SPKI of a managed key.
    Key(&'a [u8]),
}

/// What was signed.
#[derive(Debug, Clone, Copy)]
pub enum ContentRef<'a> {
    /// A message signature over an artifact digest.
    Message {
        /// SHA-256 of the artifact.
        digest: &'a [u8; 32],
        /// Signature bytes.
        signature: &'a [u8],
    },
    /// A DSSE envelope.
    Dsse {
        /// Payload bytes.
        payload: &'a [u8],
        /// PAE bytes.
        pae: &'a [u8],
        /// Signature bytes.
        signature: &'a [u8],
    },
}

fn mismatch(what: &str) -> SigstoreError {
    SigstoreError::TlogBodyMismatch(what.to_owned())
}

fn b64_eq(v: &Value, want: &[u8]) -> bool {
    v.as_str()
        .and_then(|s| STANDARD.decode(s).ok())
        .is_some_and(|d| d == want)
}

/// A base64 PEM (certificate or public key) equal to the signer.
fn pem_matches(v: &Value, signer: SignerRef<'_>) -> bool {
    let Some(pem) = v
        .as_str()
        .and_then(|s| STANDARD.decode(s).ok())
        .and_then(|d| String::from_utf8(d).ok())
    else {
        return false;
    };
    let Some((label, der)) = lenient_pem(&pem) else {
        return false;
    };
    match signer {
        SignerRef::Cert(d) => label == "CERTIFICATE" && der == d,
        SignerRef::Key(d) => label == "PUBLIC KEY" && der == d,
    }
}

/// Decodes one PEM block. Rekor stores PEMs with arbitrary line lengths, which strict RFC 7468
/// parsers reject, so only the armor lines are checked and the base64 body is joined.
fn lenient_pem(pem: &str) -> Option<(String, Vec<u8>)> {
    let mut lines = pem.trim().lines().map(str::trim);
    let label = lines
        .next()?
        .strip_prefix("-----BEGIN ")?
        .strip_suffix("-----")?
        .to_owned();
    let mut b64 = String::new();
    for line in lines {
        if line == format!("-----END {label}-----") {
            return STANDARD.decode(b64).ok().map(|der| (label, der));
        }
        b64.push_str(line);
    }
    None
}

fn check_body(
    kind: &str,
    version: &str,
    body: &Value,
    content: ContentRef<'_>,
    signer: SignerRef<'_>,
) -> Result<(), SigstoreError> {
    let spec = &body["spec"];
    match (kind, version, content) {
        ("hashedrekord", "0.0.1", ContentRef::Message { digest, signature }) => {
            let h = &spec["data"]["hash"];
            if h["algorithm"] != "sha256" || h["value"].as_str() != Some(&hex::encode(digest)) {
                return Err(mismatch("logged artifact digest differs"));
            }
            if !b64_eq(&spec["signature"]["content"], signature) {
                return Err(mismatch("logged signature differs"));
            }
            if !pem_matches(&spec["signature"]["publicKey"]["content"], signer) {
                return Err(mismatch("logged signer differs"));
            }
            Ok(())
        }
        ("hashedrekord", "0.0.2", _) => {
            let s = &spec["hashedRekordV002"];
            let (digest, signature) = match content {
                ContentRef::Message { digest, signature } => (digest.to_vec(), signature),
                // Rekor v2 logs DSSE as a hashedrekord over the PAE bytes.
                ContentRef::Dsse { pae, signature, .. } => {
                    (Sha256::digest(pae).to_vec(), signature)
                }
            };
            if s["data"]["algorithm"] != "SHA2_256" || !b64_eq(&s["data"]["digest"], &digest) {
                return Err(mismatch("logged digest differs"));
            }
            if !b64_eq(&s["signature"]["content"], signature) {
                return Err(mismatch("logged signature differs"));
            }
            let v = &s["signature"]["verifier"];
            let ok = match signer {
                SignerRef::Cert(d) => b64_eq(&v["x509Certificate"]["rawBytes"], d),
                SignerRef::Key(d) => b64_eq(&v["publicKey"]["rawBytes"], d),
            };
            if !ok {
                return Err(mismatch("logged signer differs"));
            }
            Ok(())
        }
        (
            "dsse",
            "0.0.1",
            ContentRef::Dsse {
                payload, signature, ..
            },
        ) => {
            let ph = &spec["payloadHash"];
            if ph["algorithm"] != "sha256"
                || ph["value"].as_str() != Some(&hex::encode(Sha256::digest(payload)))
            {
                return Err(mismatch("logged payload hash differs"));
            }
            let found = spec["signatures"].as_array().is_some_and(|sigs| {
                sigs.iter().any(|s| {
                    b64_eq(&s["signature"], signature) && pem_matches(&s["verifier"], signer)
                })
            });
            if !found {
                return Err(mismatch("envelope signature is not the logged one"));
            }
            Ok(())
        }
        (
            "intoto",
            "0.0.2",
            ContentRef::Dsse {
                payload, signature, ..
            },
        ) => {
            let c = &spec["content"];
            if c["payloadHash"]["algorithm"] != "sha256"
                || c["payloadHash"]["value"].as_str() != Some(&hex::encode(Sha256::digest(payload)))
            {
                return Err(mismatch("logged payload hash differs"));
            }
            // intoto 0.0.2 stores each signature base64-encoded twice.
            let found = c["envelope"]["signatures"].as_array().is_some_and(|sigs| {
                sigs.iter().any(|s| {
                    let once = s["sig"].as_str().and_then(|x| STANDARD.decode(x).ok());
                    let twice = once
                        .and_then(|o| String::from_utf8(o).ok())
                        .and_then(|o| STANDARD.decode(o).ok());
                    twice.as_deref() == Some(signature) && pem_matches(&s["publicKey"], signer)
                })
            });
            if !found {
                return Err(mismatch("envelope signature is not the logged one"));
            }
            Ok(())
        }
        _ => Err(SigstoreError::Bundle(format!(
            "unsupported tlog entry kind {kind} {version} for this content"
        ))),
    }
}

/// Verifies one entry; returns the SET-backed integrated time in ms, if any.
pub fn verify_entry(
    entry: &TlogEntry,
    root: &TrustedRoot,
    content: ContentRef<'_>,
    signer: SignerRef<'_>,
) -> Result<Option<u64>, SigstoreError> {
    let log_id = b64(&entry.log_id.key_id, "log id")?;
    let log = root.tlog(&log_id).ok_or(SigstoreError::UnknownLog)?;
    let body_bytes = b64(&entry.canonicalized_body, "canonicalized body")?;
    let body: Value = serde_json::from_slice(&body_bytes)
        .map_err(|_| SigstoreError::Bundle("canonicalized body is not json".into()))?;
    if body["kind"] != entry.kind_version.kind.as_str()
        || body["apiVersion"] != entry.kind_version.version.as_str()
    {
        return Err(mismatch("kind/version differ from the logged body"));
    }
    check_body(
        &entry.kind_version.kind,
        &entry.kind_version.version,
        &body,
        content,
        signer,
    )?;

    let proof = entry
        .inclusion_proof
        .as_ref()
        .ok_or(SigstoreError::MissingInclusionProof)?;
    let hashes = proof
        .hashes
        .iter()
        .map(|h| b64(h, "proof hash"))
        .collect::<Result<Vec<_>, SigstoreError>>()?;
    let claimed = b64(&proof.root_hash, "root hash")?;
    verify_inclusion(
        proof.log_index,
        proof.tree_size,
        &leaf_hash(&body_bytes),
        &hashes,
        &claimed,
    )
    .map_err(|e| SigstoreError::InclusionProof(e.to_string()))?;
    let note = proof
        .checkpoint
        .as_ref()
        .ok_or_else(|| SigstoreError::Checkpoint("inclusion proof has no checkpoint".into()))?;
    let cp = verify_checkpoint(&note.envelope, &log.key)?;
    if cp.size != proof.tree_size || cp.root.as_slice() != claimed.as_slice() {
        return Err(SigstoreError::Checkpoint(
            "checkpoint does not match the inclusion proof".into(),
        ));
    }

    let Some(promise) = &entry.inclusion_promise else {
        return Ok(None);
    };
    let t = entry.integrated_time.ok_or_else(|| {
        SigstoreError::Bundle("signed entry timestamp without integratedTime".into())
    })?;
    // The SET signs canonical JSON (sorted keys, no spaces) of these four fields.
    let msg = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        entry.canonicalized_body.trim(),
        t,
        hex::encode(&log_id),
        entry.log_index
    );
    let sig = b64(&promise.signed_entry_timestamp, "signed entry timestamp")?;
    if !log.key.verify(msg.as_bytes(), &sig) {
        return Err(SigstoreError::SignedEntryTimestamp);
    }
    let t_ms = t.saturating_mul(1000);
    if !log.valid_for.contains(t_ms) {
        return Err(SigstoreError::UnknownLog);
    }
    Ok(Some(t_ms))
}
