//! False-positive gate: the machine's own Python installation (`site.getsitepackages()`) must
//! produce no finding above `low`. Fails with a clear message when python3 is missing.

use palisade_scan::{scan, AdvisoryDb, ScanOptions, Severity};
use std::path::PathBuf;

#[test]
fn machine_site_packages_have_no_finding_above_low() {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import site; print('\\n'.join(site.getsitepackages()))",
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("this test needs python3 on PATH to find the machine's site-packages: {e}")
        });
    assert!(
        out.status.success(),
        "python3 -c 'import site' failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let roots: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect();
    assert!(
        !roots.is_empty(),
        "python3 reported no existing site-packages directory"
    );
    let r = scan(&roots, &ScanOptions::default(), &AdvisoryDb::empty()).unwrap();
    assert!(
        r.files_scanned > 100,
        "scanned only {} files under {roots:?}",
        r.files_scanned
    );
    assert_nothing_above_low(&r, &format!("{roots:?}"));
}

/// The same gate for a real node_modules installed with npm (outside the repository):
/// `scripts/test-all.sh` installs one into `target/npm-fp` and sets `PALISADE_SCAN_NPM_TREE`.
/// Without it the test fails with that instruction rather than skipping silently.
#[test]
fn installed_npm_tree_has_no_finding_above_low() {
    let root = std::env::var_os("PALISADE_SCAN_NPM_TREE")
        .map(PathBuf::from)
        .expect("set PALISADE_SCAN_NPM_TREE to a directory containing node_modules (scripts/test-all.sh installs one into target/npm-fp)");
    assert!(
        root.join("node_modules").is_dir(),
        "{} has no node_modules",
        root.display()
    );
    let r = scan(
        std::slice::from_ref(&root),
        &ScanOptions::default(),
        &AdvisoryDb::empty(),
    )
    .unwrap();
    assert_nothing_above_low(&r, &root.display().to_string());
}

/// The false-positive gate both trees share: no finding above `low`, each listed if there is.
fn assert_nothing_above_low(r: &palisade_scan::ScanReport, what: &str) {
    let above: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Low)
        .map(|f| {
            format!(
                "{:?} {} {}:{:?} {}",
                f.severity, f.rule_id, f.file, f.line, f.reason
            )
        })
        .collect();
    assert!(
        above.is_empty(),
        "false positives above low in {what}:\n{}",
        above.join("\n")
    );
}
