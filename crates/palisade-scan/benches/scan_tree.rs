//! Files/s of a full scan (hashing, RECORD verification, heuristics, 2 threads) over a real
//! tree: the paths in `PALISADE_BENCH_TREE` (colon-separated), else the machine's
//! site-packages; plus, when `PALISADE_BENCH_FIXTURES` names the directory written by
//! `examples/write_fixtures.rs`, the inert fixture set used for the GuardDog comparison.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use palisade_scan::{scan, AdvisoryDb, ScanOptions};
use std::path::PathBuf;

fn roots() -> Vec<PathBuf> {
    if let Ok(v) = std::env::var("PALISADE_BENCH_TREE") {
        return v
            .split(':')
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
    }
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import site; print('\\n'.join(site.getsitepackages()))",
        ])
        .output()
        .expect("python3 runs (or set PALISADE_BENCH_TREE)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect()
}

fn bench_roots(c: &mut Criterion, name: &str, roots: &[PathBuf]) {
    let opts = ScanOptions::default();
    let db = AdvisoryDb::empty();
    let warm = scan(roots, &opts, &db).expect("scan runs");
    let c_ = warm.counts();
    eprintln!(
        "{name} {roots:?}: {} files, {} bytes, one scan {} ms = {:.0} files/s; findings {} critical {} high {} medium {} low",
        warm.files_scanned,
        warm.bytes_scanned,
        warm.elapsed_ms,
        warm.files_scanned as f64 / (warm.elapsed_ms.max(1) as f64 / 1000.0),
        c_.critical,
        c_.high,
        c_.medium,
        c_.low
    );
    let mut g = c.benchmark_group("scan_tree");
    g.sample_size(10);
    g.throughput(Throughput::Elements(warm.files_scanned));
    g.bench_function(name, |b| {
        b.iter(|| scan(roots, &opts, &db).expect("scan runs"))
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let roots = roots();
    if roots.len() > 1 {
        for (i, r) in roots.iter().enumerate() {
            bench_roots(c, &format!("root{i}_2_threads"), std::slice::from_ref(r));
        }
    }
    bench_roots(c, "real_tree_2_threads", &roots);
    if let Ok(f) = std::env::var("PALISADE_BENCH_FIXTURES") {
        bench_roots(c, "inert_fixtures", &[PathBuf::from(f)]);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
