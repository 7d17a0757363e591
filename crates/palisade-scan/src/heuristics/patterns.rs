//! The keyword prefilter and the regexes of the source heuristics. Keywords are found in one
//! Aho-Corasick pass; each rule's regex then runs only on small windows around its keywords,
//! so a 5 MB minified bundle costs one automaton pass plus a few kilobytes of regex work.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::Regex;
use std::sync::OnceLock;

use crate::text::static_regex;

/// Rule groups (indexes into [`Hits::pos`]).
pub const G_DECODE: usize = 0;
pub const G_CRED: usize = 1;
pub const G_PERSIST: usize = 2;
pub const G_DOWNLOAD: usize = 3;
pub const G_CRYPTO: usize = 4;
pub const G_PROCMEM: usize = 5;
pub const G_AI: usize = 6;
/// Decoding calls (for `x = b64decode(...)` followed by `exec(x)`).
pub const G_DECODE_WORD: usize = 7;
const GROUPS: usize = 8;

/// Keywords of the prefilter and the rule group each one feeds.
const KEYWORDS: &[(&str, usize)] = &[
    ("execSync", G_DOWNLOAD),
    ("exec", G_DECODE),
    ("eval", G_DECODE),
    ("new Function", G_DECODE),
    ("b64decode", G_DECODE_WORD),
    ("decodebytes", G_DECODE_WORD),
    ("decompress", G_DECODE_WORD),
    ("marshal.loads", G_DECODE_WORD),
    ("fromhex", G_DECODE_WORD),
    ("atob", G_DECODE_WORD),
    ("base64'", G_DECODE_WORD),
    ("base64\"", G_DECODE_WORD),
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
    ("OAEP", G_CRYPTO),
    ("import_key", G_CRYPTO),
    ("importkey", G_CRYPTO),
    ("load_pem_public_key", G_CRYPTO),
    ("publicEncrypt", G_CRYPTO),
    ("rsa.encrypt", G_CRYPTO),
    ("PUBLIC KEY", G_CRYPTO),
    ("/proc/", G_PROCMEM),
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
            // Leftmost-first, non-overlapping: lets the automaton use its memchr prefilter.
            // Where keywords share a prefix the longer one is listed first (`execSync`).
            .match_kind(MatchKind::LeftmostFirst)
            .build(KEYWORDS.iter().map(|(k, _)| k))
            .expect("keyword automaton builds")
    })
}

/// Keyword positions per rule group.
#[derive(Debug, Default)]
pub struct Hits {
    /// Start offsets of keyword matches, per group, ascending.
    pub pos: [Vec<usize>; GROUPS],
}

impl Hits {
    /// One pass over `text`.
    pub fn find(text: &[u8]) -> Self {
        let mut h = Self::default();
        for m in prefilter().find_iter(text) {
            if let Some((_, g)) = KEYWORDS.get(m.pattern().as_usize()) {
                if let Some(v) = h.pos.get_mut(*g) {
                    v.push(m.start());
                }
            }
        }
        h
    }

    /// True when group `g` had a keyword.
    pub fn has(&self, g: usize) -> bool {
        self.pos.get(g).is_some_and(|v| !v.is_empty())
    }

    /// True when no group had a keyword.
    pub fn is_empty(&self) -> bool {
        self.pos.iter().all(Vec::is_empty)
    }

    /// Merged byte windows `[p - before, p + after)` around group `g`'s keywords.
    pub fn windows(
        &self,
        g: usize,
        before: usize,
        after: usize,
        len: usize,
    ) -> Vec<(usize, usize)> {
        windows(
            self.pos.get(g).map_or(&[][..], Vec::as_slice),
            before,
            after,
            len,
        )
    }
}

/// Merged windows around `positions` (ascending), clipped to `len`.
pub fn windows(
    positions: &[usize],
    before: usize,
    after: usize,
    len: usize,
) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &p in positions {
        let (lo, hi) = (p.saturating_sub(before), p.saturating_add(after).min(len));
        match out.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// First match of `re` inside any window, as (absolute start, matched text).
pub fn find_in(re: &Regex, bytes: &[u8], wins: &[(usize, usize)]) -> Option<(usize, String)> {
    wins.iter().find_map(|&(lo, hi)| {
        let m = re.find(bytes.get(lo..hi)?)?;
        Some((
            lo + m.start(),
            String::from_utf8_lossy(m.as_bytes()).into_owned(),
        ))
    })
}

macro_rules! regexes {
    ($( $(#[$doc:meta])* $name:ident = $pat:literal; )*) => {
        $( $(#[$doc])* pub fn $name() -> &'static Regex {
            static RE: OnceLock<Regex> = OnceLock::new();
            RE.get_or_init(|| static_regex($pat))
        } )*
        /// Every regex (for the compile test).
        #[cfg(test)]
        pub fn all_regexes() -> Vec<&'static Regex> { vec![$( $name() ),*] }
    };
}

regexes! {
    /// exec/eval/Function applied to base64/zlib/hex/marshal-decoded data in one expression.
    decode_exec_re = r#"\b(exec|eval|Function)\s*\([^;\n)]*(b64decode|decodebytes|a85decode|b32decode|zlib\.decompress|bz2\.decompress|lzma\.decompress|marshal\.loads|fromhex|codecs\.decode|atob\s*\(|Buffer\.from\s*\(\s*(['"][A-Za-z0-9+/=_\-]*['"]|[A-Za-z0-9_$.\[\]]+)\s*,\s*['"](base64|hex)['"])"#;
    /// `name = <decode call>` so `exec(name)` on a later line is caught too.
    decoded_assign_re = r#"(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[^\n;=]*(b64decode|decodebytes|zlib\.decompress|marshal\.loads|fromhex|atob\s*\(|Buffer\.from\s*\([^)\n]*['"]base64['"])"#;
    /// Shell download piped into a shell, or node/python fetch fed to exec/eval/child_process.
    download_exec_re = r#"(?i)\b(curl|wget)\b[^|\n;'"`]*\|\s*(sudo\s+)?(ba|z|da)?sh\b|\b(urlopen|requests\.get|httpx\.get|urllib\.request)\b[^\n;]*\b(exec|eval)\s*\(|\b(exec|eval)\s*\([^\n;]*\b(urlopen|requests\.get|httpx\.get)\b|\b(https?\.get|fetch|axios(\.get)?)\s*\([^\n;]*\b(eval|new Function|execSync|spawnSync)\b|\bexecSync\s*\(\s*['"`](curl|wget)\b"#;
    /// Download to a file (checked at file level with chmod and a process call).
    urlretrieve_re = r#"\burlretrieve\s*\("#;
    /// chmod to an executable mode.
    chmod_exec_re = r#"chmod\s*\([^\n;]*0o?7[0-7][0-7]|chmod\s+\+x|chmodSync\s*\([^\n;]*0o?7"#;
    /// Starting a process.
    process_re = r#"\b(subprocess\.|os\.system|os\.exec|Popen|child_process|execSync|spawn\()"#;
    /// systemd user units, crontab edits.
    persistence_re = r#"\.config/systemd/user|systemctl\s+--user\s+(enable|start|daemon-reload)|\bcrontab\s+(-[lre]?\s*)?[-|]|\|\s*crontab\b|/etc/cron\.|/var/spool/cron"#;
    /// Shell rc files as paths (persistence only together with a nearby write).
    rc_file_re = r#"[/'"`]\.(bashrc|zshrc|bash_profile|zprofile|profile)\b"#;
    /// A write or append, or a shell `>>` inside a process call.
    write_re = r#"open\s*\([^;\n]*['"](a|w|ab|wb|a\+|w\+)['"]|appendFileSync|appendFile\s*\(|writeFileSync|writeFile\s*\(|\.write_text\(|\.open\(\s*['"]a['"]|\b(system|popen|execSync|exec|spawn|run|call|Popen)\s*\([^;\n]*>>"#;
    /// /proc/<pid>/mem of another process, ptrace attach, process_vm_readv.
    proc_mem_re = r#"/proc/(\{[^}\n]{1,40}\}|%[ds]|\$\{[^}\n]{1,40}\}|\d+|['"]\s*\+[^\n]{1,40}\+\s*['"])/mem\b|\bptrace\s*\(\s*(PTRACE_ATTACH|PTRACE_SEIZE|PTRACE_PEEKDATA)|\bprocess_vm_readv\b"#;
    /// AI coding CLIs with their permission-bypass flags.
    ai_bypass_re = r#"--dangerously-skip-permissions|--dangerously-bypass-approvals-and-sandbox|--trust-all-tools|\bgemini\b[^\n;]*--yolo\b|--yolo\b[^\n;]*\bgemini\b|\bcodex\b[^\n;]*--full-auto\b"#;
    /// Public-key encryption.
    pubkey_re = r#"PKCS1_OAEP|RSA\.import_?key|load_pem_public_key|publicEncrypt|RSA_PKCS1_OAEP|rsa\.encrypt\(|-----BEGIN (RSA )?PUBLIC KEY-----|padding\.OAEP"#;
    /// AES.
    aes_re = r#"(?i)AES\.new\(|aes-256|aes-128|AESGCM\(|algorithms\.AES\(|createCipheriv\("#;
    /// Archives of collected files.
    archive_re = r#"tarfile\.open\(|zipfile\.ZipFile\(|shutil\.make_archive\(|\btar\s+-?c[zjvf]+|require\(['"](archiver|adm-zip|jszip|tar)['"]\)"#;
    /// Hostnames of http(s) URLs (bare dotted strings are skipped: `flask.app` is a module).
    host_re = r#"(?i)https?://([a-z0-9][a-z0-9.\-]{1,252})"#;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_compile_and_windows_merge() {
        assert!(all_regexes().len() > 10);
        let h = Hits::find(b"x = exec(y); CURL and --YOLO");
        assert!(h.has(G_DECODE) && h.has(G_DOWNLOAD) && h.has(G_AI) && !h.has(G_CRED));
        assert!(Hits::find(b"nothing here").is_empty());
        assert_eq!(
            windows(&[10, 20, 100], 5, 15, 110),
            vec![(5, 35), (95, 110)]
        );
    }
}
