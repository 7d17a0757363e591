//! Where the inspection engine keeps state in the data dir (`<data_dir>/inspect/`): canaries,
//! protected-document fingerprints and the exact-data-match index, as JSON files written
//! atomically (temp file + rename) so a crash never leaves half a file for the gateway to load.

use crate::InspectError;
use serde::{de::DeserializeOwned, Serialize};
use std::path::{Path, PathBuf};

/// The inspect state directory inside a data dir.
pub fn inspect_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("inspect")
}

/// Reads a JSON state file; `Ok(None)` when it does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, InspectError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(InspectError::io(path, e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| InspectError::CorruptState {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

/// Writes a JSON state file atomically, creating the directory if needed.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), InspectError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| InspectError::io(dir, e))?;
    }
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(value).map_err(|e| InspectError::CorruptState {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    std::fs::write(&tmp, bytes).map_err(|e| InspectError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| InspectError::io(path, e))
}
