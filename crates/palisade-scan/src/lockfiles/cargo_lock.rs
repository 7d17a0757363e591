//! `Cargo.lock`: every `[[package]]` name and version (crates.io ecosystem).

use crate::packages::{Ecosystem, PackageRef};

/// Parses a Cargo.lock.
pub fn cargo_lock(file: &str, text: &str, packages: &mut Vec<PackageRef>) -> Result<(), String> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_owned())?;
    super::python::toml_array(file, text, &doc, "package", Ecosystem::CratesIo, packages);
    Ok(())
}
