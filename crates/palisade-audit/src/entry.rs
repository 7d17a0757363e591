//! The canonical leaf entry: the exact bytes hashed into the tree. An [`AuditEvent`] with its
//! sensitive parts (`detail`, optional body capture) removed and sealed with AES-256-GCM under
//! the log's data key, bound to the entry index. Serialized as compact JSON with a fixed field
//! order starting `{"v":1,"index":N,` so verification can check positions without a full parse.

use crate::error::AuditError;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use palisade_core::AuditEvent;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Entry format version.
pub const ENTRY_VERSION: u32 = 1;

/// Optional forensic capture of the bodies of one call; always sealed at rest.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BodyCapture {
    /// Request body bytes.
    pub request: Vec<u8>,
    /// Response body bytes.
    pub response: Vec<u8>,
}

impl std::fmt::Debug for BodyCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyCapture")
            .field("request_len", &self.request.len())
            .field("response_len", &self.response.len())
            .finish()
    }
}

/// The sealed part of an entry as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedPart {
    /// Base64 nonce (96 bits).
    pub nonce: String,
    /// Base64 ciphertext with tag.
    pub ct: String,
}

/// One leaf of the log as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafEntry {
    /// Format version.
    pub v: u32,
    /// Position in the log (binds the entry to its place: deletion and reordering show).
    pub index: u64,
    /// The event, with `detail` always `None` (it lives in `sealed`).
    pub event: AuditEvent,
    /// Sealed sensitive parts, if any.
    pub sealed: Option<SealedPart>,
}

/// The decrypted sensitive parts of an entry.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sensitive {
    /// The event's `detail`.
    pub detail: Option<String>,
    /// Base64 request body capture.
    pub request_body: Option<String>,
    /// Base64 response body capture.
    pub response_body: Option<String>,
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sensitive(..)")
    }
}

/// The log's data key (AES-256), wiped on drop.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// Wraps raw key bytes.
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        DataKey(key)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&*self.0))
    }
}

fn aad(index: u64) -> Vec<u8> {
    let mut a = b"palisade-audit/entry/v1\0".to_vec();
    a.extend_from_slice(&index.to_be_bytes());
    a
}

/// Builds the canonical entry bytes for `event` at `index` (its `detail` is sealed).
pub fn encode_entry(
    index: u64,
    event: AuditEvent,
    capture: Option<&BodyCapture>,
    key: &DataKey,
) -> Result<Vec<u8>, AuditError> {
    let mut out = Vec::new();
    encode_entry_into(index, event, capture, key, &mut out)?;
    Ok(out)
}

/// Like [`encode_entry`], serializing into a caller-owned buffer (cleared first) so the
/// writer's hot path reuses one allocation.
pub fn encode_entry_into(
    index: u64,
    mut event: AuditEvent,
    capture: Option<&BodyCapture>,
    key: &DataKey,
    out: &mut Vec<u8>,
) -> Result<(), AuditError> {
    out.clear();
    // Taken by value: the hot path moves the event in instead of cloning it.
    let detail = event.detail.take();
    let sealed = if detail.is_some() || capture.is_some() {
        let sensitive = Sensitive {
            detail,
            request_body: capture.map(|c| STANDARD.encode(&c.request)),
            response_body: capture.map(|c| STANDARD.encode(&c.response)),
        };
        let plain =
            Zeroizing::new(serde_json::to_vec(&sensitive).map_err(|e| entry_err(index, e))?);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = key
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: &aad(index),
                },
            )
            .map_err(|_| AuditError::Entry {
                index,
                reason: "sealing failed".into(),
            })?;
        Some(SealedPart {
            nonce: STANDARD.encode(nonce),
            ct: STANDARD.encode(ct),
        })
    } else {
        None
    };
    let leaf = LeafEntry {
        v: ENTRY_VERSION,
        index,
        event,
        sealed,
    };
    serde_json::to_writer(&mut *out, &leaf).map_err(|e| entry_err(index, e))
}

fn entry_err(index: u64, e: serde_json::Error) -> AuditError {
    AuditError::Entry {
        index,
        reason: format!("cannot serialize: {e}"),
    }
}

/// Parses entry bytes.
pub fn decode_entry(index: u64, bytes: &[u8]) -> Result<LeafEntry, AuditError> {
    serde_json::from_slice(bytes).map_err(|e| AuditError::Entry {
        index,
        reason: format!("not a valid entry: {e}"),
    })
}

/// Reads the index an entry claims from its canonical prefix, without a full parse.
pub fn claimed_index(bytes: &[u8]) -> Option<u64> {
    let rest = bytes.strip_prefix(b"{\"v\":1,\"index\":")?;
    let end = rest.iter().position(|b| *b == b',')?;
    let digits = rest.get(..end)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Decrypts the sealed part of an entry.
pub fn open_sensitive(entry: &LeafEntry, key: &DataKey) -> Result<Option<Sensitive>, AuditError> {
    let Some(sealed) = &entry.sealed else {
        return Ok(None);
    };
    let fail = |m: &str| AuditError::Entry {
        index: entry.index,
        reason: m.to_string(),
    };
    let nonce = STANDARD
        .decode(&sealed.nonce)
        .map_err(|_| fail("sealed nonce is not base64"))?;
    let ct = STANDARD
        .decode(&sealed.ct)
        .map_err(|_| fail("sealed ciphertext is not base64"))?;
    if nonce.len() != 12 {
        return Err(fail("sealed nonce is not 96 bits"));
    }
    let plain = key
        .cipher()
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ct,
                aad: &aad(entry.index),
            },
        )
        .map_err(|_| {
            fail("sealed part failed authentication (altered, moved, or another data key)")
        })?;
    let plain = Zeroizing::new(plain);
    serde_json::from_slice(&plain)
        .map(Some)
        .map_err(|_| fail("sealed part is not valid json"))
}
