//! Lockfiles and manifests: recognizes the file by name and extracts the pinned packages
//! (for advisory matching) plus hygiene findings (unpinned requirements, missing hashes).

mod cargo_lock;
mod npm;
mod python;
mod requirements;

use std::path::Path;

use crate::finding::ScanFinding;
use crate::packages::PackageRef;

/// The kinds of lockfile/manifest the scanner reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// `requirements*.txt`.
    Requirements,
    /// `poetry.lock`.
    Poetry,
    /// `uv.lock`.
    Uv,
    /// `pylock.toml` / `pylock.<name>.toml` (PEP 751).
    Pylock,
    /// `Pipfile.lock`.
    Pipfile,
    /// `package-lock.json` / `npm-shrinkwrap.json`.
    PackageLock,
    /// `pnpm-lock.yaml`.
    Pnpm,
    /// `yarn.lock` (classic v1 format).
    Yarn,
    /// `Cargo.lock`.
    Cargo,
}

/// Classifies a file by its name.
pub fn classify(path: &Path) -> Option<LockKind> {
    let name = path.file_name()?.to_str()?;
    Some(match name {
        "poetry.lock" => LockKind::Poetry,
        "uv.lock" => LockKind::Uv,
        "Pipfile.lock" => LockKind::Pipfile,
        "package-lock.json" | "npm-shrinkwrap.json" => LockKind::PackageLock,
        "pnpm-lock.yaml" => LockKind::Pnpm,
        "yarn.lock" => LockKind::Yarn,
        "Cargo.lock" => LockKind::Cargo,
        n if n.starts_with("pylock.") && n.ends_with(".toml") => LockKind::Pylock,
        n if n.starts_with("requirements") && n.ends_with(".txt") => LockKind::Requirements,
        n if n.ends_with(".txt")
            && path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|p| p == "requirements") =>
        {
            LockKind::Requirements
        }
        _ => return None,
    })
}

/// Parses a lockfile. Unparseable lockfiles yield no packages (and no error: a scan of a large
/// tree must not stop on one broken file), but a low finding says it could not be read.
pub fn analyze(
    kind: LockKind,
    file: &str,
    text: &str,
    packages: &mut Vec<PackageRef>,
    out: &mut Vec<ScanFinding>,
) {
    let res = match kind {
        LockKind::Requirements => {
            requirements::analyze(file, text, packages, out);
            Ok(())
        }
        LockKind::Poetry | LockKind::Uv => python::toml_packages(file, text, "package", packages),
        LockKind::Pylock => python::toml_packages(file, text, "packages", packages),
        LockKind::Pipfile => python::pipfile_lock(file, text, packages),
        LockKind::PackageLock => npm::package_lock(file, text, packages),
        LockKind::Pnpm => {
            npm::pnpm_lock(file, text, packages);
            Ok(())
        }
        LockKind::Yarn => {
            npm::yarn_lock(file, text, packages);
            Ok(())
        }
        LockKind::Cargo => cargo_lock::cargo_lock(file, text, packages),
    };
    if let Err(why) = res {
        out.push(ScanFinding::new(
            crate::rules::LOCK_UNPARSEABLE,
            palisade_core::finding::Severity::Low,
            file,
            None,
            "unparseable",
            format!("lockfile could not be parsed ({why}); its pins were not checked"),
        ));
    }
}
