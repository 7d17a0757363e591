//! RFC 6962 / RFC 9162 Merkle inclusion proofs and C2SP signed-note checkpoints, as Rekor uses
//! them: leaf hash `SHA-256(0x00 || body)`, node hash `SHA-256(0x01 || l || r)`, and a checkpoint
//! `origin\nsize\nbase64(root)\n[extensions]\n\n— name base64(hint4 || sig)\n`.

use super::SigstoreError;
use crate::keys::PublicKey;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Leaf hash of an entry body.
pub fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(body);
    h.finalize().into()
}

fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// Recomputes the root from an audit path (RFC 9162 §2.1.3.2 in the transparency-dev form).
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    proof: &[[u8; 32]],
) -> Result<[u8; 32], SigstoreError> {
    if index >= size {
        return Err(SigstoreError::InclusionProof(format!(
            "index {index} is outside a tree of size {size}"
        )));
    }
    // `inner` levels where the path may branch either way; above them only left siblings.
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    // `inner` reaches 64 for indices with the top bit set; a plain shift would overflow.
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    if proof.len() != inner + border {
        return Err(SigstoreError::InclusionProof(format!(
            "proof has {} hashes, expected {}",
            proof.len(),
            inner + border
        )));
    }
    let (inner_path, border_path) = proof.split_at(inner);
    let mut acc = leaf;
    for (i, h) in inner_path.iter().enumerate() {
        acc = if (index >> i) & 1 == 0 {
            node(&acc, h)
        } else {
            node(h, &acc)
        };
    }
    for h in border_path {
        acc = node(h, &acc);
    }
    Ok(acc)
}

/// The signed part of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log origin line.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: [u8; 32],
}

/// Parses a signed note and verifies that at least one signature line verifies under `key`.
/// The 4-byte key hint is skipped rather than trusted: the pinned key decides.
pub fn verify_checkpoint(note: &str, key: &PublicKey) -> Result<Checkpoint, SigstoreError> {
    let bad = |m: &str| SigstoreError::Checkpoint(m.to_owned());
    let split = note
        .find("\n\n")
        .ok_or_else(|| bad("no blank line before signatures"))?;
    let body = &note[..split + 1];
    let sigs = &note[split + 2..];
    let signed = sigs
        .lines()
        .filter_map(|l| l.strip_prefix("\u{2014} "))
        .filter_map(|l| l.rsplit_once(' ').map(|(_, b64)| b64))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|raw| raw.len() > 4 && key.verify(body.as_bytes(), &raw[4..]));
    if !signed {
        return Err(bad("no signature verifies under the log key"));
    }
    let mut lines = body.lines();
    let origin = lines
        .next()
        .ok_or_else(|| bad("missing origin"))?
        .to_owned();
    let size = lines
        .next()
        .and_then(|l| l.parse::<u64>().ok())
        .ok_or_else(|| bad("bad tree size"))?;
    let root: [u8; 32] = lines
        .next()
        .and_then(|l| STANDARD.decode(l).ok())
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| bad("bad root hash"))?;
    Ok(Checkpoint { origin, size, root })
}
