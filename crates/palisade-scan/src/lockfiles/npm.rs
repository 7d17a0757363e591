//! npm lockfiles: `package-lock.json` (v1 `dependencies`, v2/v3 `packages`), `pnpm-lock.yaml`
//! (v5 `/name/ver`, v6 `/name@ver`, v9 `name@ver` keys) and classic `yarn.lock`.

use crate::packages::{Ecosystem, PackageHash, PackageRef};
use crate::text::line_of;

fn push(
    file: &str,
    text: &str,
    name: &str,
    version: &str,
    needle: &str,
    meta: &serde_json::Value,
    out: &mut Vec<PackageRef>,
) {
    out.push(PackageRef {
        ecosystem: Ecosystem::Npm,
        name: name.to_owned(),
        version: version.to_owned(),
        file: file.to_owned(),
        line: line_of(text, needle),
        // SRI `integrity` may list several digests separated by spaces.
        hashes: meta
            .get("integrity")
            .and_then(|i| i.as_str())
            .map(|i| {
                i.split_whitespace()
                    .filter_map(PackageHash::parse)
                    .collect()
            })
            .unwrap_or_default(),
    });
}

/// package-lock.json / npm-shrinkwrap.json.
pub fn package_lock(file: &str, text: &str, out: &mut Vec<PackageRef>) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if let Some(pk) = v.get("packages").and_then(|p| p.as_object()) {
        for (key, meta) in pk {
            let Some(idx) = key.rfind("node_modules/") else {
                continue;
            };
            let name = key.get(idx + "node_modules/".len()..).unwrap_or("");
            // Aliased installs record the real package in `name`.
            let name = meta.get("name").and_then(|n| n.as_str()).unwrap_or(name);
            let Some(ver) = meta.get("version").and_then(|x| x.as_str()) else {
                continue;
            };
            if meta.get("link").and_then(|l| l.as_bool()) == Some(true) {
                continue;
            }
            push(file, text, name, ver, &format!("\"{key}\""), meta, out);
        }
        return Ok(());
    }
    fn v1(
        file: &str,
        text: &str,
        deps: &serde_json::Map<String, serde_json::Value>,
        out: &mut Vec<PackageRef>,
    ) {
        for (name, meta) in deps {
            if let Some(ver) = meta.get("version").and_then(|x| x.as_str()) {
                push(file, text, name, ver, &format!("\"{name}\""), meta, out);
            }
            if let Some(sub) = meta.get("dependencies").and_then(|d| d.as_object()) {
                v1(file, text, sub, out);
            }
        }
    }
    if let Some(deps) = v.get("dependencies").and_then(|d| d.as_object()) {
        v1(file, text, deps, out);
    }
    Ok(())
}

/// Splits `name@version` where the name may start with `@scope/`.
fn split_at_version(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((spec.get(..at)?, spec.get(at + 1..)?))
}

/// pnpm-lock.yaml: keys of the top-level `packages:` (and v9 `snapshots:`) maps.
pub fn pnpm_lock(file: &str, text: &str, out: &mut Vec<PackageRef>) {
    let mut in_packages = false;
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_packages = line.trim_end() == "packages:" || line.trim_end() == "snapshots:";
            continue;
        }
        // Entries are indented exactly two spaces.
        if !in_packages || !line.starts_with("  ") || line.starts_with("   ") {
            continue;
        }
        let key = line
            .trim()
            .trim_end_matches(':')
            .trim_matches(|c| c == '\'' || c == '"');
        let key = key.strip_prefix('/').unwrap_or(key);
        // Drop peer-dependency suffixes: `(react@18.2.0)` (v6+) or `_react@18.2.0` (v5).
        let key = key.split('(').next().unwrap_or(key);
        let (name, ver) = match split_at_version(key) {
            Some((n, v)) if !n.contains('/') || n.starts_with('@') => (n, v),
            _ => match key.rsplit_once('/') {
                Some((n, v)) => (n, v),
                None => continue,
            },
        };
        let ver = ver.split('_').next().unwrap_or(ver);
        if ver.is_empty()
            || !ver.starts_with(|c: char| c.is_ascii_digit())
            || !seen.insert((name, ver))
        {
            continue;
        }
        out.push(PackageRef {
            ecosystem: Ecosystem::Npm,
            name: name.to_owned(),
            version: ver.to_owned(),
            file: file.to_owned(),
            line: Some(u32::try_from(i + 1).unwrap_or(u32::MAX)),
            hashes: Vec::new(),
        });
    }
}

/// Classic yarn.lock: `"name@range", name@range2:` header lines followed by `  version "x"`.
pub fn yarn_lock(file: &str, text: &str, out: &mut Vec<PackageRef>) {
    let mut current: Option<(String, u32)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if !line.starts_with(' ') && line.ends_with(':') && !line.starts_with('#') {
            let first = line.trim_end_matches(':').split(',').next().unwrap_or("");
            let first = first.trim().trim_matches('"');
            current = split_at_version(first).map(|(name, _)| (name.to_owned(), n));
            continue;
        }
        if let (Some((name, header)), Some(rest)) = (&current, line.trim().strip_prefix("version "))
        {
            let ver = rest.trim().trim_matches('"');
            out.push(PackageRef {
                ecosystem: Ecosystem::Npm,
                name: name.clone(),
                version: ver.to_owned(),
                file: file.to_owned(),
                line: Some(*header),
                hashes: Vec::new(),
            });
            current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_lock_v3_and_v1() {
        let mut p = Vec::new();
        package_lock("l", r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/nx":{"version":"21.5.0"},"node_modules/a/node_modules/@ctrl/tinycolor":{"version":"4.1.1"}}}"#, &mut p).unwrap();
        // Key order depends on whether serde_json's `preserve_order` is unified into the build;
        // the report sorts findings, so compare as a set.
        let mut got: Vec<(&str, &str)> = p
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str()))
            .collect();
        got.sort();
        assert_eq!(got, [("@ctrl/tinycolor", "4.1.1"), ("nx", "21.5.0")]);
        let mut p = Vec::new();
        package_lock("l", r#"{"lockfileVersion":1,"dependencies":{"nx":{"version":"20.9.0","dependencies":{"chalk":{"version":"5.6.1"}}}}}"#, &mut p).unwrap();
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn pnpm_versions() {
        let text = "lockfileVersion: '9.0'\npackages:\n  nx@21.6.0:\n    resolution: {}\n  '@ctrl/tinycolor@4.1.2':\n    x: y\n  /debug/4.4.2:\n    x: y\n  /chalk@5.6.1(supports-color@9.0.0):\n    x: y\nsnapshots:\n  nx@21.6.0:\n    x: y\n";
        let mut p = Vec::new();
        pnpm_lock("p", text, &mut p);
        let got: Vec<(&str, &str, Option<u32>)> = p
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str(), r.line))
            .collect();
        assert_eq!(
            got,
            [
                ("nx", "21.6.0", Some(3)),
                ("@ctrl/tinycolor", "4.1.2", Some(5)),
                ("debug", "4.4.2", Some(7)),
                ("chalk", "5.6.1", Some(9))
            ]
        );
    }

    #[test]
    fn yarn_classic() {
        let text = "# yarn lockfile v1\n\n\"@ctrl/tinycolor@^4.1.0\", \"@ctrl/tinycolor@^4.1.1\":\n  version \"4.1.2\"\n  resolved \"x\"\n\nnx@21.7.0:\n  version \"21.7.0\"\n";
        let mut p = Vec::new();
        yarn_lock("y", text, &mut p);
        let got: Vec<(&str, &str, Option<u32>)> = p
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str(), r.line))
            .collect();
        assert_eq!(
            got,
            [
                ("@ctrl/tinycolor", "4.1.2", Some(3)),
                ("nx", "21.7.0", Some(7))
            ]
        );
    }
}
