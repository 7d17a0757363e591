//! The rule catalog: every rule id the scanner can emit, its default severity and a one-line
//! rationale. SARIF `tool.driver.rules` and docs/bench-scan.md are generated from/kept in step
//! with this table.

use palisade_core::finding::Severity;

/// A rule's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable id.
    pub id: &'static str,
    /// Short name.
    pub name: &'static str,
    /// Default severity (some findings adjust it, e.g. install scripts that download).
    pub severity: Severity,
    /// One-line rationale: why this matters.
    pub help: &'static str,
}

macro_rules! rules {
    ($( $konst:ident = $id:literal, $name:literal, $sev:ident, $help:literal; )*) => {
        $( #[doc = $help] pub const $konst: &str = $id; )*
        /// Every rule, in catalog order.
        pub const RULES: &[RuleInfo] = &[
            $( RuleInfo { id: $id, name: $name, severity: Severity::$sev, help: $help }, )*
        ];
    };
}

rules! {
    PTH_EXEC = "PAL-PTH-EXEC", "pth-executes-obfuscated-code", Critical,
        "A .pth line starting with `import` runs at every interpreter start; decoding, exec of built strings, processes or network there is how LiteLLM 1.82.8 harvested credentials.";
    PTH_CODE = "PAL-PTH-CODE", "pth-executes-code", Low,
        "A .pth line runs code at every interpreter start; this one is not a known-good editable-install or setuptools line, so review it.";
    RECORD_MISMATCH = "PAL-RECORD-MISMATCH", "installed-file-hash-mismatch", High,
        "An installed file no longer matches the sha256 its wheel recorded in RECORD: it was modified after install.";
    RECORD_CA_APPENDED = "PAL-RECORD-CA-APPENDED", "ca-bundle-extended", Low,
        "A CA bundle equals its recorded content plus appended certificates: a locally added trust anchor (TLS-intercepting proxy or corporate CA) that can read TLS traffic; review it.";
    RECORD_MISSING = "PAL-RECORD-MISSING", "installed-file-missing", Low,
        "A file listed in RECORD is gone; usually harmless, sometimes a sign of tampering or a broken install.";
    RECORD_UNLISTED_EXEC = "PAL-RECORD-UNLISTED-EXEC", "unlisted-executable", Medium,
        "An executable file inside an installed package is not listed in its RECORD: nothing vouches for where it came from.";
    ADV_MALICIOUS = "PAL-ADV-MALICIOUS", "known-malicious-version", Critical,
        "The package version is listed in a malicious-package advisory (OSV MAL- or RustSec `malicious`): treat the machine as compromised.";
    ADV_VULN = "PAL-ADV-VULN", "known-vulnerable-version", High,
        "The package version falls in an advisory's affected ranges.";
    ADV_INFO = "PAL-ADV-INFO", "informational-advisory", Low,
        "An informational advisory (e.g. unmaintained crate) covers this package.";
    REQ_UNPINNED = "PAL-REQ-UNPINNED", "unpinned-requirement", Low,
        "A requirement without `==` resolves to whatever is newest at install time, including a freshly poisoned release.";
    REQ_NOHASH = "PAL-REQ-NOHASH", "requirement-without-hash", Low,
        "Without `--hash`, pip accepts any artifact the index serves for that version.";
    LOCK_UNPARSEABLE = "PAL-LOCK-UNPARSEABLE", "lockfile-unparseable", Low,
        "A lockfile that does not parse was not checked against advisories; fix it or the scan is blind to its pins.";
    NPM_INSTALL_SCRIPT = "PAL-NPM-INSTALL-SCRIPT", "npm-install-script", Low,
        "preinstall/install/postinstall scripts run code at install time; common for native builds, so reported low unless the script downloads and executes.";
    NPM_INSTALL_DOWNLOAD = "PAL-NPM-INSTALL-DOWNLOAD-EXEC", "npm-install-script-downloads", Critical,
        "An install script that fetches and runs remote code executes whatever that server returns today.";
    GHA_UNPINNED = "PAL-GHA-UNPINNED", "action-not-pinned-by-sha", Medium,
        "Tags and branches of an action can be moved to malicious commits (tj-actions, trivy-action); only a 40-hex commit SHA is immutable.";
    GHA_PRT_CHECKOUT = "PAL-GHA-PRT-CHECKOUT", "pull-request-target-checkout", High,
        "pull_request_target runs with secrets and a write token; checking out the PR head runs the attacker's code with them.";
    GHA_PRT_INJECTION = "PAL-GHA-PRT-INJECTION", "pull-request-target-injection", High,
        "Interpolating PR-controlled fields into `run:` under pull_request_target is shell injection with repository secrets.";
    GHA_RUN_INJECTION = "PAL-GHA-RUN-INJECTION", "untrusted-input-in-run", Medium,
        "Interpolating attacker-controlled event fields (titles, bodies, branch names) into `run:` is shell injection.";
    SRC_DECODE_EXEC = "PAL-SRC-DECODE-EXEC", "exec-of-decoded-blob", High,
        "exec/eval of base64/zlib/hex-decoded data hides the real code from review; benign code rarely needs it.";
    SRC_CRED_CLUSTER = "PAL-SRC-CRED-CLUSTER", "credential-path-cluster", High,
        "One file touching several unrelated credential stores (SSH, cloud, kube, metadata service, git, history) is a harvester's signature.";
    SRC_PERSISTENCE = "PAL-SRC-PERSISTENCE", "persistence", High,
        "Writing systemd user units, crontabs or shell rc files makes code survive the install and run again later.";
    SRC_DOWNLOAD_EXEC = "PAL-SRC-DOWNLOAD-EXEC", "download-and-execute", High,
        "Fetching code over the network and executing it runs whatever the server returns, outside any review or lockfile.";
    SRC_HYBRID_CRYPTO = "PAL-SRC-HYBRID-CRYPTO", "hybrid-encryption-of-collected-files", High,
        "RSA/public-key + AES + tar/zip in one file is how stealers package collected secrets so only the attacker can read them.";
    SRC_PROC_MEM = "PAL-SRC-PROC-MEM", "reads-process-memory", High,
        "Reading /proc/<pid>/mem or attaching with ptrace lets code lift secrets from other processes (e.g. CI runners).";
    SRC_AI_CLI_BYPASS = "PAL-SRC-AI-CLI-BYPASS", "ai-cli-permission-bypass", High,
        "Invoking AI coding CLIs with permission-bypass flags turns a local agent into an unsupervised tool for the attacker (s1ngularity/nx).";
    SRC_LOOKALIKE_DOMAIN = "PAL-SRC-LOOKALIKE-DOMAIN", "domain-imitates-package", High,
        "A domain built from the package's own name but not one it declares (litellm.cloud in litellm) is a classic exfiltration endpoint.";
}

/// Looks up a rule by id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}
