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
    c.bench_function("build_call_only", |b| {
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
    let seg7 = identity("seg7");
    let m7 = resource("model-7", "seg7", DestinationClass::Internal);
    let mut g = c.benchmark_group("generated_1000");
    g.bench_function("allow", |b| {
        b.iter(|| black_box(big.evaluate(&seg7, "invoke_model", &m7, &clean)))
    });
    g.finish();
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

fn sample(
    engine: &PolicyEngine,
    id: &Identity,
    r: &ResourceRef,
    c: &AuthzContext,
    n: usize,
) -> (Vec<u64>, usize) {
    let cpu0 = on_cpu_ns();
    let mut out = Vec::with_capacity(n);
    let mut denied = 0;
    for _ in 0..n {
        let t = Instant::now();
        let d = engine.evaluate(id, "invoke_model", r, c);
        out.push(t.elapsed().as_nanos() as u64);
        denied += usize::from(!d.decision.is_allowed());
    }
    if let (Some(a), Some(b)) = (cpu0, on_cpu_ns()) {
        println!(
            "  on-CPU mean {} ns per decision over {n} (load average {})",
            (b - a) / n as u64,
            load_average()
        );
    }
    (out, denied)
}

fn warm(engine: &PolicyEngine, id: &Identity, r: &ResourceRef, c: &AuthzContext) {
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
    let seg7 = identity("seg7");
    let m7 = resource("model-7", "seg7", DestinationClass::Internal);
    warm(&big, &seg7, &m7, &clean);
    let (s, _) = sample(&big, &seg7, &m7, &clean, n);
    let (p50, p99, p999) = percentiles(s);
    println!(
        "sampled 1,000 generated policies: p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns (n={n})"
    );

    // Under reload: a second thread keeps compiling and swapping 1,000-policy sets.
    let stop = Arc::new(AtomicBool::new(false));
    let reloader = {
        let big = Arc::clone(&big);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut reloads = 0u32;
            let mut slowest = 0u128;
            while !stop.load(Ordering::Relaxed) {
                let set = if reloads & 1 == 0 { &b } else { &a };
                let t = Instant::now();
                big.reload_from_sources(set).expect("reload");
                slowest = slowest.max(t.elapsed().as_millis());
                reloads += 1;
            }
            (reloads, slowest)
        })
    };
    let (s, denied) = sample(&big, &seg7, &m7, &clean, n);
    stop.store(true, Ordering::Relaxed);
    let (reloads, slowest) = reloader.join().expect("reloader");
    let (p50, p99, p999) = percentiles(s);
    println!(
        "sampled 1,000 generated policies during {reloads} reloads (slowest reload {slowest} ms): p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns, denied {denied} of {n}"
    );
}

criterion_group!(benches, bench_decisions);

fn main() {
    benches();
    sampled_report();
    Criterion::default().configure_from_args().final_summary();
}
