//! A site-packages built by the test: an inert LiteLLM-shaped `.pth`, a file modified after
//! install, an unlisted executable, known-good `.pth` files recognized by content, and a
//! look-alike domain of the package's own name.

mod support;

use base64::Engine as _;
use palisade_scan::{rules, AdvisoryDb, Severity};
use support::*;

fn litellm_shaped_pth() -> String {
    // Same structure as litellm_init.pth in 1.82.8 (a startup line that spawns the interpreter
    // on a base64 blob it execs); the blob here only prints.
    let blob =
        base64::engine::general_purpose::STANDARD.encode("print('palisade inert test payload')");
    format!("import subprocess, sys; subprocess.Popen([sys.executable, \"-c\", \"import base64; exec(base64.b64decode('{blob}'))\"])\n")
}

#[test]
fn litellm_shaped_pth_is_critical_and_known_good_pth_is_silent() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("lib/python3.12/site-packages");
    install_dist(
        &site,
        "litellm",
        "1.82.8",
        "https://litellm.ai",
        &[
            ("litellm/__init__.py", b"VERSION = '1.82.8'\n"),
            ("litellm_init.pth", litellm_shaped_pth().as_bytes()),
        ],
    );
    // Known-good by content, under misleading names: editable finder and setuptools shim.
    write(
        &site,
        "zz_editable.pth",
        b"import __editable___demo_0_1_finder; __editable___demo_0_1_finder.install()\n",
    );
    write(&site, "distutils-precedence.pth", b"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n");
    write(&site, "paths.pth", b"/opt/extra/lib\n# comment\n");
    // The setuptools name does not make a payload line good.
    write(
        &site,
        "distutils-precedence-2.pth",
        b"import os; os.system('echo inert')\n",
    );

    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    let pth = of_rule(&r, rules::PTH_EXEC);
    assert_eq!(pth.len(), 2, "{}", dump(&r));
    let lite = pth
        .iter()
        .find(|f| f.file.ends_with("litellm_init.pth"))
        .expect("litellm_init.pth flagged");
    assert_eq!(lite.severity, Severity::Critical);
    assert_eq!(lite.line, Some(1));
    assert!(
        lite.reason.contains("base64")
            && lite.reason.contains("subprocess")
            && lite.reason.contains("execs"),
        "{}",
        lite.reason
    );
    assert!(pth
        .iter()
        .any(|f| f.file.ends_with("distutils-precedence-2.pth") && f.reason.contains("os.system")));
    assert!(
        !r.findings
            .iter()
            .any(|f| f.file.ends_with("zz_editable.pth")
                || f.file.ends_with("/distutils-precedence.pth")
                || f.file.ends_with("paths.pth")),
        "{}",
        dump(&r)
    );
}

#[test]
fn modified_installed_file_and_unlisted_executable() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site-packages");
    install_dist(
        &site,
        "telnyx",
        "4.0.0",
        "https://telnyx.com",
        &[
            ("telnyx/__init__.py", b"API = 'v2'\n"),
            ("telnyx/_client.py", b"def call():\n    return 1\n"),
        ],
    );
    write(
        &site,
        "telnyx/_client.py",
        b"def call():\n    return 2  # changed after install\n",
    );
    let helper = write(&site, "telnyx/bin/helper", b"#!/bin/sh\necho inert\n");
    chmod_x(&helper);

    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    let mism = of_rule(&r, rules::RECORD_MISMATCH);
    assert_eq!(mism.len(), 1, "{}", dump(&r));
    assert_eq!(mism[0].severity, Severity::High);
    assert!(mism[0].file.ends_with("telnyx/_client.py"));
    assert!(
        mism[0]
            .reason
            .contains("does not match the sha256 recorded"),
        "{}",
        mism[0].reason
    );
    assert_eq!(
        (mism[0].package.as_deref(), mism[0].version.as_deref()),
        (Some("telnyx"), Some("4.0.0"))
    );
    let unl = of_rule(&r, rules::RECORD_UNLISTED_EXEC);
    assert_eq!(unl.len(), 1, "{}", dump(&r));
    assert!(unl[0].file.ends_with("telnyx/bin/helper"));
    assert_eq!(unl[0].severity, Severity::Medium);
    // The untouched file is not reported.
    assert!(!r
        .findings
        .iter()
        .any(|f| f.file.ends_with("telnyx/__init__.py")));
}

#[test]
fn appended_ca_certificate_is_low_but_other_edits_of_a_bundle_are_high() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site-packages");
    let bundle = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    install_dist(
        &site,
        "certifi",
        "2026.1.1",
        "https://github.com/certifi/python-certifi",
        &[
            ("certifi/cacert.pem", bundle),
            ("certifi/other.pem", bundle),
        ],
    );
    let mut appended = bundle.to_vec();
    appended.extend_from_slice(b"\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n");
    write(&site, "certifi/cacert.pem", &appended);
    write(
        &site,
        "certifi/other.pem",
        b"-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n",
    );
    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    let ca = of_rule(&r, rules::RECORD_CA_APPENDED);
    assert_eq!(ca.len(), 1, "{}", dump(&r));
    assert!(ca[0].file.ends_with("cacert.pem") && ca[0].severity == Severity::Low);
    let mism = of_rule(&r, rules::RECORD_MISMATCH);
    assert_eq!(mism.len(), 1, "{}", dump(&r));
    assert!(mism[0].file.ends_with("other.pem"));
}

#[test]
fn domain_imitating_the_package_name_is_found_in_package_code() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site-packages");
    install_dist(&site, "litellm", "1.82.8", "https://litellm.ai", &[
        ("litellm/proxy/sync.py", b"# docs: https://docs.litellm.ai/\nENDPOINT = 'https://models.litellm.cloud/'\nOWN = 'https://api.litellm.ai/v1'\n"),
    ]);
    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    let f = of_rule(&r, rules::SRC_LOOKALIKE_DOMAIN);
    assert_eq!(f.len(), 1, "{}", dump(&r));
    assert_eq!(f[0].line, Some(2));
    assert!(
        f[0].reason.contains("models.litellm.cloud"),
        "{}",
        f[0].reason
    );
    assert_eq!(f[0].severity, Severity::High);
}
