//! The pre-pass over package metadata: installed Python distributions (METADATA + RECORD) and
//! npm packages (node_modules manifests). It runs before the parallel walk so every source file
//! can be attributed to its package (name, version, declared hosts).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::ScanError;
use crate::finding::ScanFinding;
use crate::heuristics::PackageCtx;
use crate::node_modules::{self, NodePackage};
use crate::packages::{Ecosystem, PackageRef};
use crate::python_dist::{self, PythonDist};

/// Packages known before the walk, and indexes from paths to them.
#[derive(Debug, Default)]
pub struct Contexts {
    /// Installed Python distributions.
    pub dists: Vec<PythonDist>,
    /// Installed npm packages.
    pub node: Vec<NodePackage>,
    file_to_dist: HashMap<PathBuf, usize>,
    dir_to_node: HashMap<PathBuf, usize>,
}

fn read(path: &Path) -> Result<String, ScanError> {
    let bytes = std::fs::read(path).map_err(|e| ScanError::io(path, e))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

impl Contexts {
    /// Reads the metadata files among `files`; emits install-script findings and package refs.
    pub fn build(
        files: &[PathBuf],
        findings: &mut Vec<ScanFinding>,
        packages: &mut Vec<PackageRef>,
    ) -> Result<Self, ScanError> {
        let mut ctx = Self::default();
        for path in files {
            let parent_is_dist_info = path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n.to_string_lossy().ends_with(".dist-info"));
            if parent_is_dist_info && path.file_name().is_some_and(|n| n == "METADATA") {
                let dir = path.parent().unwrap_or(path);
                let mut d = python_dist::parse_metadata(&read(path)?, path);
                if d.name.is_empty() {
                    continue;
                }
                let record = dir.join("RECORD");
                if record.is_file() {
                    let site = dir.parent().unwrap_or(dir);
                    python_dist::parse_record(&mut d, &read(&record)?, &record, site);
                }
                packages.push(PackageRef {
                    ecosystem: Ecosystem::PyPI,
                    name: d.name.clone(),
                    version: d.version.clone(),
                    file: path.to_string_lossy().into_owned(),
                    line: None,
                    hashes: Vec::new(),
                });
                let i = ctx.dists.len();
                for (p, _, _) in &d.entries {
                    ctx.file_to_dist.insert(p.clone(), i);
                }
                ctx.dists.push(d);
            } else if node_modules::is_package_manifest(path) {
                let text = read(path)?;
                if let Some(p) = node_modules::analyze_manifest(path, &text, findings) {
                    packages.push(PackageRef {
                        ecosystem: Ecosystem::Npm,
                        name: p.name.clone(),
                        version: p.version.clone(),
                        file: path.to_string_lossy().into_owned(),
                        line: None,
                        hashes: Vec::new(),
                    });
                    ctx.dir_to_node.insert(p.dir.clone(), ctx.node.len());
                    ctx.node.push(p);
                }
            }
        }
        Ok(ctx)
    }

    /// The package a file belongs to, if any.
    pub fn package_of(&self, path: &Path) -> Option<PackageCtx<'_>> {
        if let Some(d) = self.file_to_dist.get(path).and_then(|i| self.dists.get(*i)) {
            return Some(PackageCtx {
                name: &d.name,
                version: &d.version,
                declared_hosts: &d.declared_hosts,
            });
        }
        if self.dir_to_node.is_empty() {
            return None;
        }
        let n = path
            .ancestors()
            .skip(1)
            .find_map(|a| self.dir_to_node.get(a))?;
        let p = self.node.get(*n)?;
        Some(PackageCtx {
            name: &p.name,
            version: &p.version,
            declared_hosts: &p.declared_hosts,
        })
    }
}
