//! Python lockfiles: `poetry.lock` and `uv.lock` (`[[package]]`), `pylock.toml` (PEP 751,
//! `[[packages]]`) and `Pipfile.lock` (JSON `default`/`develop`).

use crate::packages::{Ecosystem, PackageHash, PackageRef};
use crate::text::line_of_from;

/// `[[<table>]]` arrays with `name` and `version` keys.
pub fn toml_packages(
    file: &str,
    text: &str,
    table: &str,
    packages: &mut Vec<PackageRef>,
) -> Result<(), String> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_owned())?;
    toml_array(file, text, &doc, table, Ecosystem::PyPI, packages);
    Ok(())
}

/// Shared by Cargo.lock: walks `[[table]]` entries in order so line numbers advance monotonically.
pub fn toml_array(
    file: &str,
    text: &str,
    doc: &toml::Table,
    table: &str,
    ecosystem: Ecosystem,
    packages: &mut Vec<PackageRef>,
) {
    let Some(list) = doc.get(table).and_then(|v| v.as_array()) else {
        return;
    };
    let mut from = 1;
    for p in list {
        let (Some(name), Some(version)) = (
            p.get("name").and_then(|v| v.as_str()),
            p.get("version").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let line = line_of_from(text, &format!("name = \"{name}\""), from);
        if let Some(l) = line {
            from = l;
        }
        packages.push(PackageRef {
            ecosystem,
            name: name.to_owned(),
            version: version.to_owned(),
            file: file.to_owned(),
            line,
            hashes: toml_hashes(p),
        });
    }
}

/// Artifact digests of one `[[package]]` entry: Cargo.lock `checksum`, poetry `files[].hash`,
/// uv `sdist.hash` / `wheels[].hash`, pylock `sdist.hashes` / `wheels[].hashes` (a table of
/// algorithm to hex).
fn toml_hashes(p: &toml::Value) -> Vec<PackageHash> {
    let mut out = Vec::new();
    if let Some(c) = p.get("checksum").and_then(|c| c.as_str()) {
        out.extend(PackageHash::sha256_hex(c));
    }
    let mut artifacts: Vec<&toml::Value> = Vec::new();
    for key in ["files", "wheels"] {
        if let Some(list) = p.get(key).and_then(|v| v.as_array()) {
            artifacts.extend(list);
        }
    }
    artifacts.extend(p.get("sdist"));
    for a in artifacts {
        if let Some(h) = a.get("hash").and_then(|h| h.as_str()) {
            out.extend(PackageHash::parse(h));
        }
        if let Some(t) = a.get("hashes").and_then(|h| h.as_table()) {
            for (alg, hex) in t {
                out.extend(
                    hex.as_str()
                        .and_then(|h| PackageHash::parse(&format!("{alg}:{h}"))),
                );
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `Pipfile.lock`: `{"default": {"name": {"version": "==1.2"}}, "develop": {...}}`.
pub fn pipfile_lock(file: &str, text: &str, packages: &mut Vec<PackageRef>) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    for section in ["default", "develop"] {
        let Some(obj) = v.get(section).and_then(|s| s.as_object()) else {
            continue;
        };
        for (name, spec) in obj {
            let Some(ver) = spec.get("version").and_then(|x| x.as_str()) else {
                continue;
            };
            let Some(ver) = ver.strip_prefix("==") else {
                continue;
            };
            packages.push(PackageRef {
                ecosystem: Ecosystem::PyPI,
                name: name.clone(),
                version: ver.to_owned(),
                file: file.to_owned(),
                line: crate::text::line_of(text, &format!("\"{name}\"")),
                hashes: spec
                    .get("hashes")
                    .and_then(|h| h.as_array())
                    .map(|h| {
                        h.iter()
                            .filter_map(|x| x.as_str().and_then(PackageHash::parse))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poetry_uv_pylock_pipfile() {
        let mut p = Vec::new();
        toml_packages("poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n\n[[package]]\nname = \"litellm\"\nversion = \"1.82.8\"\n", "package", &mut p).unwrap();
        assert_eq!(
            (p[1].name.as_str(), p[1].version.as_str(), p[1].line),
            ("litellm", "1.82.8", Some(6))
        );
        let mut p = Vec::new();
        toml_packages(
            "pylock.toml",
            "lock-version = \"1.0\"\n[[packages]]\nname = \"telnyx\"\nversion = \"4.87.1\"\n",
            "packages",
            &mut p,
        )
        .unwrap();
        assert_eq!(p[0].version, "4.87.1");
        let mut p = Vec::new();
        pipfile_lock(
            "Pipfile.lock",
            r#"{"default":{"telnyx":{"version":"==4.87.2"}},"develop":{}}"#,
            &mut p,
        )
        .unwrap();
        assert_eq!((p[0].version.as_str(), p[0].line), ("4.87.2", Some(1)));
        assert!(toml_packages("x", "[[package", "package", &mut p).is_err());
    }
}
