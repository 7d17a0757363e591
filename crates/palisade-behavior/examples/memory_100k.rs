//! Builds 100,000 identities with mature-size baselines and reports the process RSS
//! (`VmRSS` from /proc/self/status) and the deterministic per-identity state size.
//! Run: `cargo run --release -p palisade-behavior --example memory_100k`.

use palisade_behavior::{Baselines, BehaviorConfig};
use palisade_core::{
    BehaviorScorer, DestinationClass, Identity, IdentityKind, IdentityStatus, ManualClock,
    Observation, SpiffeId,
};
use palisade_store::Store;
use std::sync::Arc;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let before = rss_kib();
    let cfg = BehaviorConfig {
        snapshot_interval_secs: 0,
        ..Default::default()
    };
    let b = Baselines::open(
        Arc::new(Store::open_in_memory().expect("store")),
        cfg,
        Arc::new(ManualClock::new(0)),
    )
    .expect("open");
    let t0 = 1_795_000_000_000u64;
    for i in 0..n {
        let id = Identity {
            id: SpiffeId::new(
                "lab.example",
                &format!("seg-{}", i % 10),
                &format!("agent-{i}"),
            )
            .expect("id"),
            kind: IdentityKind::Agent,
            owner: "team".into(),
            segment: format!("seg-{}", i % 10),
            scopes: vec![],
            status: IdentityStatus::Active,
            attestation_kinds: vec![],
            token_age_secs: 0,
        };
        // Three calls across two hours: every window and profile array is allocated.
        for k in 0..3u64 {
            b.observe(&Observation {
                identity: &id,
                action: "invoke_model",
                resource: "gpt-4o",
                upstream: "openai",
                destination: DestinationClass::External,
                bytes_out: 2000,
                findings: &[],
                time_ms: t0 + k * 3_600_000,
                client: Default::default(),
                refused: None,
            });
        }
    }
    let after = rss_kib();
    println!(
        "identities: {}\nrss before: {} KiB\nrss after: {} KiB\ndelta: {:.1} MiB ({:.0} bytes per identity)\nper-identity state (deterministic): {} bytes",
        b.len(),
        before,
        after,
        (after - before) as f64 / 1024.0,
        (after - before) as f64 * 1024.0 / n as f64,
        palisade_behavior::state::IdentityState::new(IdentityKind::Agent, 0).memory_bytes()
    );
}
