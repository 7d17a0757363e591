//! C2SP tlog-checkpoint bodies (origin line, decimal tree size, base64 root hash) and the
//! log's checkpoint signing key: generated on first start and kept only sealed by the vault
//! (AES-256-GCM under the vault's key hierarchy, label bound to the origin) in
//! `checkpoint.key.sealed`, never in clear beside the log it signs; its public verifier key is
//! in `checkpoint.vkey`. A clear `checkpoint.key` left by an older version is sealed and removed
//! on start.

use crate::error::AuditError;
use crate::files;
use crate::merkle::Hash;
use crate::note::{NoteError, NoteSigner, NoteVerifier};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use palisade_vault::Vault;
use std::path::Path;

/// File name of the clear checkpoint key older versions kept in the audit directory; only
/// read to migrate it into the vault, then removed.
pub const LEGACY_KEY_FILE: &str = "checkpoint.key";
/// File name of the vault-sealed checkpoint key: the origin line, then base64 of the wrapped
/// Ed25519 seed.
pub const SEALED_KEY_FILE: &str = "checkpoint.key.sealed";
/// Label prefix under which the vault wraps the checkpoint key (the origin is appended, so a
/// sealed key cannot be moved to another log).
pub const KEY_LABEL: &str = "palisade-audit/checkpoint-key/v1";
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

/// Loads the checkpoint key sealed in the vault, generating it on first start and migrating
/// a clear `checkpoint.key` (sealed, then the clear file removed and the removal fsynced).
pub(crate) fn load_or_create_signer(
    audit_dir: &Path,
    origin: &str,
    vault: &Vault,
) -> Result<NoteSigner, AuditError> {
    let sealed_path = audit_dir.join(SEALED_KEY_FILE);
    let legacy_path = audit_dir.join(LEGACY_KEY_FILE);
    let signer = if sealed_path.exists() {
        unseal_signer(&sealed_path, vault)?
    } else if legacy_path.exists() {
        files::check_private(&legacy_path)?;
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(&legacy_path).map_err(|e| AuditError::io(&legacy_path, e))?,
        );
        let signer = NoteSigner::parse(&text)
            .map_err(|e| AuditError::Key(format!("{}: {e}", legacy_path.display())))?;
        seal_signer(&sealed_path, &signer, vault)?;
        signer
    } else {
        let signer = NoteSigner::generate(origin).map_err(|e| AuditError::Key(e.to_string()))?;
        seal_signer(&sealed_path, &signer, vault)?;
        signer
    };
    // Also after a crash between sealing and removing: the sealed copy is the key now.
    if legacy_path.exists() {
        std::fs::remove_file(&legacy_path).map_err(|e| AuditError::io(&legacy_path, e))?;
        files::sync_dir(&legacy_path)?;
    }
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

fn key_label(origin: &str) -> String {
    format!("{KEY_LABEL}/{origin}")
}

fn seal_signer(path: &Path, signer: &NoteSigner, vault: &Vault) -> Result<(), AuditError> {
    let origin = signer.verifier().name().to_string();
    let wrapped = vault.wrap_key(&signer.seed(), &key_label(&origin));
    files::write_atomic(
        path,
        format!("{origin}\n{}\n", STANDARD.encode(wrapped)).as_bytes(),
    )
}

fn unseal_signer(path: &Path, vault: &Vault) -> Result<NoteSigner, AuditError> {
    let text = std::fs::read_to_string(path).map_err(|e| AuditError::io(path, e))?;
    let bad = |m: &str| AuditError::Key(format!("{}: {m}", path.display()));
    let mut lines = text.lines();
    let (Some(origin), Some(b64), None) = (lines.next(), lines.next(), lines.next()) else {
        return Err(bad("expected an origin line and a wrapped key line"));
    };
    let wrapped = STANDARD
        .decode(b64)
        .map_err(|_| bad("wrapped key is not base64"))?;
    let seed = vault
        .unwrap_key(&wrapped, &key_label(origin))
        .map_err(|e| bad(&format!("cannot unseal with this vault's master key: {e}")))?;
    NoteSigner::from_seed(origin, &seed).map_err(|e| bad(&e.to_string()))
}

/// Unseals a log's checkpoint signer with its vault: for the operator's tools and for tests
/// that play an attacker who holds the master key (the witness still names such a fork).
pub fn unseal_checkpoint_signer(data_dir: &Path, vault: &Vault) -> Result<NoteSigner, AuditError> {
    unseal_signer(&crate::audit_dir(data_dir).join(SEALED_KEY_FILE), vault)
}

/// Reads the public verifier key of a log from its audit directory (`palisade audit key`).
pub fn read_verifier_key(data_dir: &Path) -> Result<NoteVerifier, AuditError> {
    let path = crate::audit_dir(data_dir).join(VKEY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| AuditError::io(&path, e))?;
    NoteVerifier::parse(&text).map_err(|e| AuditError::Key(e.to_string()))
}
