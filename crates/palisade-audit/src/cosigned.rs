//! The log's witnessed checkpoint beside its own checkpoints: `cosigned.latest` holds the
//! newest checkpoint note with the witnesses' cosignature lines appended, replaced atomically.
//! It is evidence, not trust: it lives on the gateway's disk, so it may be deleted (entries then
//! count as unwitnessed), but a cosignature cannot be forged without a witness's key.

use crate::error::AuditError;
use crate::files;
use std::path::Path;

/// File name inside the audit directory.
pub const COSIGNED_FILE: &str = "cosigned.latest";

/// Stores `note` (the log's signed checkpoint) with `cosignatures` (signature lines, each
/// ending in a newline) as the newest witnessed checkpoint.
pub fn store(audit_dir: &Path, note: &str, cosignatures: &[String]) -> Result<(), AuditError> {
    let mut record = note.to_string();
    for c in cosignatures {
        record.push_str(c);
    }
    files::write_atomic(&audit_dir.join(COSIGNED_FILE), record.as_bytes())
}

/// The stored witnessed checkpoints (zero or one note).
pub fn read_all(audit_dir: &Path) -> Result<Vec<String>, AuditError> {
    let path = audit_dir.join(COSIGNED_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(vec![s]),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(AuditError::io(&path, e)),
    }
}
