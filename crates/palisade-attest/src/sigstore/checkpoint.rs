//! Rekor checkpoints: C2SP signed notes whose text is a tlog checkpoint. Parsing of the note and
//! of the checkpoint body is palisade-audit's (one implementation); this module only checks the
//! signature under the pinned log key, which for Rekor is ECDSA P-256 (v1) or Ed25519 (v2).

use super::SigstoreError;
use crate::keys::PublicKey;
use palisade_audit::note::SignedNote;
use palisade_audit::Checkpoint;

/// Parses a signed note and requires at least one signature line to verify under `key`, then
/// parses the checkpoint body. The 4-byte key hint and the key name are not trusted (the hint
/// rule differs between Rekor v1 and v2): the pinned key decides.
pub fn verify_checkpoint(note: &str, key: &PublicKey) -> Result<Checkpoint, SigstoreError> {
    let bad = |e: palisade_audit::NoteError| SigstoreError::Checkpoint(e.to_string());
    let note = SignedNote::parse(note).map_err(bad)?;
    let signed = note
        .signatures
        .iter()
        .any(|s| key.verify(note.text.as_bytes(), &s.signature));
    if !signed {
        return Err(SigstoreError::Checkpoint(
            "no signature verifies under the log key".into(),
        ));
    }
    Checkpoint::parse_text(note.text).map_err(bad)
}
