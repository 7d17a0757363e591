//! The patient attacker of issue 19, replayed on the injectable clock: waiting for the hour,
//! teaching the baseline while it learns, retrying refused exfiltration, a second holder of
//! the key, and a release that must not be re-quarantined by the same evidence.

mod common;

use common::*;
use palisade_behavior::Baselines;
use palisade_core::{
    AnomalyScore, BehaviorAction, BehaviorScorer, ClientFacts, DataClass, DestinationClass,
    Identity, IdentityKind, Observation, RefusedBy,
};

const MIN: u64 = 60_000;

fn gather(t: u64) -> Call {
    let mut c = Call::to(t, "search", "search-mcp", DestinationClass::Internal, 2000);
    c.action = "call_tool";
    c.findings = vec![finding(DataClass::Confidential)];
    c
}

fn external(t: u64) -> Call {
    Call::to(t, "gpt-4o", "openai", DestinationClass::External, 2000)
}

/// Four ordinary weeks, then six confidential findings gathered from `gather_at` (a second
/// apart) and four external calls from `send_at`; returns the score of the first external
/// call (the one that decides) and the last answer.
fn split(gather_at: u64, send_at: u64) -> (f64, AnomalyScore) {
    let b = open_mem(config());
    let id = identity("research", "agent-a", IdentityKind::Agent);
    train(&b, &id, &mut Rng::new(7), 4);
    for i in 0..6 {
        let s = feed(&b, &id, &gather(gather_at + i * 1000));
        assert!(
            s.action < BehaviorAction::StepDown,
            "gathering alone: {s:?}"
        );
    }
    let first = feed(&b, &id, &external(send_at)).score;
    let mut last = None;
    for i in 1..4 {
        last = Some(feed(&b, &id, &external(send_at + i * 1000)));
    }
    (first, last.unwrap())
}

#[test]
fn hour_boundary_split() {
    let day = T0 + 4 * WEEK;
    // 07:58:54..59 then 08:00:07: across the clock hour.
    let across = split(day + 7 * HOUR + 58 * MIN + 54_000, day + 8 * HOUR + 7_000);
    // The same sequence inside one clock hour.
    let inside = split(
        day + 8 * HOUR + MIN + 54_000,
        day + 8 * HOUR + 3 * MIN + 7_000,
    );
    println!("across {:?}\ninside {:?}", across, inside);
    assert_eq!(
        across.1.action,
        BehaviorAction::Quarantine,
        "{:?}",
        across.1
    );
    assert_eq!(
        inside.1.action,
        BehaviorAction::Quarantine,
        "{:?}",
        inside.1
    );
    assert!(
        (across.0 - inside.0).abs() < 2.0,
        "the clock hour changed the score: {} vs {}",
        across.0,
        inside.0
    );
    assert!(across.0 >= 75.0, "{}", across.0);
    assert!(
        across
            .1
            .reason
            .contains("sensitive findings in the last 60 min"),
        "{}",
        across.1.reason
    );
}

#[test]
fn poisoning_during_learning() {
    let b = open_mem(config());
    let id = identity("research", "agent-p", IdentityKind::Agent);
    // 80 hours of learning, 45 confidential findings an hour, all to internal tools.
    for h in 0..80u64 {
        for i in 0..45u64 {
            feed(&b, &id, &gather(T0 + h * HOUR + i * MIN));
        }
        if h == 3 {
            // No first-hour reset: the first learned hour moved the mean by a bounded step.
            let v = b.baseline("agent-p").unwrap();
            let m = v.baseline.findings_per_hour["confidential"];
            assert!(m <= 2.5, "first hours set the mean to {m}");
        }
    }
    let v = b.baseline("agent-p").unwrap();
    assert_eq!(v.status, "review", "{v:?}");
    // Then 50 confidential findings and 10 external calls.
    let t = T0 + 81 * HOUR;
    for i in 0..50u64 {
        feed(&b, &id, &gather(t + i * 1000));
    }
    let mut last = None;
    for i in 0..10u64 {
        last = Some(feed(&b, &id, &external(t + 60_000 + i * 1000)));
    }
    let s = last.unwrap();
    assert_eq!(s.action, BehaviorAction::Quarantine, "{s:?}");
    assert!(s.reason.contains("awaiting review"), "{}", s.reason);

    // While still learning, the fixed rules act too: six findings then an external call.
    let fresh = identity("finance", "agent-new", IdentityKind::Agent);
    for i in 0..6 {
        feed(&b, &fresh, &gather(t + i * 1000));
    }
    let s = feed(&b, &fresh, &external(t + 10_000));
    assert!(s.reason.contains("learning period"), "{}", s.reason);
    assert_eq!(s.action, BehaviorAction::Quarantine, "{s:?}");

    // Accepted by a person, the learned baseline is trusted: the same traffic is usual.
    let b2 = open_mem(config());
    for h in 0..80u64 {
        for i in 0..45u64 {
            feed(&b2, &id, &gather(T0 + h * HOUR + i * MIN));
        }
    }
    assert!(b2.accept_review(&id.id).unwrap());
    assert_eq!(b2.baseline("agent-p").unwrap().status, "enforced");
}

/// A refused attempt: observed with its findings and refusal, then its denial reported.
fn refused_attempt(b: &Baselines, id: &Identity, t: u64, by: RefusedBy) -> AnomalyScore {
    let findings = vec![
        finding(DataClass::Payroll),
        finding(DataClass::ProtectedDocument),
    ];
    let s = b.observe(&Observation {
        identity: id,
        action: "invoke_model",
        resource: "gpt-4o",
        upstream: "openai",
        destination: DestinationClass::External,
        bytes_out: 2500,
        findings: &findings,
        time_ms: t,
        client: ClientFacts::default(),
        refused: (by != RefusedBy::Policy).then_some(by),
    });
    b.outcome(id, true, false, t + 100);
    s
}

#[test]
fn nine_refused_attempts() {
    for by in [RefusedBy::Inspection, RefusedBy::Policy] {
        let b = open_mem(config());
        let id = identity("research", "agent-r", IdentityKind::Agent);
        train(&b, &id, &mut Rng::new(3), 4);
        let t = T0 + 4 * WEEK + 10 * HOUR;
        let scores: Vec<AnomalyScore> = (0..9)
            .map(|i| refused_attempt(&b, &id, t + i * 2 * MIN, by))
            .collect();
        for (i, s) in scores.iter().enumerate() {
            println!("{by:?} attempt {}: {:.1} {:?}", i + 1, s.score, s.action);
        }
        assert!(
            scores[0].action < BehaviorAction::StepDown,
            "{:?}",
            scores[0]
        );
        let stepped = scores
            .iter()
            .position(|s| s.action == BehaviorAction::StepDown);
        let quarantined = scores
            .iter()
            .position(|s| s.action == BehaviorAction::Quarantine)
            .expect("nine refused attempts never quarantined");
        assert!(stepped.is_some_and(|s| s < quarantined), "{scores:?}");
        let q = &scores[quarantined];
        assert!(
            q.top_features
                .iter()
                .any(|(f, _)| f == "refused_exfiltration"),
            "{q:?}"
        );
        assert!(b.quarantined_since(&id.id).is_some());

        // Released, the identity is not re-quarantined by the same evidence.
        let (was, detail) = b.release_detail(&id.id).unwrap();
        assert!(was);
        assert!(detail.contains("refused exfiltration attempts"), "{detail}");
        let after = feed(&b, &id, &external(t + 20 * MIN));
        assert!(after.action < BehaviorAction::StepDown, "{after:?}");
    }
}

fn client(ip: &str, ua: &'static str) -> ClientFacts<'static> {
    ClientFacts {
        source: Some(ip.parse().unwrap()),
        user_agent: Some(ua),
        tls_fingerprint: None,
        concurrent_connections: 1,
    }
}

fn feed_from(b: &Baselines, id: &Identity, c: &Call, from: ClientFacts<'_>) -> AnomalyScore {
    let s = b.observe(&Observation {
        identity: id,
        action: c.action,
        resource: c.resource,
        upstream: c.upstream,
        destination: c.destination,
        bytes_out: c.bytes,
        findings: &c.findings,
        time_ms: c.time_ms,
        client: from,
        refused: None,
    });
    b.outcome(id, s.stepped_down, c.error, c.time_ms + 200);
    s
}

fn trained_with_one_client() -> (Baselines, Identity, ClientFacts<'static>) {
    let b = open_mem(config());
    let id = identity("research", "agent-k", IdentityKind::Agent);
    let owner = client("10.0.1.5", "agent-sdk/1.4");
    for c in ordinary(&mut Rng::new(5), T0, 4 * 7 * 24) {
        feed_from(&b, &id, &c, owner);
    }
    (b, id, owner)
}

#[test]
fn second_client_same_token() {
    let thief = client("10.0.9.7", "python-requests/2.32");
    let start = T0 + 4 * WEEK + 10 * HOUR;

    // Slow: one call every five minutes, while the owner keeps working.
    let (b, id, owner) = trained_with_one_client();
    let mut worst = BehaviorAction::Record;
    for i in 0..6u64 {
        let t = start + i * 5 * MIN;
        let s = feed_from(&b, &id, &external(t), owner);
        if i == 0 {
            assert!(s.action < BehaviorAction::Alert, "owner alone: {s:?}");
        }
        let s = feed_from(&b, &id, &external(t + 30_000), thief);
        println!("slow thief call {i}: {:.1} {:?}", s.score, s.action);
        if i == 0 {
            assert!(
                s.top_features.iter().any(|(f, _)| f == "second_holder"),
                "{s:?}"
            );
        }
        worst = worst.max(s.action);
    }
    assert!(worst >= BehaviorAction::StepDown, "slow thief unseen");

    // Fast: 102 calls in two minutes reach quarantine (rate combined with a second holder).
    let (b, id, owner) = trained_with_one_client();
    feed_from(&b, &id, &external(start), owner);
    let mut last = None;
    for i in 0..102u64 {
        last = Some(feed_from(
            &b,
            &id,
            &external(start + 1000 + i * 1200),
            thief,
        ));
    }
    let s = last.unwrap();
    assert_eq!(s.action, BehaviorAction::Quarantine, "{s:?}");
    assert!(b.quarantine_reason(&id.id).unwrap().contains("clients"));

    // The owner alone at the same rate is not mistaken for a thief.
    let (b, id, owner) = trained_with_one_client();
    let s = feed_from(&b, &id, &external(start), owner);
    assert!(s.action < BehaviorAction::Alert, "{s:?}");
}
