//! Domains that imitate the package's own name (`litellm.cloud` in package `litellm`) and that
//! the package does not declare in its metadata or README.

use super::patterns::{host_re, windows};
use super::PackageCtx;

/// Normalizes a package or label for comparison: lowercase, `_`/`.` → `-`, scope dropped.
pub fn norm(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// Last two labels (approximate registrable domain; good enough to compare with declared hosts).
fn registrable(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').rsplit('.').take(2).collect();
    labels.into_iter().rev().collect::<Vec<_>>().join(".")
}

/// Public TLDs a look-alike endpoint would use; internal names (`moto.service`) are not domains.
const TLDS: &[&str] = &[
    "com", "net", "org", "io", "ai", "dev", "app", "cloud", "xyz", "top", "site", "online", "info",
    "ru", "cn", "sh", "me", "co", "biz", "pw", "cc", "tk", "ws", "live", "icu", "link", "click",
    "tech", "store", "shop", "pro", "run", "space", "fun", "lat", "moe", "to", "so", "gg", "us",
];

/// Subdomains that name documentation, not endpoints code talks to.
const DOC_LABELS: &[&str] = &["docs", "doc", "documentation", "help", "wiki", "blog"];

/// True when byte offset `at` is on a comment line or inside a Python triple-quoted string
/// (documentation links there are not endpoints).
fn in_comment_or_docstring(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.get(line_start..).unwrap_or("").trim_start();
    if ["#", "//", "*", "/*"].iter().any(|c| line.starts_with(c)) {
        return true;
    }
    (before.matches("\"\"\"").count() + before.matches("'''").count()) % 2 == 1
}

/// The first undeclared look-alike host near an occurrence of the package name.
pub fn lookalike_host(text: &str, p: PackageCtx<'_>) -> Option<(usize, String)> {
    let name = norm(p.name);
    if name.len() < 4 {
        return None; // short names (`six`, `nx`) occur inside unrelated domains
    }
    let positions: Vec<usize> = text.match_indices(name.as_str()).map(|(i, _)| i).collect();
    if positions.is_empty() {
        return None;
    }
    let declared: Vec<String> = p.declared_hosts.iter().map(|h| registrable(h)).collect();
    let bytes = text.as_bytes();
    // A URL containing the name starts at most ~260 bytes before it (scheme + subdomains).
    for (lo, hi) in windows(&positions, 270, name.len() + 64, bytes.len()) {
        let Some(win) = bytes.get(lo..hi) else {
            continue;
        };
        for cap in host_re().captures_iter(win) {
            let Some(m) = cap.get(1) else { continue };
            let host = String::from_utf8_lossy(m.as_bytes())
                .trim_end_matches('.')
                .to_ascii_lowercase();
            let reg = registrable(&host);
            let (sld, tld) = reg.split_once('.').unwrap_or((&reg, ""));
            if !norm(sld).contains(&name) || declared.contains(&reg) || !TLDS.contains(&tld) {
                continue;
            }
            let at = lo + m.start();
            if host
                .split('.')
                .next()
                .is_some_and(|l| DOC_LABELS.contains(&l))
                || in_comment_or_docstring(text, at)
            {
                continue;
            }
            return Some((at, host));
        }
    }
    None
}
