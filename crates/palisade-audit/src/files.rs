//! Small file helpers: private (0600) creation, atomic replace with fsync, directory fsync,
//! and the refusal of key files readable by group or others.

use crate::error::AuditError;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Opens options that create files with mode 0600.
pub(crate) fn private_options() -> OpenOptions {
    let mut opts = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Replaces `path` atomically (temp, fsync, rename, directory fsync), mode 0600.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AuditError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let mut f = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| AuditError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| AuditError::io(&tmp, e))?;
    f.sync_all().map_err(|e| AuditError::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| AuditError::io(path, e))?;
    sync_dir(path)
}

/// Fsyncs the directory containing `path`, making creations and renames durable.
pub(crate) fn sync_dir(path: &Path) -> Result<(), AuditError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AuditError::io(dir, e))?;
    Ok(())
}

/// Refuses a secret file that group or others may read.
pub(crate) fn check_private(path: &Path) -> Result<(), AuditError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| AuditError::io(path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(AuditError::Key(format!(
                "{} has mode {:o}; refusing a key readable by group or others (chmod 600)",
                path.display(),
                mode & 0o777
            )));
        }
    }
    Ok(())
}
