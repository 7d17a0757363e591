//! Replays every fuzz target's corpus (fuzz/corpus/<target>/) on stable: the same functions
//! the cargo-fuzz targets call (fuzz/src/targets.rs, included here so CI needs no second
//! build of the crates), so a crash once found and added to a corpus stays fixed.

// The table of (name, fn) is the fuzz crate's; naming its type would add nothing.
#[allow(dead_code, clippy::type_complexity)]
#[path = "../../../fuzz/src/targets.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_fuzz_target_replays_its_corpus_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut replayed = Vec::new();
    for (name, run) in targets::TARGETS {
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "target {name} has no fuzz_targets/{name}.rs"
        );
        let dir = root.join("corpus").join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus of {name} at {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "corpus of {name} is empty");
        for f in &files {
            let data = std::fs::read(f).unwrap();
            if let Err(p) = std::panic::catch_unwind(|| run(&data)) {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                panic!("fuzz target {name} panics on {}: {msg}", f.display());
            }
        }
        replayed.push((name, files.len()));
    }
    assert_eq!(replayed.len(), targets::TARGETS.len());
}
