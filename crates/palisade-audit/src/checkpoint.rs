//! C2SP tlog-checkpoint bodies (origin line, decimal tree size, base64 root hash) and the
//! log's checkpoint signing key: generated on first start into `checkpoint.key` (0600, Go
//! `PRIVATE+KEY+` form) with its public verifier key in `checkpoint.vkey`.

use crate::error::AuditError;
use crate::files;
use crate::merkle::Hash;
use crate::note::{NoteError, NoteSigner, NoteVerifier};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::path::Path;

/// File name of the private checkpoint key inside the audit directory.
pub const KEY_FILE: &str = "checkpoint.key";
/// File name of the public verifier key inside the audit directory.
pub const VKEY_FILE: &str = "checkpoint.vkey";

/// A tree head: which log, how many entries, and the root over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (unique name of the log).
    pub origin: String,
    /// Number of entries covered.
    pub size: u64,
    /// RFC 6962 root hash of those entries.
    pub root: Hash,
}

impl Checkpoint {
    /// The checkpoint body as signed (three lines, each ending in a newline).
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Parses a checkpoint body (extension lines after the third are allowed and ignored).
    pub fn parse_text(text: &str) -> Result<Checkpoint, NoteError> {
        let bad = |m: &str| NoteError::Malformed(format!("checkpoint: {m}"));
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("missing origin"))?;
        let size_line = lines.next().ok_or_else(|| bad("missing size"))?;
        // Decimal without sign or leading zeros, as the spec requires.
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(bad("size is not a canonical decimal"));
        }
        let size = size_line
            .parse::<u64>()
            .map_err(|_| bad("size out of range"))?;
        let root_line = lines.next().ok_or_else(|| bad("missing root hash"))?;
        let root = STANDARD
            .decode(root_line)
            .ok()
            .and_then(|r| Hash::try_from(r.as_slice()).ok())
            .ok_or_else(|| bad("root is not base64 of 32 bytes"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }

    /// Verifies a signed checkpoint note with `verifier` and parses its body.
    pub fn verify_note(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, NoteError> {
        let text = verifier.verify(note)?;
        Checkpoint::parse_text(text)
    }
}

/// Loads the checkpoint key from the audit directory, generating it on first start.
pub(crate) fn load_or_create_signer(
    audit_dir: &Path,
    origin: &str,
) -> Result<NoteSigner, AuditError> {
    let path = audit_dir.join(KEY_FILE);
    let signer = if path.exists() {
        files::check_private(&path)?;
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(&path).map_err(|e| AuditError::io(&path, e))?,
        );
        NoteSigner::parse(&text).map_err(|e| AuditError::Key(format!("{}: {e}", path.display())))?
    } else {
        let signer = NoteSigner::generate(origin).map_err(|e| AuditError::Key(e.to_string()))?;
        files::write_atomic(&path, signer.to_skey().as_bytes())?;
        signer
    };
    if signer.verifier().name() != origin {
        return Err(AuditError::Key(format!(
            "checkpoint key is for origin {:?} but the config says {origin:?}",
            signer.verifier().name()
        )));
    }
    let vkey_path = audit_dir.join(VKEY_FILE);
    files::write_atomic(
        &vkey_path,
        format!("{}\n", signer.verifier().to_vkey()).as_bytes(),
    )?;
    Ok(signer)
}

/// Reads the public verifier key of a log from its audit directory (`palisade audit key`).
pub fn read_verifier_key(data_dir: &Path) -> Result<NoteVerifier, AuditError> {
    let path = crate::audit_dir(data_dir).join(VKEY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| AuditError::io(&path, e))?;
    NoteVerifier::parse(&text).map_err(|e| AuditError::Key(e.to_string()))
}
