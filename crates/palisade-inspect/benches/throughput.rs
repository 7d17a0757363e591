//! Criterion benchmarks of the inspection engine on one core: throughput (MB/s) over mixed
//! real source code and prose with the full default rule set, and the latency distribution
//! (p50/p99) of inspecting one 4 KiB message.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use palisade_core::{LeafKind, TextLeaf};
use palisade_inspect::{Engine, InspectConfig};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[path = "../examples/support/corpus.rs"]
mod corpus;

fn engine(dir: &std::path::Path) -> Engine {
    let cfg = InspectConfig {
        code_names: vec!["Llama-5".into(), "Kestrel".into(), "Project Falcon".into()],
        ..InspectConfig::default()
    };
    palisade_inspect::canary_mint(dir, "aws-key", "bench", &cfg.canary_url_base).unwrap();
    palisade_inspect::canary_mint(dir, "doc-id", "bench", &cfg.canary_url_base).unwrap();
    Engine::load(&cfg, dir, [9; 32]).unwrap()
}

/// ~4 MiB: 70% real source code from the cargo registry, 30% generated prose, in 64 KiB leaves.
fn mixed() -> Vec<String> {
    let mut r = corpus::rng(1);
    let code: String = corpus::registry_sources(3 << 20)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let prose = corpus::prose(&mut r, (1 << 20) + 300_000);
    let all = format!("{code}{prose}");
    let mut out = Vec::new();
    let mut s = all.as_str();
    while !s.is_empty() {
        let mut cut = s.len().min(64 * 1024);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(s[..cut].to_owned());
        s = &s[cut..];
    }
    out
}

fn throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    let leaves = mixed();
    let bytes: usize = leaves.iter().map(String::len).sum();
    let mut g = c.benchmark_group("inspect");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("mixed_code_prose_full_rules", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in &leaves {
                n += e.scan_text("/bench", LeafKind::User, l).len();
            }
            n
        })
    });
    // The same work timed by this thread's CPU time instead of the wall clock: on a shared,
    // overloaded machine the wall clock also counts the time other processes held the core.
    if thread_cpu().is_some() {
        g.bench_function("mixed_code_prose_full_rules_thread_cpu_time", |b| {
            b.iter_custom(|iters| {
                let t0 = thread_cpu().unwrap_or_default();
                for _ in 0..iters {
                    for l in &leaves {
                        criterion::black_box(e.scan_text("/bench", LeafKind::User, l));
                    }
                }
                thread_cpu().unwrap_or_default().saturating_sub(t0)
            })
        });
    }
    g.finish();
}

/// CPU time of the calling thread (Linux `/proc/thread-self/schedstat`, nanoseconds on CPU).
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn latency_4k(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    let mut r = corpus::rng(2);
    let mut msg = corpus::prose(&mut r, 3000);
    msg.push_str("\nfn main() { let url = \"https://api.example.net/v1\"; let n = 42; }\n");
    msg.push_str(&corpus::pii(&mut r, 0).1);
    msg.truncate(4096);
    let leaves = vec![TextLeaf::new("/messages/0/content", LeafKind::User, msg)];
    let samples = Mutex::new(Vec::<Duration>::new());
    c.bench_function("inspect_4KiB_message", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut local = Vec::with_capacity(iters as usize);
            for _ in 0..iters {
                let t = Instant::now();
                let ins = e.inspect_leaves(&leaves);
                let d = t.elapsed();
                criterion::black_box(ins);
                total += d;
                local.push(d);
            }
            samples.lock().unwrap().extend(local);
            total
        })
    });
    let mut s = samples.into_inner().unwrap();
    s.sort();
    if !s.is_empty() {
        let p = |q: f64| s[((s.len() as f64 * q) as usize).min(s.len() - 1)];
        println!(
            "inspect_4KiB_message: n={} p50={:?} p99={:?} max={:?}",
            s.len(),
            p(0.50),
            p(0.99),
            s[s.len() - 1]
        );
    }
}

criterion_group!(benches, throughput, latency_4k);
criterion_main!(benches);
