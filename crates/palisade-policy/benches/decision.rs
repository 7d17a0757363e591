//! Decision latency: the default pack (with and without its shadow file), 1,000 generated
//! policies, request building alone, and p50/p99 from a sampled loop, including while a
//! background thread keeps hot-reloading a 1,000-policy set.

use criterion::{black_box, criterion_group, Criterion};
use palisade_core::{
    AuthzContext, DataClass, DestinationClass, Identity, IdentityKind, IdentityStatus, ResourceRef,
};
use palisade_policy::{
    build_call, read_policy_dir, PolicyConfig, PolicyEngine, PolicySource, Vocabulary,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn pack() -> Vec<PolicySource> {
    read_policy_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies"))
        .expect("default pack")
}

/// 1,000 policies shaped like a large deployment: 800 per-model permits scoped by segment and
/// model, 150 conditional forbids on data classes/hours/sizes, 50 per-owner forbids.
fn generated(n: usize, salt: &str) -> Vec<PolicySource> {
    let mut text = String::new();
    for i in 0..n {
        let seg = format!("seg{}", i % 40);
        let p = match i % 20 {
            0..=15 => format!(
                "@id(\"{salt}gen-permit-{i}\")\npermit (principal in Palisade::Segment::\"{seg}\", action in [Palisade::Action::\"invoke_model\", Palisade::Action::\"embed\"], resource == Palisade::Model::\"model-{i}\");\n"
            ),
            16..=18 => format!(
                "@id(\"{salt}gen-forbid-{i}\")\nforbid (principal, action, resource in Palisade::Segment::\"{seg}\") when {{ context.data_classes.contains(\"pii\") && context.hour_of_day == {} && context.request_bytes > {} }};\n",
                i % 24,
                1000 + i
            ),
            _ => format!(
                "@id(\"{salt}gen-owner-{i}\")\nforbid (principal, action, resource) when {{ principal.owner == \"contractor-{i}\" }};\n"
            ),
        };
        text.push_str(&p);
    }
    vec![PolicySource::new("generated.cedar", text)]
}

fn identity(segment: &str) -> Identity {
    Identity {
        id: format!("spiffe://lab.example/{segment}/agent-1")
            .parse()
            .expect("id"),
        kind: IdentityKind::Agent,
        owner: "research-platform".into(),
        segment: segment.into(),
        scopes: vec![],
        status: IdentityStatus::Active,
        attestation_kinds: vec!["join_token".into(), "sev_snp".into()],
        token_age_secs: 30,
    }
}

fn resource(name: &str, segment: &str, destination: DestinationClass) -> ResourceRef {
    ResourceRef {
        name: name.into(),
        upstream: "vllm".into(),
        segment: segment.into(),
        destination,
    }
}

fn ctx(classes: &[DataClass]) -> AuthzContext {
    AuthzContext {
        data_classes: classes.to_vec(),
        anomaly_score: 12.0,
        stepped_down: false,
        token_age_secs: 30,
        request_bytes: 2048,
        streaming: true,
        hour_of_day: 14,
    }
}

fn no_shadow() -> PolicyConfig {
    PolicyConfig {
        shadow: false,
        ..PolicyConfig::default()
    }
}

fn bench_decisions(c: &mut Criterion) {
    let with_shadow = PolicyEngine::from_sources(&pack(), PolicyConfig::default()).expect("pack");
    let enforced_only = PolicyEngine::from_sources(&pack(), no_shadow()).expect("pack");
    let research = identity("research");
    let own = resource("research-llm", "research", DestinationClass::Internal);
    let ext = resource("gpt-4o", "shared", DestinationClass::External);
    let clean = ctx(&[]);
    let confidential = ctx(&[DataClass::Confidential]);

    let mut g = c.benchmark_group("default_pack");
    g.bench_function("allow_own_segment", |b| {
        b.iter(|| black_box(enforced_only.evaluate(&research, "invoke_model", &own, &clean)))
    });
    g.bench_function("deny_confidential_external", |b| {
        b.iter(|| black_box(enforced_only.evaluate(&research, "invoke_model", &ext, &confidential)))
    });
    g.bench_function("allow_own_segment_with_shadow_file", |b| {
        b.iter(|| black_box(with_shadow.evaluate(&research, "invoke_model", &own, &clean)))
    });
    g.finish();

    let vocab = Vocabulary::new().expect("schema");
    // The public builder: no entity memo and the full context, so it measures what a decision
    // costs to set up without the engine's memo, not the engine's own hot path.
    c.bench_function("build_call_public_no_memo", |b| {
        b.iter(|| {
            black_box(build_call(
                &vocab,
                &research,
                "invoke_model",
                &own,
                &clean,
                80,
            ))
        })
    });

    let big = PolicyEngine::from_sources(&generated(1000, ""), no_shadow()).expect("generated");
    let (caller, model) = generated_call();
    let mut g = c.benchmark_group("generated_1000");
    g.bench_function("allow", |b| {
        b.iter(|| black_box(big.evaluate(&caller, "invoke_model", &model, &clean)))
    });
    g.finish();
}

/// The call the 1,000-policy scenarios decide: `model-1` is permitted to `seg1` by a pinned
/// permit, and it sits in `seg16`, whose 25 conditional forbids read the context, so every call
/// evaluates 25 context conditions besides the memoized permit and 50 owner forbids.
fn generated_call() -> (Identity, ResourceRef) {
    (
        identity("seg1"),
        resource("model-1", "seg16", DestinationClass::Internal),
    )
}

fn percentiles(mut ns: Vec<u64>) -> (u64, u64, u64) {
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() as f64 - 1.0) * q) as usize];
    (at(0.5), at(0.99), at(0.999))
}

/// On-CPU nanoseconds of this thread (first field of `/proc/thread-self/schedstat`): excludes
/// time spent preempted, so a mean over a batch is meaningful on a loaded shared machine.
fn on_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Times `n` decisions: (nanoseconds each, how many were denied).
fn sample_quiet(
    engine: &PolicyEngine,
    id: &Identity,
    r: &ResourceRef,
    c: &AuthzContext,
    n: usize,
) -> (Vec<u64>, usize) {
    let mut out = Vec::with_capacity(n);
    let mut denied = 0;
    for _ in 0..n {
        let t = Instant::now();
        let d = engine.evaluate(id, "invoke_model", r, c);
        out.push(t.elapsed().as_nanos() as u64);
        denied += usize::from(!d.decision.is_allowed());
    }
    (out, denied)
}

/// [`sample_quiet`], then prints the mean on-CPU time per decision.
fn sample(
    engine: &PolicyEngine,
    id: &Identity,
    r: &ResourceRef,
    c: &AuthzContext,
    n: usize,
) -> (Vec<u64>, usize) {
    let cpu0 = on_cpu_ns();
    let (out, denied) = sample_quiet(engine, id, r, c, n);
    if let (Some(a), Some(b)) = (cpu0, on_cpu_ns()) {
        println!(
            "  on-CPU mean {} ns per decision over {n} (load average {})",
            (b - a) / n as u64,
            load_average()
        );
    }
    (out, denied)
}

/// Warms caches and checks that the scenario is the allow it claims to be.
fn warm(engine: &PolicyEngine, id: &Identity, r: &ResourceRef, c: &AuthzContext) {
    let first = engine.evaluate(id, "invoke_model", r, c).decision;
    assert!(first.is_allowed(), "scenario must be an allow: {first:?}");
    for _ in 0..10_000 {
        black_box(engine.evaluate(id, "invoke_model", r, c));
    }
}

/// Sampled p99 (criterion reports means/medians only).
fn sampled_report() {
    let n = 50_000;
    let research = identity("research");
    let own = resource("research-llm", "research", DestinationClass::Internal);
    let clean = ctx(&[]);

    for (label, cfg) in [
        ("default pack, enforced only", no_shadow()),
        ("default pack + shadow file", PolicyConfig::default()),
    ] {
        let e = PolicyEngine::from_sources(&pack(), cfg).expect("pack");
        warm(&e, &research, &own, &clean);
        let (s, _) = sample(&e, &research, &own, &clean, n);
        let (p50, p99, p999) = percentiles(s);
        println!("sampled {label}: p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns (n={n})");
    }

    let a = generated(1000, "");
    let b = generated(1000, "b-");
    let big = Arc::new(PolicyEngine::from_sources(&a, no_shadow()).expect("generated"));
    let (caller, model) = generated_call();
    warm(&big, &caller, &model, &clean);
    let (s, _) = sample(&big, &caller, &model, &clean, n);
    let (p50, p99, p999) = percentiles(s);
    println!(
        "sampled 1,000 generated policies: p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns (n={n})"
    );

    // Under reload: a second thread compiles and swaps 1,000-policy sets RELOADS times while
    // this thread keeps deciding; every swap invalidates the memoized outcomes.
    const RELOADS: u32 = 20;
    let done = Arc::new(AtomicBool::new(false));
    let reloader = {
        let big = Arc::clone(&big);
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut slowest = 0u128;
            for i in 0..RELOADS {
                let set = if i & 1 == 0 { &b } else { &a };
                let t = Instant::now();
                big.reload_from_sources(set).expect("reload");
                slowest = slowest.max(t.elapsed().as_millis());
            }
            done.store(true, Ordering::Relaxed);
            slowest
        })
    };
    let mut s = Vec::new();
    let mut denied = 0;
    while !done.load(Ordering::Relaxed) {
        let (batch, d) = sample_quiet(&big, &caller, &model, &clean, 1_000);
        s.extend(batch);
        denied += d;
    }
    let slowest = reloader.join().expect("reloader");
    let n = s.len();
    let (p50, p99, p999) = percentiles(s);
    println!(
        "sampled 1,000 generated policies during {RELOADS} reloads (slowest reload {slowest} ms): p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns, denied {denied} of {n}"
    );
}

criterion_group!(benches, bench_decisions);

fn main() {
    benches();
    sampled_report();
    Criterion::default().configure_from_args().final_summary();
}
