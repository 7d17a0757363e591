//! Engine behaviour: deterministic tree digest, progress callback, parallel walk equivalence,
//! missing paths, unparseable lockfiles.

mod support;

use palisade_scan::{rules, scan, AdvisoryDb, Progress, ScanError, ScanOptions};
use std::sync::{Arc, Mutex};
use support::*;

fn tree(dir: &std::path::Path) {
    for i in 0..1500 {
        write(
            dir,
            &format!("pkg{}/mod{i}.py", i % 7),
            format!("X = {i}\n").as_bytes(),
        );
    }
    write(dir, ".git/objects/ignored", b"not scanned");
}

#[test]
fn tree_digest_is_deterministic_and_content_sensitive() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    tree(a.path());
    tree(b.path());
    let db = AdvisoryDb::empty();
    let ra = scan_dir(a.path(), &db);
    let rb = scan(
        &[b.path().to_path_buf()],
        &ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        },
        &db,
    )
    .unwrap();
    assert_eq!(ra.files_scanned, 1500, ".git is skipped");
    assert_eq!(
        ra.tree_digest, rb.tree_digest,
        "same content under another root and thread count"
    );
    write(b.path(), "pkg0/mod0.py", b"X = -1\n");
    assert_ne!(ra.tree_digest, scan_dir(b.path(), &db).tree_digest);
    std::fs::rename(
        b.path().join("pkg0/mod0.py"),
        b.path().join("pkg0/renamed.py"),
    )
    .unwrap();
    write(b.path(), "pkg0/renamed.py", b"X = 0\n");
    assert_ne!(
        ra.tree_digest,
        scan_dir(b.path(), &db).tree_digest,
        "paths are part of the digest"
    );
}

#[test]
fn progress_reaches_the_total() {
    let a = tempfile::tempdir().unwrap();
    tree(a.path());
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = seen.clone();
    let opts = ScanOptions {
        progress: Some(Arc::new(move |p| sink.lock().unwrap().push(p))),
        ..ScanOptions::default()
    };
    scan(&[a.path().to_path_buf()], &opts, &AdvisoryDb::empty()).unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen
        .iter()
        .all(|p| p.files_total == 1500 && p.files_done <= 1500));
    assert!(seen.iter().any(|p| p.files_done == 1500));
}

#[test]
fn missing_path_is_an_error_and_broken_lockfile_is_reported() {
    let err = scan(
        &["/nonexistent/palisade".into()],
        &ScanOptions::default(),
        &AdvisoryDb::empty(),
    )
    .unwrap_err();
    assert!(matches!(err, ScanError::MissingPath(_)));
    assert!(err.to_string().contains("/nonexistent/palisade"));
    let a = tempfile::tempdir().unwrap();
    write(a.path(), "package-lock.json", b"{ broken");
    let r = scan_dir(a.path(), &AdvisoryDb::empty());
    let f = of_rule(&r, rules::LOCK_UNPARSEABLE);
    assert_eq!(f.len(), 1, "{}", dump(&r));
}
