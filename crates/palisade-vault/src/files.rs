//! Atomic, durable file writes: temp file in the same directory, fsync, rename, fsync of the
//! directory. A crash leaves either the old or the new file, never a torn one.

use crate::error::VaultError;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically with mode 0600.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let tmp = path.with_extension("tmp");
    // A stale temp file from an earlier crash holds nothing we need: the rename never happened.
    let _ = fs::remove_file(&tmp);
    let mut f = create_private(&tmp)?;
    f.write_all(bytes).map_err(|e| VaultError::io(&tmp, e))?;
    f.sync_all().map_err(|e| VaultError::io(&tmp, e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| VaultError::io(path, e))?;
    sync_dir(path)
}

/// Creates a new file readable and writable by the owner only.
pub(crate) fn create_private(path: &Path) -> Result<File, VaultError> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map_err(|e| VaultError::io(path, e))
}

/// Fsyncs the directory holding `path` so a rename is durable.
pub(crate) fn sync_dir(path: &Path) -> Result<(), VaultError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(|e| VaultError::io(dir, e))?;
        d.sync_all().map_err(|e| VaultError::io(dir, e))?;
    }
    Ok(())
}

/// Permission bits of a file (0 on platforms without them).
pub(crate) fn mode_of(path: &Path) -> Result<u32, VaultError> {
    let meta = fs::metadata(path).map_err(|e| VaultError::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(meta.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok(0)
    }
}
