//! Hot reload: a bad set is refused and the old one keeps answering; readers racing a reload
//! see one whole generation or the other; the case file gates reloads; the watcher reloads on
//! file change.

mod common;

use common::*;
use palisade_core::{Authorizer, DestinationClass};
use palisade_policy::{watch, PolicyConfig, PolicyEngine, PolicyError, PolicySource};
use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn permit_as(id: &str) -> String {
    format!(
        "@id(\"{id}\")\npermit (principal, action == Palisade::Action::\"invoke_model\", resource)\nwhen {{ principal.segment == resource.segment }};\n"
    )
}

fn research_model() -> palisade_core::ResourceRef {
    model("research-llm", "research", DestinationClass::Internal)
}

#[test]
fn bad_set_refused_and_old_set_keeps_serving() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.cedar"), permit_as("gen-a")).unwrap();
    let e = PolicyEngine::load(&PolicyConfig::for_dir(d.path())).unwrap();
    let before = e.authorize(
        &research_agent(),
        "invoke_model",
        &research_model(),
        &quiet(),
    );
    assert_eq!(before.policy_ids, ["gen-a"]);

    // A syntactically valid policy that fails strict validation (unknown attribute).
    fs::write(
        d.path().join("b.cedar"),
        "@id(\"bad\")\nforbid (principal, action, resource) when { principal.clearance > 3 };\n",
    )
    .unwrap();
    let err = e.reload().unwrap_err();
    assert!(matches!(err, PolicyError::Invalid(_)), "{err}");
    let after = e.authorize(
        &research_agent(),
        "invoke_model",
        &research_model(),
        &quiet(),
    );
    assert_eq!(after, before);
    let m = e.metrics();
    assert_eq!((m.reloads_ok, m.reloads_failed, m.generation), (0, 1, 1));
    assert!(m.last_reload_error.unwrap().contains("b.cedar:2"));

    fs::remove_file(d.path().join("b.cedar")).unwrap();
    fs::write(d.path().join("a.cedar"), permit_as("gen-b")).unwrap();
    let ok = e.reload().unwrap();
    assert_eq!(ok.generation, 2);
    let now = e.authorize(
        &research_agent(),
        "invoke_model",
        &research_model(),
        &quiet(),
    );
    assert_eq!(now.policy_ids, ["gen-b"]);
    assert_eq!(e.metrics().reloads_ok, 1);
}

#[test]
fn failing_cases_refuse_the_candidate() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.cedar"), permit_as("own")).unwrap();
    fs::write(
        d.path().join("cases.toml"),
        r#"
[principals.p]
id = "spiffe://lab.example/research/a"
kind = "agent"
attestation_kinds = ["sev_snp"]
[resources.r]
name = "m"
upstream = "u"
segment = "research"
destination = "internal"
[[case]]
name = "own segment allowed"
principal = "p"
action = "invoke_model"
resource = "r"
expect = "allow"
"#,
    )
    .unwrap();
    let e = PolicyEngine::load(&PolicyConfig::for_dir(d.path())).unwrap();
    // Valid Cedar, but it breaks the case above: refused before the swap.
    fs::write(
        d.path().join("z.cedar"),
        "@id(\"lockdown\")\nforbid (principal, action, resource);\n",
    )
    .unwrap();
    let err = e.reload().unwrap_err();
    assert!(
        matches!(
            err,
            PolicyError::CasesFailed {
                failed: 1,
                total: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(e
        .authorize(
            &research_agent(),
            "invoke_model",
            &research_model(),
            &quiet()
        )
        .is_allowed());
    assert_eq!(e.current().generation, 1);
}

#[test]
fn concurrent_reads_never_see_a_half_loaded_set() {
    // Two sets whose answers are internally consistent: generation A permits via `gen-a` and
    // forbids nothing; generation B permits via `gen-b` plus a second permit `gen-b-2`. A torn
    // read would show a mix (e.g. `gen-a` with `gen-b-2`) or a deny.
    let a = vec![PolicySource::new("p.cedar", permit_as("gen-a"))];
    let b = vec![PolicySource::new(
        "p.cedar",
        format!("{}{}", permit_as("gen-b"), permit_as("gen-b-2")),
    )];
    let bad = vec![PolicySource::new(
        "p.cedar",
        "@id(\"x\")\npermit (principal, action, resource) when { resource.nope };\n",
    )];
    let e = Arc::new(PolicyEngine::from_sources(&a, PolicyConfig::default()).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let e = Arc::clone(&e);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut seen = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let ev = e.evaluate(
                        &research_agent(),
                        "invoke_model",
                        &research_model(),
                        &quiet(),
                    );
                    assert!(ev.decision.is_allowed(), "{ev:?}");
                    let ids = ev.decision.policy_ids;
                    assert!(
                        ids == ["gen-a"] || ids == ["gen-b", "gen-b-2"],
                        "torn read: {ids:?}"
                    );
                    // Generation parity matches the set: odd = A (1,3,5..), even = B.
                    let expect_a = ev.generation % 2 == 1;
                    assert_eq!(
                        ids == ["gen-a"],
                        expect_a,
                        "generation {} answered {ids:?}",
                        ev.generation
                    );
                    seen += 1;
                }
                seen
            })
        })
        .collect();
    for i in 0..60 {
        let set = if i % 2 == 0 { &b } else { &a };
        e.reload_from_sources(set).unwrap();
        assert!(e.reload_from_sources(&bad).is_err());
    }
    stop.store(true, Ordering::Relaxed);
    let total: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(total > 0);
    let m = e.metrics();
    assert_eq!((m.reloads_ok, m.reloads_failed), (60, 60));
    assert_eq!(m.decisions_denied, 0);
}

#[test]
fn watcher_reloads_on_change_and_counts_refusals() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.cedar"), permit_as("gen-a")).unwrap();
    let e = Arc::new(PolicyEngine::load(&PolicyConfig::for_dir(d.path())).unwrap());
    let w = watch(
        Arc::clone(&e),
        d.path().to_path_buf(),
        Duration::from_millis(100),
    )
    .unwrap();

    let wait_for = |pred: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !pred() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "watcher did not react"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // Different length as well as mtime, so coarse mtime granularity cannot hide the change.
    fs::write(d.path().join("a.cedar"), permit_as("gen-bb")).unwrap();
    wait_for(&|| e.metrics().reloads_ok == 1);
    let d1 = e.authorize(
        &research_agent(),
        "invoke_model",
        &research_model(),
        &quiet(),
    );
    assert_eq!(d1.policy_ids, ["gen-bb"]);

    fs::write(
        d.path().join("a.cedar"),
        "@id(\"broken\")\npermit (principal, action, resource) when {",
    )
    .unwrap();
    wait_for(&|| e.metrics().reloads_failed == 1);
    let d2 = e.authorize(
        &research_agent(),
        "invoke_model",
        &research_model(),
        &quiet(),
    );
    assert_eq!(d2.policy_ids, ["gen-bb"]);
    w.stop();
}

#[test]
fn watch_helper_is_off_unless_configured_and_free_function_works() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.cedar"), permit_as("gen-a")).unwrap();
    let e = Arc::new(PolicyEngine::load(&PolicyConfig::for_dir(d.path())).unwrap());
    assert!(e.watch_configured().unwrap().is_none());
    let w = watch(
        Arc::clone(&e),
        d.path().to_path_buf(),
        Duration::from_millis(100),
    )
    .unwrap();
    fs::write(d.path().join("a.cedar"), permit_as("gen-ccc")).unwrap();
    let start = Instant::now();
    while e.metrics().reloads_ok == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "watcher did not react"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(w);
    assert_eq!(e.current().generation, 2);
}
