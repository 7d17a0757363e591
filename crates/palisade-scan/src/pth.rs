//! `.pth` files: site.py executes every line that starts with `import` at each interpreter
//! start. Known-good lines are recognized by their CONTENT (editable-install finders, the
//! setuptools distutils shim, namespace-package stubs, virtualenv), never by file name; other
//! code lines are graded by what they do (decoding, processes, network → critical).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use palisade_core::finding::Severity;
use regex::bytes::Regex;
use std::sync::OnceLock;

use crate::finding::ScanFinding;
use crate::rules;
use crate::text::static_regex;

/// Substrings that make a startup line dangerous, with the label used in the reason.
const INDICATORS: &[(&str, &str)] = &[
    ("b64decode", "base64"),
    ("base64", "base64"),
    ("zlib", "zlib"),
    ("decompress", "decompression"),
    ("marshal", "marshal"),
    ("codecs", "codecs"),
    ("fromhex", "hex decoding"),
    ("subprocess", "subprocess"),
    ("os.system", "os.system"),
    ("popen", "popen"),
    ("pty.spawn", "pty"),
    ("socket", "socket"),
    ("urllib", "urllib"),
    ("urlopen", "urlopen"),
    ("requests", "requests"),
    ("http.client", "http.client"),
    ("httpx", "httpx"),
    (".ssh", "ssh keys"),
    (".aws", "aws credentials"),
    ("169.254.169.254", "cloud metadata"),
];

fn editable_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        static_regex(
            r"^import (__editable___[A-Za-z0-9_]+_finder|_virtualenv|_[A-Za-z0-9_]+_editable_finder)\s*(;\s*[A-Za-z0-9_]+\.install\(\)\s*)?;?\s*$",
        )
    })
}

fn quoted_name_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| static_regex(r"'[A-Za-z0-9_.\-]+'"))
}

fn b64_literal_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| static_regex(r#"["']([A-Za-z0-9+/=\r\n]{24,})["']"#))
}

/// Normalized (quoted names → 'X', whitespace removed) forms of known-good startup lines.
const KNOWN_GOOD: &[&str] = &[
    // setuptools `distutils-precedence.pth` (both historical defaults).
    "importos;var='X';enabled=os.environ.get(var,'X')=='X';enabledand__import__('X').add_shim();",
    // setuptools `*-nspkg.pth` namespace-package stubs.
    "importsys,types,os;has_mfs=sys.version_info>(3,5);p=os.path.join(sys._getframe(1).f_locals['X'],*('X',));importlib=has_mfsand__import__('X');has_mfsand__import__('X');m=has_mfsandsys.modules.setdefault('X',importlib.util.module_from_spec(importlib.machinery.PathFinder.find_spec('X',[os.path.dirname(p)])));m=morsys.modules.setdefault('X',types.ModuleType('X'));mp=(mor[])andm.__dict__.setdefault('X',[]);(pnotinmp)andmp.append(p)",
    "importsys,types,os;p=os.path.join(sys._getframe(1).f_locals['X'],*('X',));ie=os.path.exists(os.path.join(p,'X'));m=notieandsys.modules.setdefault('X',types.ModuleType('X'));mp=(mor[])andm.__dict__.setdefault('X',[]);(pnotinmp)andmp.append(p)",
];

fn is_known_good(line: &str) -> bool {
    if editable_re().is_match(line.as_bytes()) {
        return true;
    }
    let replaced = quoted_name_re().replace_all(line.as_bytes(), &b"'X'"[..]);
    let normalized: String = String::from_utf8_lossy(&replaced)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let normalized = normalized.trim_end_matches(';');
    KNOWN_GOOD
        .iter()
        .any(|k| k.trim_end_matches(';') == normalized)
}

/// Indicators present in `code` and in any base64 literal it carries (decoded one level).
fn indicators(code: &str) -> Vec<&'static str> {
    let lower = code.to_ascii_lowercase();
    let mut found: Vec<&'static str> = Vec::new();
    let mut add = |hay: &str| {
        for (needle, label) in INDICATORS {
            if hay.contains(needle) && !found.contains(label) {
                found.push(label);
            }
        }
    };
    add(&lower);
    for cap in b64_literal_re().captures_iter(code.as_bytes()) {
        let Some(m) = cap.get(1) else { continue };
        let compact: Vec<u8> = m
            .as_bytes()
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if let Ok(bytes) = STANDARD.decode(&compact) {
            add(&String::from_utf8_lossy(&bytes).to_ascii_lowercase());
        }
    }
    found
}

/// Analyzes one `.pth` file.
pub fn analyze(file: &str, text: &str, out: &mut Vec<ScanFinding>) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        // site.py executes lines starting with "import " or "import\t"; everything else is a path.
        if !(line.starts_with("import ") || line.starts_with("import\t")) {
            continue;
        }
        if is_known_good(line) {
            continue;
        }
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let lower = line.to_ascii_lowercase();
        let runs_code = ["exec(", "eval(", "compile("]
            .iter()
            .any(|k| lower.contains(k));
        let found = indicators(line);
        let (rule, sev, reason) = if !found.is_empty() {
            (
                rules::PTH_EXEC,
                Severity::Critical,
                format!(
                    "runs at every Python start{} using {}",
                    if runs_code { " and execs code" } else { "" },
                    found.join(", ")
                ),
            )
        } else if runs_code {
            (
                rules::PTH_CODE,
                Severity::Low,
                "runs at every Python start and execs a readable embedded string (no decoding, process or network use)".to_owned(),
            )
        } else {
            (
                rules::PTH_CODE,
                Severity::Low,
                "runs code at every Python start that is not a known editable-install or setuptools line".to_owned(),
            )
        };
        out.push(ScanFinding::new(rule, sev, file, Some(n), line, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<ScanFinding> {
        let mut out = Vec::new();
        analyze("x.pth", text, &mut out);
        out
    }

    #[test]
    fn known_good_lines_are_silent() {
        assert!(run("/opt/some/path\n# comment\n\n").is_empty());
        assert!(run(
            "import __editable___demo_1_0_finder; __editable___demo_1_0_finder.install()\n"
        )
        .is_empty());
        assert!(run("import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n").is_empty());
        assert!(run("import _virtualenv\n").is_empty());
    }

    #[test]
    fn base64_exec_is_critical_and_name_does_not_matter() {
        // Inert: the blob decodes to `import subprocess; print('hi')`.
        let blob = STANDARD.encode("import subprocess; print('hi')");
        let f = run(&format!(
            "import base64; exec(base64.b64decode('{blob}'))\n"
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critical);
        assert!(f[0].reason.contains("subprocess"), "{}", f[0].reason);
        // A look-alike of the setuptools line with a payload appended is not known-good.
        let f = run("import os; var = 'SETUPTOOLS_USE_DISTUTILS'; os.system('id')\n");
        assert_eq!(f[0].severity, Severity::Critical);
    }

    #[test]
    fn readable_exec_is_low() {
        let f = run("import os;exec(\"print(1)\")\n");
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(f[0].rule_id, rules::PTH_CODE);
    }
}
