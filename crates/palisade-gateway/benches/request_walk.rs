//! Cost of the request adapters with the one walker (issue 13): `parse_request` on a 4 KiB
//! chat message and on the realistic shapes of the four APIs used by the canary tests, with
//! the number of leaves each yields (what request inspection then scans), next to the cost of
//! `serde_json` parsing the same body alone (the ratio is what the walker adds).

#![recursion_limit = "512"]

#[path = "../tests/shapes/mod.rs"]
mod shapes;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_core::ApiKind;
use palisade_gateway::protocol::parse_request;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Runs `f` under criterion and prints p50/p99 of single calls.
fn p99(c: &mut Criterion, name: &str, note: &str, mut f: impl FnMut()) {
    let mut samples = Vec::<Duration>::new();
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                f();
                let d = t.elapsed();
                total += d;
                samples.push(d);
            }
            total
        })
    });
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "{name}: {note}, n={} p50={:?} p99={:?}",
        samples.len(),
        p(0.50),
        p(0.99)
    );
}

fn both(c: &mut Criterion, name: &str, api: ApiKind, body: Vec<u8>) {
    let leaves = parse_request(api, &body).unwrap().1.exchange.leaves.len();
    let note = format!("{} bytes, {leaves} leaves", body.len());
    p99(c, &format!("json_only_{name}"), &note, || {
        criterion::black_box(serde_json::from_slice::<Value>(criterion::black_box(&body)).ok());
    });
    p99(c, &format!("parse_{name}"), &note, || {
        criterion::black_box(parse_request(api, criterion::black_box(&body)).ok());
    });
}

fn walk(c: &mut Criterion) {
    let text: String = "The quarterly numbers look fine; ship the update on Tuesday. "
        .repeat(70)
        .chars()
        .take(4096)
        .collect();
    let msg = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]});
    both(
        c,
        "chat_4KiB_message",
        ApiKind::OpenAiChat,
        msg.to_string().into_bytes(),
    );
    for (api, shape) in shapes::all() {
        both(
            c,
            &format!("shape_{api:?}"),
            api,
            shape.to_string().into_bytes(),
        );
    }
}

criterion_group!(benches, walk);
criterion_main!(benches);
