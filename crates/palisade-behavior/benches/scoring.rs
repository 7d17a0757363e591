//! Criterion bench: latency of one `observe` call on a mature identity (the request-path cost of
//! stage 6), plus a per-call latency distribution to report p99.

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_behavior::{Baselines, BehaviorConfig};
use palisade_core::{
    BehaviorScorer, DestinationClass, Identity, IdentityKind, IdentityStatus, ManualClock,
    Observation, SpiffeId,
};
use palisade_store::Store;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

fn ident(name: &str) -> Identity {
    Identity {
        id: SpiffeId::new("lab.example", "research", name).unwrap(),
        kind: IdentityKind::Agent,
        owner: "team".into(),
        segment: "research".into(),
        scopes: vec![],
        status: IdentityStatus::Active,
        attestation_kinds: vec![],
        token_age_secs: 0,
    }
}

const MODELS: [&str; 4] = ["gpt-4o", "claude", "embed", "search"];

fn setup() -> (Baselines, Vec<Identity>) {
    let cfg = BehaviorConfig {
        snapshot_interval_secs: 0,
        ..Default::default()
    };
    let b = Baselines::open(
        Arc::new(Store::open_in_memory().unwrap()),
        cfg,
        Arc::new(ManualClock::new(0)),
    )
    .unwrap();
    let ids: Vec<Identity> = (0..64).map(|i| ident(&format!("agent-{i}"))).collect();
    // Four days of traffic so baselines are mature.
    let mut t = 1_795_000_000_000u64;
    for i in 0..20_000u64 {
        let id = &ids[(i % 64) as usize];
        let obs = Observation {
            identity: id,
            action: "invoke_model",
            resource: MODELS[(i % 4) as usize],
            upstream: "internal-llm",
            destination: DestinationClass::Internal,
            bytes_out: 1500 + (i % 7) * 100,
            findings: &[],
            time_ms: t,
            client: Default::default(),
            refused: None,
        };
        b.observe(&obs);
        t += 20_000;
    }
    (b, ids)
}

fn bench(c: &mut Criterion) {
    let (b, ids) = setup();
    let mut t = 1_796_000_000_000u64;
    let mut i = 0u64;
    c.bench_function("observe_mature_identity", |bench| {
        bench.iter(|| {
            i += 1;
            t += 50;
            let obs = Observation {
                identity: &ids[(i % 64) as usize],
                action: "invoke_model",
                resource: MODELS[(i % 4) as usize],
                upstream: "internal-llm",
                destination: DestinationClass::Internal,
                bytes_out: 1500 + (i % 7) * 100,
                findings: &[],
                time_ms: t,
                client: Default::default(),
                refused: None,
            };
            black_box(b.observe(black_box(&obs)))
        })
    });
    // Per-call distribution for the p99 figure (criterion reports means).
    let mut lat: Vec<u128> = Vec::with_capacity(100_000);
    for _ in 0..100_000 {
        i += 1;
        t += 50;
        let obs = Observation {
            identity: &ids[(i % 64) as usize],
            action: "invoke_model",
            resource: MODELS[(i % 4) as usize],
            upstream: "internal-llm",
            destination: DestinationClass::Internal,
            bytes_out: 1500 + (i % 7) * 100,
            findings: &[],
            time_ms: t,
            client: Default::default(),
            refused: None,
        };
        let s = Instant::now();
        black_box(b.observe(&obs));
        lat.push(s.elapsed().as_nanos());
    }
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    println!(
        "observe latency over {} calls: p50 {} ns, p99 {} ns, p99.9 {} ns",
        lat.len(),
        pct(0.50),
        pct(0.99),
        pct(0.999)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
