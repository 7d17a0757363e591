//! GitHub Actions workflows (`.github/workflows/*.yml`): actions referenced by tag or branch
//! instead of a 40-hex commit SHA, and `pull_request_target` workflows that check out the PR
//! head or interpolate PR-controlled fields into `run:`. Line-based so every finding has a line.

use palisade_core::finding::Severity;
use regex::bytes::Regex;
use std::path::Path;
use std::sync::OnceLock;

use crate::finding::ScanFinding;
use crate::rules;
use crate::text::static_regex;

/// True for `.github/workflows/*.yml|yaml` of a repository. Copies shipped inside installed
/// packages (`node_modules`, `site-packages`) never run, so they are not workflows here.
pub fn is_workflow(path: &Path) -> bool {
    if path.components().any(|c| {
        let c = c.as_os_str();
        c == "node_modules" || c == "site-packages" || c == "dist-packages"
    }) {
        return false;
    }
    let ext_ok = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    let mut up = path.ancestors().skip(1);
    ext_ok
        && up
            .next()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "workflows")
        && up
            .next()
            .and_then(Path::file_name)
            .is_some_and(|n| n == ".github")
}

fn uses_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| static_regex(r#"^\s*-?\s*uses:\s*['"]?([^'"\s#]+)"#))
}

fn untrusted_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        static_regex(
            r"\$\{\{\s*(github\.event\.pull_request\.[A-Za-z0-9_.]+|github\.head_ref|github\.event\.(issue|comment|review|review_comment|discussion)\.(title|body)|github\.event\.head_commit\.message|github\.event\.commits)",
        )
    })
}

fn prt_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| static_regex(r"(^|[\s\[,{-])pull_request_target\b"))
}

/// Analyzes one workflow file.
pub fn analyze(file: &str, text: &str, out: &mut Vec<ScanFinding>) {
    let prt = text
        .lines()
        .any(|l| !l.trim_start().starts_with('#') && prt_re().is_match(l.as_bytes()));
    // Indentation of the current `run:` block key, if we are inside one.
    let mut run_indent: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if let Some(ri) = run_indent {
            if indent <= ri {
                run_indent = None;
            }
        }
        let key = trimmed.trim_start_matches("- ");
        if key.starts_with("run:") {
            let dash = if trimmed.starts_with("- ") { 2 } else { 0 };
            run_indent = Some(indent + dash);
        }
        if let Some(c) = uses_re().captures(line.as_bytes()) {
            if let Some(m) = c.get(1) {
                check_uses(file, n, line, &String::from_utf8_lossy(m.as_bytes()), out);
            }
        }
        if prt && (key.starts_with("ref:") || key.starts_with("repository:")) {
            let v = key.split_once(':').map_or("", |(_, v)| v);
            if v.contains("github.event.pull_request.head")
                || v.contains("github.head_ref")
                || v.contains("refs/pull/")
            {
                out.push(ScanFinding::new(
                    rules::GHA_PRT_CHECKOUT,
                    Severity::High,
                    file,
                    Some(n),
                    line,
                    "pull_request_target workflow checks out the pull request's head: untrusted code runs with secrets".to_owned(),
                ));
            }
        }
        if run_indent.is_some() {
            if let Some(m) = untrusted_re()
                .captures(line.as_bytes())
                .and_then(|c| c.get(1))
            {
                let (rule, sev, ctx) = if prt {
                    (
                        rules::GHA_PRT_INJECTION,
                        Severity::High,
                        "pull_request_target ",
                    )
                } else {
                    (rules::GHA_RUN_INJECTION, Severity::Medium, "")
                };
                out.push(ScanFinding::new(
                    rule,
                    sev,
                    file,
                    Some(n),
                    line,
                    format!("{ctx}run: interpolates attacker-controlled ${{{{ {} }}}} into a shell script", String::from_utf8_lossy(m.as_bytes())),
                ));
            }
        }
    }
}

fn check_uses(file: &str, n: u32, line: &str, target: &str, out: &mut Vec<ScanFinding>) {
    if target.starts_with("./") || target.starts_with("docker://") {
        return; // local actions are versioned with the repository; docker refs are out of scope
    }
    let Some((action, reference)) = target.rsplit_once('@') else {
        out.push(ScanFinding::new(
            rules::GHA_UNPINNED,
            Severity::Medium,
            file,
            Some(n),
            line,
            format!("action {target} has no ref: it runs whatever the default branch holds"),
        ));
        return;
    };
    let is_sha = reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_sha {
        out.push(ScanFinding::new(
            rules::GHA_UNPINNED,
            Severity::Medium,
            file,
            Some(n),
            line,
            format!("action {action} is referenced by tag/branch '{reference}', not a 40-hex commit SHA"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_prt_checkout_and_injection() {
        let wf = "on:\n  pull_request_target:\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - uses: actions/setup-node@1a4442cacd436585916779262731d5b162bc6ec7 # v4\n      - uses: ./local\n      - run: |\n          echo \"${{ github.event.pull_request.title }}\"\n      - name: ok\n        run: echo ${{ github.sha }}\n";
        let mut out = Vec::new();
        analyze("w.yml", wf, &mut out);
        let got: Vec<(&str, Option<u32>)> =
            out.iter().map(|f| (f.rule_id.as_str(), f.line)).collect();
        assert_eq!(
            got,
            [
                (rules::GHA_UNPINNED, Some(6)),
                (rules::GHA_PRT_CHECKOUT, Some(8)),
                (rules::GHA_PRT_INJECTION, Some(12))
            ]
        );
        assert!(out[0].reason.contains("'v4'"));
    }

    #[test]
    fn plain_pull_request_injection_is_medium() {
        let wf = "on: [issues]\njobs:\n  a:\n    steps:\n      - run: echo \"${{ github.event.issue.title }}\"\n";
        let mut out = Vec::new();
        analyze("w.yml", wf, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Medium);
        assert!(is_workflow(Path::new("/r/.github/workflows/ci.yml")));
        assert!(!is_workflow(Path::new("/r/workflows/ci.yml")));
    }
}
