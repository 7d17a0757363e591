//! Persistence: a replay interrupted by a restart (flush, drop, reopen the on-disk store) makes
//! exactly the same decisions as an uninterrupted one; quarantine survives restarts until
//! released; corrupt snapshots fail the start naming the identity.

mod common;

use common::*;
use palisade_behavior::{Baselines, BehaviorConfig, BehaviorError};
use palisade_core::{
    AnomalyScore, BehaviorAction, DataClass, DestinationClass, IdentityKind, ManualClock,
};
use palisade_store::Store;
use std::sync::Arc;

fn open_dir(dir: &std::path::Path, cfg: BehaviorConfig) -> Baselines {
    Baselines::open(
        Arc::new(Store::open(dir).unwrap()),
        cfg,
        Arc::new(ManualClock::new(T0)),
    )
    .unwrap()
}

/// Two identities of one segment (so the peer group matters too) and a newcomer judged by
/// peers, two weeks of traffic, then an attack.
fn script() -> Vec<(usize, Call)> {
    let mut rng = Rng::new(23);
    let mut all: Vec<(usize, Call)> = vec![];
    for i in 0..2 {
        all.extend(ordinary(&mut rng, T0, 14 * 24).into_iter().map(|c| (i, c)));
    }
    all.extend(
        ordinary(&mut rng, T0 + 10 * DAY, 4 * 24)
            .into_iter()
            .map(|c| (2, c)),
    );
    let start = T0 + 2 * WEEK + 10 * HOUR;
    for k in 0..20u64 {
        let mut c = Call::to(
            start + k * 5_000,
            "read_document",
            "docs-mcp",
            DestinationClass::Internal,
            900,
        );
        c.findings = vec![finding(DataClass::ProtectedDocument)];
        all.push((0, c));
        all.push((
            1,
            Call::to(
                start + k * 5_000 + 1,
                "gpt-4o",
                "paste.example",
                DestinationClass::External,
                12_000,
            ),
        ));
    }
    all.push((
        0,
        Call::to(
            start + 200_000,
            "gpt-4o",
            "openai",
            DestinationClass::External,
            5_000,
        ),
    ));
    all.push((
        0,
        Call::to(
            start + 300_000,
            "gpt-4o",
            "openai",
            DestinationClass::External,
            5_000,
        ),
    ));
    all.sort_by_key(|(_, c)| c.time_ms);
    all
}

fn ids() -> Vec<palisade_core::Identity> {
    vec![
        identity("research", "agent-a", IdentityKind::Agent),
        identity("research", "agent-b", IdentityKind::Agent),
        identity("research", "agent-new", IdentityKind::Agent),
    ]
}

fn run(b: &Baselines, calls: &[(usize, Call)]) -> Vec<AnomalyScore> {
    let ids = ids();
    calls.iter().map(|(i, c)| feed(b, &ids[*i], c)).collect()
}

#[test]
fn restart_mid_replay_gives_the_same_decisions() {
    let calls = script();
    let cfg = BehaviorConfig {
        snapshot_interval_secs: 3600,
        ..Default::default()
    };
    let dir_a = tempfile::tempdir().unwrap();
    let uninterrupted = run(&open_dir(dir_a.path(), cfg.clone()), &calls);

    let dir_b = tempfile::tempdir().unwrap();
    // Cut in the middle of the third identity's learning and before the attack.
    let cut = calls.len() * 3 / 4;
    let mut restarted = {
        let b = open_dir(dir_b.path(), cfg.clone());
        let first = run(&b, &calls[..cut]);
        b.flush().unwrap();
        first
    };
    let b = open_dir(dir_b.path(), cfg);
    assert_eq!(b.len(), 3);
    restarted.extend(run(&b, &calls[cut..]));

    assert_eq!(uninterrupted.len(), restarted.len());
    for (k, (a, r)) in uninterrupted.iter().zip(&restarted).enumerate() {
        assert_eq!(a, r, "decision {k} differs after restart");
    }
    // The replay is not trivially quiet: the attack was answered.
    assert!(uninterrupted
        .iter()
        .any(|s| s.action == BehaviorAction::Quarantine));
    assert!(uninterrupted
        .iter()
        .any(|s| s.action == BehaviorAction::StepDown));
    assert!(
        uninterrupted
            .iter()
            .filter(|s| s.reason.contains("peer baseline"))
            .count()
            > 10
    );
}

#[test]
fn quarantine_survives_restart_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = BehaviorConfig {
        learning_period_requests: 20,
        learning_period_hours: 0,
        ..Default::default()
    };
    let id = identity("research", "agent-q", IdentityKind::Agent);
    {
        let b = open_dir(dir.path(), cfg.clone());
        for k in 0..40u64 {
            feed(
                &b,
                &id,
                &Call::to(
                    T0 + k * 60_000,
                    "gpt-4o",
                    "openai",
                    DestinationClass::External,
                    2000,
                ),
            );
        }
        let mut c = Call::to(
            T0 + 41 * 60_000,
            "gpt-4o",
            "openai",
            DestinationClass::External,
            2000,
        );
        c.findings = vec![finding(DataClass::Canary)];
        let s = feed(&b, &id, &c);
        assert_eq!(s.action, BehaviorAction::Quarantine, "{s:?}");
        assert!(s.reason.contains("findings_canary"), "{}", s.reason);
        b.flush().unwrap();
    }
    {
        let b = open_dir(dir.path(), cfg.clone());
        assert!(b.quarantine_reason(&id.id).unwrap().contains("canary"));
        let s = feed(
            &b,
            &id,
            &Call::to(
                T0 + 2 * DAY,
                "gpt-4o",
                "openai",
                DestinationClass::External,
                2000,
            ),
        );
        assert_eq!(s.action, BehaviorAction::Quarantine);
        // Release persists immediately, without a flush.
        assert!(b.release(&id.id).unwrap());
    }
    let b = open_dir(dir.path(), cfg);
    assert!(b.quarantine_reason(&id.id).is_none());
    let s = feed(
        &b,
        &id,
        &Call::to(
            T0 + 2 * DAY + HOUR,
            "gpt-4o",
            "openai",
            DestinationClass::External,
            2000,
        ),
    );
    assert!(s.action < BehaviorAction::StepDown, "{s:?}");
}

#[test]
fn corrupt_snapshot_fails_start_naming_the_identity() {
    let dir = tempfile::tempdir().unwrap();
    let id = identity("research", "agent-c", IdentityKind::Agent);
    {
        let b = open_dir(dir.path(), BehaviorConfig::default());
        feed(
            &b,
            &id,
            &Call::to(T0, "gpt-4o", "openai", DestinationClass::External, 2000),
        );
        assert_eq!(b.flush().unwrap(), 1);
    }
    let store = Store::open(dir.path()).unwrap();
    store
        .with(|c| c.execute("UPDATE behavior_baselines SET snapshot = x'00ff'", []))
        .unwrap();
    let err = Baselines::open(
        Arc::new(store),
        BehaviorConfig::default(),
        Arc::new(ManualClock::new(T0)),
    )
    .unwrap_err();
    assert!(matches!(err, BehaviorError::Decode { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("spiffe://lab.example/research/agent-c"),
        "{err}"
    );
}

#[test]
fn cli_handlers_show_baseline_and_release_offline() {
    let dir = tempfile::tempdir().unwrap();
    let id = identity("research", "agent-a", IdentityKind::Agent);
    let mut rng = Rng::new(5);
    {
        let b = open_dir(dir.path(), BehaviorConfig::default());
        for c in ordinary(&mut rng, T0, 7 * 24) {
            feed(&b, &id, &c);
        }
        let mut c = Call::to(
            T0 + WEEK + 10 * HOUR,
            "gpt-4o",
            "openai",
            DestinationClass::External,
            2000,
        );
        c.findings = vec![finding(DataClass::Canary)];
        assert_eq!(feed(&b, &id, &c).action, BehaviorAction::Quarantine);
        b.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let cfg = BehaviorConfig::default();
    let table = palisade_behavior::cli::identity_baseline(&store, &cfg, "agent-a", false).unwrap();
    println!("{table}");
    assert!(
        table.contains("status") && table.contains("quarantined"),
        "{table}"
    );
    assert!(table.contains("findings_canary"), "{table}");
    let json = palisade_behavior::cli::identity_baseline(
        &store,
        &cfg,
        "spiffe://lab.example/research/agent-a",
        true,
    )
    .unwrap();
    let v: palisade_behavior::BaselineView = serde_json::from_str(&json).unwrap();
    assert_eq!(v.status, "quarantined");
    assert!(v.baseline.requests_per_active_hour > 5.0);
    assert!(matches!(
        palisade_behavior::cli::identity_baseline(&store, &cfg, "nobody", false),
        Err(BehaviorError::UnknownIdentity(_))
    ));
    assert!(palisade_behavior::cli::identity_release_offline(&store, "agent-a", T0).unwrap());
    let json = palisade_behavior::cli::identity_baseline(&store, &cfg, "agent-a", true).unwrap();
    assert!(json.contains("\"status\": \"enforced\""), "{json}");
}

#[test]
fn snapshots_are_written_on_the_event_time_schedule_without_flush() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = BehaviorConfig {
        snapshot_interval_secs: 60,
        ..Default::default()
    };
    let b = open_dir(dir.path(), cfg);
    let id = identity("research", "agent-s", IdentityKind::Agent);
    // Event time crosses the 60 s schedule twice; no explicit flush.
    for k in 0..5u64 {
        feed(
            &b,
            &id,
            &Call::to(
                T0 + k * 40_000,
                "gpt-4o",
                "openai",
                DestinationClass::External,
                2000,
            ),
        );
    }
    let reader = Store::open(dir.path()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n: i64 = reader
            .with(|c| c.query_row("SELECT count(*) FROM behavior_baselines", [], |r| r.get(0)))
            .unwrap();
        if n == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "background snapshot never landed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(b.snapshot_failures(), 0);
}
