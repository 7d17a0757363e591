//! Criterion bench of stage 3: signature + DPoP proof + status lookup per request.

use criterion::{criterion_group, criterion_main, Criterion};

fn bench(_c: &mut Criterion) {}

criterion_group!(benches, bench);
criterion_main!(benches);
