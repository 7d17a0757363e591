//! `requirements*.txt`: exact pins (`name==version`) feed advisory matching; requirements
//! without `==` or without `--hash` are hygiene findings (low).

use palisade_core::finding::Severity;

use crate::finding::ScanFinding;
use crate::packages::{Ecosystem, PackageHash, PackageRef};
use crate::rules;

/// Reads one requirements file.
pub fn analyze(file: &str, text: &str, packages: &mut Vec<PackageRef>, out: &mut Vec<ScanFinding>) {
    // Join backslash continuations, remembering the first line of each logical requirement.
    let mut logical: Vec<(u32, String)> = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = strip_comment(raw);
        let (body, cont) = match line.trim_end().strip_suffix('\\') {
            Some(b) => (b.to_owned(), true),
            None => (line.to_owned(), false),
        };
        let entry = pending.get_or_insert_with(|| (n, String::new()));
        entry.1.push(' ');
        entry.1.push_str(&body);
        if !cont {
            if let Some(e) = pending.take() {
                logical.push(e);
            }
        }
    }
    logical.extend(pending);
    for (n, req) in logical {
        let req = req.trim();
        if req.is_empty() || req.starts_with('-') {
            continue; // options (-r, -c, -e, --index-url) and editable installs
        }
        if req.contains("://") || req.starts_with('.') || req.starts_with('/') {
            continue; // direct URLs and local paths have no index version to pin
        }
        let spec = req.split(';').next().unwrap_or(req); // drop environment markers
        let spec = spec.split(" --").next().unwrap_or(spec).trim();
        let name_end = spec
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .unwrap_or(spec.len());
        let name = spec.get(..name_end).unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        let rest = spec.get(name_end..).unwrap_or("");
        let rest = match rest.trim_start().strip_prefix('[') {
            Some(r) => r.split_once(']').map_or("", |(_, after)| after),
            None => rest,
        };
        let pin = rest
            .trim()
            .strip_prefix("===")
            .or_else(|| rest.trim().strip_prefix("=="))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.contains(',') && !v.contains('*') && !v.is_empty());
        match &pin {
            Some(v) => packages.push(PackageRef {
                ecosystem: Ecosystem::PyPI,
                name: name.to_owned(),
                version: v.clone(),
                file: file.to_owned(),
                line: Some(n),
                hashes: req
                    .split_whitespace()
                    .filter_map(|t| t.strip_prefix("--hash="))
                    .filter_map(PackageHash::parse)
                    .collect(),
            }),
            None => out.push(
                ScanFinding::new(
                    rules::REQ_UNPINNED,
                    Severity::Low,
                    file,
                    Some(n),
                    req,
                    format!("{name} is not pinned with == (resolves to whatever is newest)"),
                )
                .with_package(name, None),
            ),
        }
        if !req.contains("--hash=") {
            out.push(
                ScanFinding::new(
                    rules::REQ_NOHASH,
                    Severity::Low,
                    file,
                    Some(n),
                    req,
                    format!("{name} has no --hash; any artifact the index serves is accepted"),
                )
                .with_package(name, pin.as_deref()),
            );
        }
    }
}

fn strip_comment(line: &str) -> &str {
    // `#` starts a comment at line start or after whitespace (URLs may contain `#egg=`).
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes.get(i - 1).is_some_and(|p| p.is_ascii_whitespace())) {
            return line.get(..i).unwrap_or(line);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_hashes_and_continuations() {
        let text = "# top\nlitellm==1.82.8 \\\n    --hash=sha256:aa\nrequests>=2\nTelnyx[extra] == 4.87.1 ; python_version>'3'\n-r other.txt\n";
        let (mut p, mut f) = (Vec::new(), Vec::new());
        analyze("r.txt", text, &mut p, &mut f);
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str(), p[0].line),
            ("litellm", "1.82.8", Some(2))
        );
        assert_eq!(
            (p[1].name.as_str(), p[1].version.as_str(), p[1].line),
            ("Telnyx", "4.87.1", Some(5))
        );
        let ids: Vec<(&str, Option<u32>)> =
            f.iter().map(|f| (f.rule_id.as_str(), f.line)).collect();
        assert_eq!(
            ids,
            [
                (rules::REQ_UNPINNED, Some(4)),
                (rules::REQ_NOHASH, Some(4)),
                (rules::REQ_NOHASH, Some(5))
            ]
        );
    }
}
