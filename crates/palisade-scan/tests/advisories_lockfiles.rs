//! Real OSV malicious-package records and RustSec advisories imported into the store, then
//! matched against lockfiles and installed packages built by the test.

mod support;

use palisade_core::fixtures::fixture;
use palisade_scan::advisories::version::{parse_version, AnyVersion};
use palisade_scan::packages::Ecosystem;
use palisade_scan::{import_advisories, rules, AdvisoryDb, Severity};
use palisade_store::Store;
use support::*;

fn db() -> AdvisoryDb {
    let store = Store::open_in_memory().unwrap();
    let s = import_advisories(&store, &fixture("osv-malicious")).unwrap();
    assert_eq!(s.files, 12);
    assert_eq!(s.malicious, 12);
    let s = import_advisories(&store, &fixture("rustsec")).unwrap();
    assert_eq!((s.files, s.records), (5, 5));
    AdvisoryDb::load(&store).unwrap()
}

#[test]
fn import_is_idempotent_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        import_advisories(&store, &fixture("osv-malicious")).unwrap();
        import_advisories(&store, &fixture("osv-malicious")).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let db = AdvisoryDb::load(&store).unwrap();
    assert_eq!(
        db.len(),
        12,
        "one row per (advisory, package), re-import replaces"
    );
    let m = db.matching(Ecosystem::PyPI, "LiteLLM", "1.82.7");
    assert_eq!(
        m.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["MAL-2026-2144"]
    );
}

#[test]
fn a_broken_advisory_file_fails_the_whole_import() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/GOOD.json", br#"{"id":"MAL-1","affected":[{"package":{"ecosystem":"npm","name":"x"},"versions":["1.0.0"]}]}"#);
    write(dir.path(), "b/BAD.json", b"{not json");
    let store = Store::open_in_memory().unwrap();
    let err = import_advisories(&store, dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("BAD.json"), "{err}");
    assert!(
        AdvisoryDb::load(&store).unwrap().is_empty(),
        "nothing half-imported"
    );
}

#[test]
fn ranges_from_the_real_records() {
    let db = db();
    let hit = |e, n: &str, v: &str| !db.matching(e, n, v).is_empty();
    // litellm: explicit versions; PEP 440 equality (1.82.8.0 == 1.82.8).
    assert!(
        hit(Ecosystem::PyPI, "litellm", "1.82.8") && hit(Ecosystem::PyPI, "litellm", "1.82.8.0")
    );
    assert!(
        !hit(Ecosystem::PyPI, "litellm", "1.82.9")
            && !hit(Ecosystem::PyPI, "litellm", "1.82.8.post1")
    );
    assert!(hit(Ecosystem::PyPI, "telnyx", "4.87.2") && !hit(Ecosystem::PyPI, "telnyx", "4.87.0"));
    // @ctrl/tinycolor: `introduced: 0` → every version.
    assert!(
        hit(Ecosystem::Npm, "@ctrl/tinycolor", "3.4.0")
            && hit(Ecosystem::Npm, "@ctrl/tinycolor", "4.1.2")
    );
    // @solana/web3.js: introduced 1.95.6, fixed 1.95.8.
    assert!(!hit(Ecosystem::Npm, "@solana/web3.js", "1.95.5"));
    assert!(hit(Ecosystem::Npm, "@solana/web3.js", "1.95.7"));
    assert!(!hit(Ecosystem::Npm, "@solana/web3.js", "1.95.8"));
    // eslint-config-prettier: null origins do not break import.
    assert!(
        hit(Ecosystem::Npm, "eslint-config-prettier", "10.1.7")
            && !hit(Ecosystem::Npm, "eslint-config-prettier", "10.1.5")
    );
    // RustSec: ring patched >= 0.17.12; rsa has no patch; rustdecimal malicious.
    assert!(
        hit(Ecosystem::CratesIo, "ring", "0.17.11") && !hit(Ecosystem::CratesIo, "ring", "0.17.12")
    );
    assert!(hit(Ecosystem::CratesIo, "rsa", "0.9.8"));
    assert!(
        !hit(Ecosystem::PyPI, "ring", "0.17.11"),
        "ecosystems do not mix"
    );
    assert!(matches!(
        parse_version(Ecosystem::PyPI, "1!0.1"),
        Some(AnyVersion::Pep440(_))
    ));
}

#[test]
fn lockfiles_pinning_malicious_versions_are_critical() {
    let db = db();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "requirements.txt",
        b"requests==2.32.3 --hash=sha256:00\nlitellm==1.82.8 --hash=sha256:11\n",
    );
    write(d, "poetry.lock", b"[[package]]\nname = \"telnyx\"\nversion = \"4.87.1\"\n\n[[package]]\nname = \"httpx\"\nversion = \"0.28.1\"\n");
    write(
        d,
        "uv.lock",
        b"version = 1\n[[package]]\nname = \"num2words\"\nversion = \"0.5.15\"\n",
    );
    write(
        d,
        "pylock.toml",
        b"lock-version = \"1.0\"\n[[packages]]\nname = \"lightning\"\nversion = \"2.6.3\"\n",
    );
    write(
        d,
        "Pipfile.lock",
        br#"{"default":{"elementary-data":{"version":"==0.23.3"}},"develop":{}}"#,
    );
    write(d, "web/package-lock.json", br#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/nx":{"version":"21.5.0"},"node_modules/left-pad":{"version":"1.3.0"}}}"#);
    write(d, "web2/pnpm-lock.yaml", b"lockfileVersion: '9.0'\npackages:\n  nx@20.9.0:\n    resolution: {integrity: x}\n  nx@21.9.0:\n    resolution: {integrity: x}\n");
    write(d, "web3/yarn.lock", b"# yarn lockfile v1\n\n\"@ctrl/tinycolor@^4.1.0\":\n  version \"4.1.1\"\n\nnx@^21.8.0:\n  version \"21.8.0\"\n");
    write(d, "rs/Cargo.lock", b"version = 4\n\n[[package]]\nname = \"ring\"\nversion = \"0.17.11\"\n\n[[package]]\nname = \"rustdecimal\"\nversion = \"1.23.1\"\n\n[[package]]\nname = \"instant\"\nversion = \"0.1.13\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n");

    let r = scan_dir(d, &db);
    let mal = of_rule(&r, rules::ADV_MALICIOUS);
    let got: Vec<(String, String, Option<u32>)> = mal
        .iter()
        .map(|f| {
            (
                f.file.rsplit('/').next().unwrap().to_owned(),
                format!(
                    "{}@{}",
                    f.package.clone().unwrap(),
                    f.version.clone().unwrap()
                ),
                f.line,
            )
        })
        .collect();
    let want = [
        ("Pipfile.lock", "elementary-data@0.23.3", Some(1)),
        ("Cargo.lock", "rustdecimal@1.23.1", Some(8)),
        ("pnpm-lock.yaml", "nx@20.9.0", Some(3)),
        ("poetry.lock", "telnyx@4.87.1", Some(2)),
        ("pylock.toml", "lightning@2.6.3", Some(3)),
        ("requirements.txt", "litellm@1.82.8", Some(2)),
        ("uv.lock", "num2words@0.5.15", Some(3)),
        ("package-lock.json", "nx@21.5.0", Some(1)),
        ("yarn.lock", "@ctrl/tinycolor@4.1.1", Some(3)),
        ("yarn.lock", "nx@21.8.0", Some(6)),
    ];
    for (file, pkg, line) in want {
        assert!(
            got.iter()
                .any(|(f, p, l)| f == file && p == pkg && *l == line),
            "missing {file} {pkg} {line:?} in\n{}",
            dump(&r)
        );
    }
    assert_eq!(mal.len(), 10, "{}", dump(&r));
    assert!(mal.iter().all(|f| f.severity == Severity::Critical));
    let lite = mal
        .iter()
        .find(|f| f.package.as_deref() == Some("litellm"))
        .unwrap();
    assert!(
        lite.reason.contains("MAL-2026-2144") && lite.reason.contains("known malicious"),
        "{}",
        lite.reason
    );
    // ring 0.17.11: vulnerability (high); instant: informational (low); serde/requests/httpx/left-pad: nothing.
    let vuln = of_rule(&r, rules::ADV_VULN);
    assert_eq!(vuln.len(), 1, "{}", dump(&r));
    assert!(vuln[0].reason.contains("RUSTSEC-2025-0009") && vuln[0].severity == Severity::High);
    let info = of_rule(&r, rules::ADV_INFO);
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].severity, Severity::Low);
    for benign in ["requests", "httpx", "left-pad", "serde"] {
        assert!(
            !r.findings
                .iter()
                .any(|f| f.package.as_deref() == Some(benign) && f.severity > Severity::Low),
            "{benign}: {}",
            dump(&r)
        );
    }
}

#[test]
fn installed_packages_are_matched_too() {
    let db = db();
    let tmp = tempfile::tempdir().unwrap();
    install_dist(
        &tmp.path().join("site-packages"),
        "litellm",
        "1.82.7",
        "https://litellm.ai",
        &[("litellm/__init__.py", b"\n")],
    );
    install_npm(tmp.path(), "@solana/web3.js", "1.95.6", "", &[]);
    install_npm(tmp.path(), "chalk", "5.6.0", "", &[]);
    let r = scan_dir(tmp.path(), &db);
    let mal = of_rule(&r, rules::ADV_MALICIOUS);
    let pk: Vec<_> = mal.iter().map(|f| f.package.clone().unwrap()).collect();
    assert_eq!(pk.len(), 2, "{}", dump(&r));
    assert!(pk.contains(&"litellm".to_owned()) && pk.contains(&"@solana/web3.js".to_owned()));
}

#[test]
fn requirement_hygiene_is_low() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "requirements-dev.txt", b"litellm>=1.0\n");
    let r = scan_dir(tmp.path(), &AdvisoryDb::empty());
    assert_eq!(of_rule(&r, rules::REQ_UNPINNED).len(), 1);
    assert_eq!(of_rule(&r, rules::REQ_NOHASH).len(), 1);
    assert!(r.findings.iter().all(|f| f.severity == Severity::Low));
}
