//! Where the public test vectors live: `tests/fixtures/` in this repository (each folder with its
//! PROVENANCE.md), or `$PALISADE_FIXTURES` as an override. One helper so every crate's tests
//! resolve the path the same way and a missing folder fails loudly instead of skipping.

use std::path::PathBuf;

/// The fixtures root. Panics with a clear message when it does not exist: a test that cannot
/// read its vectors must fail, never silently pass.
pub fn fixtures_dir() -> PathBuf {
    let dir = match std::env::var_os("PALISADE_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"),
    };
    assert!(
        dir.is_dir(),
        "test fixtures not found at {} (set PALISADE_FIXTURES to a fixtures folder such as tests/fixtures)",
        dir.display()
    );
    dir
}

/// A path inside the fixtures root, asserting the file exists.
pub fn fixture(rel: &str) -> PathBuf {
    let p = fixtures_dir().join(rel);
    assert!(p.exists(), "fixture {} is missing", p.display());
    p
}
