//! Deterministic replays with event time from a seeded generator: ordinary weeks stay quiet;
//! the incident's patterns (bytes to a new place, bulk protected reads then egress, slow
//! exfiltration) are stepped down, quarantined or alerted, with reasons naming the features.

mod common;

use common::*;
use palisade_core::{BehaviorAction, DataClass, DestinationClass, IdentityKind};
use std::collections::BTreeMap;

#[test]
fn four_ordinary_weeks_raise_no_alert_in_999_per_mille_of_windows() {
    // Several seeds, so a pass is not one lucky draw.
    for seed in [7, 101, 2026, 31337] {
        four_quiet_weeks(seed);
    }
}

fn four_quiet_weeks(seed: u64) {
    let b = open_mem(config());
    let id = identity("research", "agent-a", IdentityKind::Agent);
    let mut rng = Rng::new(seed);
    let decisions = train(&b, &id, &mut rng, 4);
    assert!(decisions.len() > 8_000, "{} calls", decisions.len());
    // Windows: every active minute and every active hour of the four weeks.
    let mut minutes: BTreeMap<u64, bool> = BTreeMap::new();
    let mut hours: BTreeMap<u64, bool> = BTreeMap::new();
    let mut worst = decisions[0].1.clone();
    let mut enforced = 0;
    for (c, s) in &decisions {
        enforced += usize::from(s.reason.contains("own baseline"));
        let alerted = s.action >= BehaviorAction::Alert || s.stepped_down;
        *minutes.entry(c.time_ms / 60_000).or_default() |= alerted;
        *hours.entry(c.time_ms / HOUR).or_default() |= alerted;
        if s.score > worst.score {
            worst = s.clone();
        }
    }
    let bad_min = minutes.values().filter(|a| **a).count();
    let bad_hours = hours.values().filter(|a| **a).count();
    assert!(
        enforced > 7_000,
        "{enforced} calls judged against the own baseline"
    );
    println!(
        "seed {seed}: calls {}, minute windows {} ({} alerting), hour windows {} ({} alerting); worst: {:?}",
        decisions.len(),
        minutes.len(),
        bad_min,
        hours.len(),
        bad_hours,
        worst
    );
    assert!(
        bad_min as f64 <= 0.001 * minutes.len() as f64,
        "{bad_min} alerting minutes"
    );
    assert!(
        bad_hours as f64 <= 0.001 * hours.len() as f64 + 1e-9,
        "{bad_hours} alerting hours"
    );
    // The baseline really learned the rhythm (so the quiet is not blindness).
    let v = b.baseline("agent-a").unwrap();
    assert_eq!(v.status, "enforced");
    let hod = &v.baseline.requests_by_hour_of_day;
    assert!(hod[10].unwrap() > 15.0 && hod[3].unwrap() < 2.0, "{hod:?}");
    assert!((1500.0..2600.0).contains(&v.baseline.bytes_per_request));
}

#[test]
fn five_times_the_bytes_to_a_new_destination_steps_down_within_ten_requests() {
    let b = open_mem(config());
    let id = identity("research", "agent-a", IdentityKind::Agent);
    let mut rng = Rng::new(11);
    train(&b, &id, &mut rng, 4);
    // Monday of week five, 10:00, while ordinary traffic continues.
    let start = T0 + 4 * WEEK + 10 * HOUR;
    let mut stepped_at = None;
    for i in 0..10u64 {
        let c = Call::to(
            start + i * 20_000,
            "gpt-4o",
            "paste.example",
            DestinationClass::External,
            10_000,
        );
        let s = feed(&b, &id, &c);
        println!("attack call {i}: {:?}", s);
        if s.action >= BehaviorAction::StepDown && stepped_at.is_none() {
            stepped_at = Some(i);
            assert!(s.stepped_down, "the stepping call itself is narrowed");
            assert!(s.reason.contains("paste.example"), "{}", s.reason);
            let names: Vec<&str> = s.top_features.iter().map(|(n, _)| n.as_str()).collect();
            assert!(names.contains(&"new_destination"), "{names:?}");
            assert!(names.contains(&"bytes_to_new_destination"), "{names:?}");
        }
    }
    assert!(stepped_at.is_some(), "no step-down within 10 requests");
    // While stepped down, external calls are flagged, internal ones are not.
    let t = start + 15 * 60_000;
    let ext = feed(
        &b,
        &id,
        &Call::to(t, "gpt-4o", "openai", DestinationClass::External, 2000),
    );
    assert!(
        ext.stepped_down && ext.reason.contains("step-down in force"),
        "{ext:?}"
    );
    let int = feed(
        &b,
        &id,
        &Call::to(
            t + 1000,
            "embed-small",
            "internal-embed",
            DestinationClass::Internal,
            2000,
        ),
    );
    assert!(!int.stepped_down, "{int:?}");
    // After the step-down period ordinary external calls flow again.
    let later = feed(
        &b,
        &id,
        &Call::to(
            t + 2 * HOUR,
            "gpt-4o",
            "openai",
            DestinationClass::External,
            2000,
        ),
    );
    assert!(!later.stepped_down, "{later:?}");
}

#[test]
fn bulk_protected_reads_then_external_model_quarantine_with_named_features() {
    let b = open_mem(config());
    let id = identity("research", "agent-a", IdentityKind::Agent);
    let mut rng = Rng::new(13);
    train(&b, &id, &mut rng, 4);
    let start = T0 + 4 * WEEK + DAY + 14 * HOUR; // Tuesday 14:00
    let mut decisions = vec![];
    for i in 0..60u64 {
        let mut c = Call::to(
            start + i * 10_000,
            "read_document",
            "docs-mcp",
            DestinationClass::Internal,
            1500,
        );
        c.action = "call_tool";
        c.findings = vec![
            finding(DataClass::ProtectedDocument),
            finding(DataClass::ProtectedDocument),
        ];
        decisions.push(("read", feed(&b, &id, &c)));
    }
    for i in 0..5u64 {
        let c = Call::to(
            start + 11 * 60_000 + i * 10_000,
            "gpt-4o",
            "openai",
            DestinationClass::External,
            8000,
        );
        decisions.push(("external", feed(&b, &id, &c)));
    }
    let first_q = decisions
        .iter()
        .position(|(_, s)| s.action == BehaviorAction::Quarantine)
        .expect("quarantined");
    let (kind, s) = &decisions[first_q];
    println!("first quarantine at {first_q} ({kind}): {s:?}");
    for (k, s) in decisions.iter().take(first_q) {
        assert!(s.action < BehaviorAction::Quarantine, "{k}: {s:?}");
    }
    assert_eq!(
        *kind, "external",
        "quarantine comes with the egress, not the reads alone"
    );
    let names: Vec<&str> = s.top_features.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"sensitive_then_external"), "{names:?}");
    assert!(names.contains(&"findings_protected_document"), "{names:?}");
    assert!(
        s.reason.contains("protected_document") && s.reason.contains("sensitive_then_external"),
        "{}",
        s.reason
    );
    // It stays quarantined, even for ordinary calls hours later, until a person releases it.
    let later = feed(
        &b,
        &id,
        &Call::to(
            start + 5 * HOUR,
            "embed-small",
            "internal-embed",
            DestinationClass::Internal,
            2000,
        ),
    );
    assert_eq!(later.action, BehaviorAction::Quarantine);
    assert!(later.reason.contains("release"), "{}", later.reason);
    assert!(b.release(&id.id).unwrap());
    let after = feed(
        &b,
        &id,
        &Call::to(
            start + 6 * HOUR,
            "embed-small",
            "internal-embed",
            DestinationClass::Internal,
            2000,
        ),
    );
    assert!(after.action < BehaviorAction::StepDown, "{after:?}");
    assert!(
        !b.release(&id.id).unwrap(),
        "second release finds nothing to lift"
    );
}

#[test]
fn slow_exfiltration_over_a_day_alerts_by_end_of_day() {
    let b = open_mem(config());
    let id = identity("research", "agent-a", IdentityKind::Agent);
    let mut rng = Rng::new(17);
    train(&b, &id, &mut rng, 4);
    let usual_day = b.baseline("agent-a").unwrap().baseline.bytes_per_active_day;
    let day_start = T0 + 4 * WEEK + DAY; // Tuesday of week five
    let mut calls = ordinary(&mut rng, day_start, 24);
    // Small calls (half a usual call each) adding nine usual days of bytes, evenly over the day.
    let extra = (9.0 * usual_day / 1000.0).ceil() as u64;
    for k in 0..extra {
        calls.push(Call::to(
            day_start + k * DAY / extra,
            "gpt-4o",
            "openai",
            DestinationClass::External,
            1000,
        ));
    }
    calls.sort_by_key(|c| c.time_ms);
    let total: u64 = calls.iter().map(|c| c.bytes).sum();
    assert!(
        total as f64 >= 9.5 * usual_day,
        "day total {total} vs usual {usual_day}"
    );
    let mut first_alert = None;
    let mut bytes_day_alert = None;
    let mut hourly: BTreeMap<u64, (BehaviorAction, f64, String)> = BTreeMap::new();
    for c in &calls {
        let s = feed(&b, &id, c);
        let e = hourly.entry((c.time_ms - day_start) / HOUR).or_insert((
            BehaviorAction::Record,
            0.0,
            String::new(),
        ));
        if s.score > e.1 {
            *e = (s.action, s.score, format!("{:?}", s.top_features));
        }
        if s.action >= BehaviorAction::Alert {
            first_alert.get_or_insert((c.time_ms - day_start, s.clone()));
            // bytes_day worth at least 8 points: today's bytes are 4x the usual day or more.
            if s.top_features
                .iter()
                .any(|(n, v)| n == "bytes_day" && *v >= 8.0)
            {
                bytes_day_alert.get_or_insert((c.time_ms - day_start, s));
            }
        }
    }
    for (h, e) in &hourly {
        println!("hour {h}: {e:?}");
    }
    let (t, s) = first_alert.expect("alert before the day ended");
    println!("first alert after {} min: {s:?}", t / 60_000);
    let (t, s) = bytes_day_alert.expect("bytes_day named in an alert");
    println!("first bytes_day alert after {} min: {s:?}", t / 60_000);
    assert!(t < DAY);
    assert!(s.reason.contains("bytes today"), "{}", s.reason);
}

#[test]
fn a_new_identity_is_judged_against_its_peers() {
    let b = open_mem(config());
    let mut rng = Rng::new(19);
    let peers: Vec<_> = (0..3)
        .map(|i| identity("labeling", &format!("vendor-{i}"), IdentityKind::Vendor))
        .collect();
    // One week of ordinary traffic for each peer, interleaved by time.
    let mut all: Vec<(usize, Call)> = vec![];
    for (i, _) in peers.iter().enumerate() {
        all.extend(ordinary(&mut rng, T0, 7 * 24).into_iter().map(|c| (i, c)));
    }
    all.sort_by_key(|(_, c)| c.time_ms);
    for (i, c) in &all {
        feed(&b, &peers[*i], c);
    }
    let newcomer = identity("labeling", "vendor-new", IdentityKind::Vendor);
    let t = T0 + WEEK + 10 * HOUR;
    let ok = feed(
        &b,
        &newcomer,
        &Call::to(t, "gpt-4o", "openai", DestinationClass::External, 2100),
    );
    assert_eq!(ok.action, BehaviorAction::Record, "{ok:?}");
    assert!(
        ok.reason.contains("peer baseline of labeling/vendor"),
        "{}",
        ok.reason
    );
    let bad = feed(
        &b,
        &newcomer,
        &Call::to(
            t + 60_000,
            "gpt-4o",
            "drop.example",
            DestinationClass::External,
            100_000,
        ),
    );
    println!("{bad:?}");
    assert!(bad.action >= BehaviorAction::StepDown, "{bad:?}");
    assert!(bad.reason.contains("peer baseline"), "{}", bad.reason);
    // Same call from a newcomer in a segment without mature peers: learning, recorded only.
    let loner = identity("finance", "vendor-x", IdentityKind::Vendor);
    let s = feed(
        &b,
        &loner,
        &Call::to(
            t,
            "gpt-4o",
            "drop.example",
            DestinationClass::External,
            100_000,
        ),
    );
    assert_eq!(s.action, BehaviorAction::Record);
    assert!(s.reason.contains("learning period"), "{}", s.reason);
    let v = b
        .baseline("spiffe://lab.example/labeling/vendor-new")
        .unwrap();
    assert!(
        v.status == "stepped_down" || v.status == "quarantined",
        "{}",
        v.status
    );
    assert!(!v.recent_deviations.is_empty());
}
