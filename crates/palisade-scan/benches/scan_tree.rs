//! Files/s of a full scan (hashing, RECORD verification, heuristics) over a real tree: the
//! paths in `PALISADE_BENCH_TREE` (colon-separated), else the machine's site-packages.

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

fn bench(c: &mut Criterion) {
    let roots = roots();
    let opts = ScanOptions::default();
    let db = AdvisoryDb::empty();
    let warm = scan(&roots, &opts, &db).expect("scan runs");
    eprintln!(
        "tree {:?}: {} files, {} bytes, {} findings",
        roots,
        warm.files_scanned,
        warm.bytes_scanned,
        warm.findings.len()
    );
    let mut g = c.benchmark_group("scan_tree");
    g.sample_size(10);
    g.throughput(Throughput::Elements(warm.files_scanned));
    g.bench_function("full_scan_2_threads", |b| {
        b.iter(|| scan(&roots, &opts, &db).expect("scan runs"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
