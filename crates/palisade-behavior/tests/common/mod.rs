//! Deterministic traffic for replay tests: a seeded generator of an agent's ordinary week
//! (busy weekday office hours, quiet nights, quieter weekends) and helpers to build identities
//! and observations.
#![allow(dead_code)]

use palisade_behavior::{Baselines, BehaviorConfig};
use palisade_core::{
    AnomalyScore, BehaviorAction, BehaviorScorer, Confidence, DataClass, DestinationClass, Finding,
    Identity, IdentityKind, IdentityStatus, ManualClock, Observation, Severity, SpiffeId,
};
use palisade_store::Store;
use std::sync::Arc;

/// Monday 2026-11-02 00:00 UTC.
pub const T0: u64 = 1_793_577_600_000;
pub const HOUR: u64 = 3_600_000;
pub const DAY: u64 = 24 * HOUR;
pub const WEEK: u64 = 7 * DAY;

/// SplitMix64: tiny, seeded, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        let l = (-lambda).exp();
        let (mut k, mut p) = (0u32, 1.0);
        loop {
            p *= self.f64();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
    pub fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(1e-12);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

pub fn identity(segment: &str, name: &str, kind: IdentityKind) -> Identity {
    Identity {
        id: SpiffeId::new("lab.example", segment, name).unwrap(),
        kind,
        owner: "research-team".into(),
        segment: segment.into(),
        scopes: vec![],
        status: IdentityStatus::Active,
        attestation_kinds: vec!["join_token".into()],
        token_age_secs: 60,
    }
}

pub fn finding(class: DataClass) -> Finding {
    Finding {
        detector: format!("test-{}", class.as_str()),
        data_class: class,
        path: "/messages/0/content".into(),
        start: 0,
        end: 10,
        value_hash: "00".into(),
        confidence: Confidence::High,
        severity: Severity::High,
    }
}

/// One call of a replay.
#[derive(Debug, Clone)]
pub struct Call {
    pub time_ms: u64,
    pub action: &'static str,
    pub resource: &'static str,
    pub upstream: &'static str,
    pub destination: DestinationClass,
    pub bytes: u64,
    pub findings: Vec<Finding>,
    pub error: bool,
}

impl Call {
    pub fn to(
        time_ms: u64,
        resource: &'static str,
        upstream: &'static str,
        destination: DestinationClass,
        bytes: u64,
    ) -> Self {
        Self {
            time_ms,
            action: "invoke_model",
            resource,
            upstream,
            destination,
            bytes,
            findings: vec![],
            error: false,
        }
    }
}

/// Ordinary calls per hour for a given hour since a Monday 00:00.
fn rate(hour: u64) -> f64 {
    let (dow, hod) = ((hour / 24) % 7, hour % 24);
    let weekday = dow < 5;
    match (weekday, hod) {
        (true, 8..=17) => 40.0,
        (true, 7 | 18 | 19) => 10.0,
        (true, _) => 0.5,
        (false, 9..=16) => 4.0,
        (false, _) => 0.3,
    }
}

/// The agent's ordinary traffic from `start` (a Monday 00:00 plus whole hours) for `hours`.
pub fn ordinary(rng: &mut Rng, start: u64, hours: u64) -> Vec<Call> {
    let mut out = Vec::new();
    let base_hour = (start - T0) / HOUR;
    for h in 0..hours {
        let n = rng.poisson(rate(base_hour + h));
        let mut times: Vec<u64> = (0..n)
            .map(|_| start + h * HOUR + (rng.f64() * HOUR as f64) as u64)
            .collect();
        times.sort_unstable();
        for t in times {
            let r = rng.f64();
            let (action, resource, upstream, destination) = if r < 0.5 {
                (
                    "invoke_model",
                    "gpt-4o",
                    "openai",
                    DestinationClass::External,
                )
            } else if r < 0.8 {
                (
                    "invoke_model",
                    "claude-sonnet",
                    "anthropic",
                    DestinationClass::External,
                )
            } else if r < 0.95 {
                (
                    "embed",
                    "embed-small",
                    "internal-embed",
                    DestinationClass::Internal,
                )
            } else {
                (
                    "call_tool",
                    "search",
                    "search-mcp",
                    DestinationClass::Internal,
                )
            };
            let bytes = (2000.0 * (0.4 * rng.normal()).exp()) as u64;
            let findings = if rng.f64() < 0.03 {
                vec![finding(DataClass::Pii)]
            } else {
                vec![]
            };
            out.push(Call {
                time_ms: t,
                action,
                resource,
                upstream,
                destination,
                bytes,
                findings,
                error: rng.f64() < 0.01,
            });
        }
    }
    out
}

/// Feeds one call (and its outcome) to the scorer.
pub fn feed(b: &Baselines, id: &Identity, c: &Call) -> AnomalyScore {
    let s = b.observe(&Observation {
        identity: id,
        action: c.action,
        resource: c.resource,
        upstream: c.upstream,
        destination: c.destination,
        bytes_out: c.bytes,
        findings: &c.findings,
        time_ms: c.time_ms,
        client: Default::default(),
        refused: None,
    });
    let denied = s.stepped_down || s.action == BehaviorAction::Quarantine;
    b.outcome(id, denied, c.error, c.time_ms + 200);
    s
}

pub fn config() -> BehaviorConfig {
    BehaviorConfig::default()
}

pub fn open_mem(cfg: BehaviorConfig) -> Baselines {
    Baselines::open(
        Arc::new(Store::open_in_memory().unwrap()),
        cfg,
        Arc::new(ManualClock::new(T0)),
    )
    .unwrap()
}

/// Four weeks of ordinary traffic; returns the decisions.
pub fn train(b: &Baselines, id: &Identity, rng: &mut Rng, weeks: u64) -> Vec<(Call, AnomalyScore)> {
    ordinary(rng, T0, weeks * 7 * 24)
        .into_iter()
        .map(|c| {
            let s = feed(b, id, &c);
            (c, s)
        })
        .collect()
}
