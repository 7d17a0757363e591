//! The witness's own signing key on its host: `witness.key` (C2SP `PRIVATE+KEY+...` with the
//! cosignature/v1 type byte) created with mode 0600 and never overwritten, refused at load
//! when group or others may read it. It lives on the witness's machine, not the gateway's:
//! the point of a witness is a key the log's host never holds.

use crate::cosignature::Cosigner;
use crate::error::AuditError;
use crate::files;
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of the key inside the witness's data directory.
pub const WITNESS_KEY_FILE: &str = "witness.key";

/// The key file of a witness data directory.
pub fn witness_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(WITNESS_KEY_FILE)
}

/// Creates a fresh key named `name` in `data_dir` (refuses to replace an existing one, which
/// would silently change the identity every log pinned) and returns it.
pub fn init_witness_key(data_dir: &Path, name: &str) -> Result<Cosigner, AuditError> {
    std::fs::create_dir_all(data_dir).map_err(|e| AuditError::io(data_dir, e))?;
    let key = Cosigner::generate(name).map_err(|e| AuditError::Key(e.to_string()))?;
    let path = witness_key_path(data_dir);
    let mut f = files::private_options()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| AuditError::io(&path, e))?;
    f.write_all(format!("{}\n", key.to_skey().as_str()).as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| AuditError::io(&path, e))?;
    files::sync_dir(&path)?;
    Ok(key)
}

/// Loads the key of a witness data directory.
pub fn load_witness_key(data_dir: &Path) -> Result<Cosigner, AuditError> {
    let path = witness_key_path(data_dir);
    files::check_private(&path)?;
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(&path).map_err(|e| AuditError::io(&path, e))?,
    );
    Cosigner::parse(&text).map_err(|e| AuditError::Key(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_private_and_never_replaced() {
        let d = tempfile::tempdir().unwrap();
        let k = init_witness_key(d.path(), "witness.test/w1").unwrap();
        assert_eq!(load_witness_key(d.path()).unwrap().verifier(), k.verifier());
        assert!(init_witness_key(d.path(), "witness.test/w1").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let p = witness_key_path(d.path());
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(load_witness_key(d.path()).is_err());
        }
    }
}
