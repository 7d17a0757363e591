//! Scoring one call: roll the identity's windows to the event time, pick the reference (own
//! baseline once learned, else the peer group's, else none while learning), compute feature
//! contributions, choose the response, and learn from the call unless it was judged hostile.
//! Pure over its inputs (no clock, no I/O), so replays are deterministic.

use crate::alert::AlertPayload;
use crate::config::BehaviorConfig;
use crate::features::{contributions, describe, squash, CallFacts, FeatureId};
use crate::profile::Profile;
use crate::sketch::{hash64, mix};
use crate::state::{Deviation, IdentityState, NewDest, PeerState, Quarantine};
use crate::window::{class_index, is_sensitive, DAY_MS, HOUR_MS};
use palisade_core::{AnomalyScore, BehaviorAction, DestinationClass, Observation};
use std::collections::HashMap;

/// Config with feature rules resolved once.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The config.
    pub cfg: BehaviorConfig,
    /// (feature, min contribution, action).
    pub feature_rules: Vec<(FeatureId, f64, BehaviorAction)>,
}

impl Rules {
    /// Resolves feature names (validated beforehand).
    pub fn new(cfg: BehaviorConfig) -> Self {
        let feature_rules = cfg
            .feature_rules
            .iter()
            .filter_map(|r| FeatureId::parse(&r.feature).map(|f| (f, r.min_contribution, r.action)))
            .collect();
        Self { cfg, feature_rules }
    }

    /// Whether the identity's own history is long enough to be enforced.
    pub fn is_mature(&self, s: &IdentityState, t_ms: u64) -> bool {
        s.profile.requests >= self.cfg.learning_period_requests
            && t_ms.saturating_sub(s.first_ms)
                >= self.cfg.learning_period_hours.saturating_mul(HOUR_MS)
    }
}

/// Which baseline a call was judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reference {
    Own,
    Peer,
    Learning,
}

/// The result of one observation.
#[derive(Debug)]
pub struct Scored {
    /// What the gateway gets.
    pub score: AnomalyScore,
    /// An alert to queue, if due.
    pub alert: Option<AlertPayload>,
}

/// Peer group key of an identity.
pub fn peer_key(segment: &str, kind: palisade_core::IdentityKind) -> String {
    format!("{segment}/{}", kind.as_str())
}

/// Moves the windows to `t_ms` and learns what closed. Mature identities also feed their
/// peer group.
pub fn roll(rules: &Rules, s: &mut IdentityState, peer: Option<&mut PeerState>, t_ms: u64) {
    let mature = rules.is_mature(s, t_ms);
    let r = s.windows.roll(t_ms);
    s.last_ms = s.last_ms.max(t_ms);
    let learn = |p: &mut Profile, idle_ok: bool| {
        if let Some(m) = r.minute {
            p.learn_minute(m);
        }
        if let Some(h) = &r.hour {
            p.learn_hour(h, if idle_ok { r.idle_hours } else { (0, 0) });
        }
        if let Some(d) = &r.day {
            p.learn_day(d, if idle_ok { r.idle_days } else { (0, 0) });
        }
    };
    learn(&mut s.profile, true);
    if let Some(p) = peer.filter(|_| mature) {
        // A group does not observe its members' idle hours, so it does not learn them.
        learn(&mut p.profile, false);
        p.dirty = true;
    }
}

/// The answer for a quarantined identity.
pub fn quarantined(q: &Quarantine) -> AnomalyScore {
    AnomalyScore {
        score: 100.0,
        top_features: Vec::new(),
        action: BehaviorAction::Quarantine,
        stepped_down: true,
        reason: format!(
            "identity quarantined since {} ms: {}; a person must release it",
            q.since_ms, q.reason
        ),
    }
}

fn action_name(a: BehaviorAction) -> &'static str {
    match a {
        BehaviorAction::Record => "record",
        BehaviorAction::Alert => "alert",
        BehaviorAction::StepDown => "step_down",
        BehaviorAction::Quarantine => "quarantine",
    }
}

/// Scores one call and learns from it. `peers` is the locked peer map.
pub fn observe(
    rules: &Rules,
    s: &mut IdentityState,
    peers: &mut HashMap<String, PeerState>,
    identity: &str,
    obs: &Observation<'_>,
) -> Scored {
    let cfg = &rules.cfg;
    let t = obs.time_ms;
    s.dirty = true;
    if let Some(q) = &s.quarantine {
        return Scored {
            score: quarantined(q),
            alert: None,
        };
    }
    let key = peer_key(obs.identity.id.segment(), obs.identity.kind);
    roll(
        rules,
        s,
        peers.get_mut(&key).filter(|_| cfg.peer_baseline),
        t,
    );
    let mature = rules.is_mature(s, t);

    // Count the call in the windows.
    let dest_h = hash64(&[obs.upstream.as_bytes()]);
    let act_h = hash64(&[obs.action.as_bytes(), obs.resource.as_bytes()]);
    let w = &mut s.windows;
    w.minute_reqs = w.minute_reqs.saturating_add(1);
    w.hour_reqs = w.hour_reqs.saturating_add(1);
    w.day_reqs = w.day_reqs.saturating_add(1);
    w.hour_bytes = w.hour_bytes.saturating_add(obs.bytes_out);
    w.day_bytes = w.day_bytes.saturating_add(obs.bytes_out);
    for f in obs.findings {
        if let Some(n) = w.hour_findings.get_mut(class_index(f.data_class)) {
            *n = n.saturating_add(1);
        }
        if is_sensitive(f.data_class) {
            w.hour_sensitive = w.hour_sensitive.saturating_add(1);
        }
    }
    w.hour_dests.add(dest_h);
    w.hour_resources.add(act_h);
    let trigram = (s.prev_len >= 2).then(|| {
        mix(hash64(&[
            &s.prev[0].to_le_bytes(),
            &s.prev[1].to_le_bytes(),
            &act_h.to_le_bytes(),
        ]))
    });
    s.prev = [s.prev[1], act_h];
    s.prev_len = s.prev_len.saturating_add(1).min(2);

    // Pick the reference.
    let peer_ready = cfg.peer_baseline
        && peers
            .get(&key)
            .is_some_and(|p| p.members >= cfg.peer_min_identities.max(1));
    let reference = if mature {
        Reference::Own
    } else if peer_ready {
        Reference::Peer
    } else {
        Reference::Learning
    };
    let empty = Profile::default();
    let p: &Profile = match reference {
        Reference::Peer => peers.get(&key).map_or(&empty, |g| &g.profile),
        _ => &s.profile,
    };

    let dest_known = p.dests.contains(dest_h);
    let novel = trigram.is_some_and(|tg| !p.ngrams.contains(tg));
    if novel {
        s.windows.hour_novel = s.windows.hour_novel.saturating_add(1);
    }
    let new_dest_bytes =
        (!dest_known).then(|| track_new_dest(&mut s.recent_new, dest_h, t, obs.bytes_out));
    let facts = CallFacts {
        hour: t / HOUR_MS,
        day: t / DAY_MS,
        bytes: obs.bytes_out,
        destination: obs.upstream,
        dest_known,
        dest_external: obs.destination != DestinationClass::Internal,
        new_dest_bytes,
        novel_trigram: novel,
    };
    let contribs = contributions(p, &s.windows, &facts);
    let total: f64 = contribs.iter().map(|c| c.points).sum();
    let raw_score = squash(total);
    // While learning with no reference the score means little; policy must not deny on it.
    let score = if reference == Reference::Learning {
        0.0
    } else {
        raw_score
    };

    let mut action = if score >= cfg.quarantine_score {
        BehaviorAction::Quarantine
    } else if score >= cfg.step_down_score {
        BehaviorAction::StepDown
    } else if score >= cfg.alert_score {
        BehaviorAction::Alert
    } else {
        BehaviorAction::Record
    };
    if action == BehaviorAction::Quarantine && cfg.quarantine_requires_data_evidence {
        let evidence: f64 = contribs
            .iter()
            .filter(|c| {
                matches!(
                    c.feature,
                    FeatureId::Findings(_) | FeatureId::SensitiveThenExternal
                )
            })
            .map(|c| c.points)
            .sum();
        if evidence < cfg.data_evidence_points {
            action = BehaviorAction::StepDown;
        }
    }
    let mut forced_by = None;
    for (f, min, a) in &rules.feature_rules {
        if *a > action && contribs.iter().any(|c| c.feature == *f && c.points >= *min) {
            action = *a;
            forced_by = Some(*f);
        }
    }
    if reference == Reference::Learning {
        action = BehaviorAction::Record;
    }

    let basis = match reference {
        Reference::Own => "own baseline".to_owned(),
        Reference::Peer => format!(
            "peer baseline of {key} (own history {} requests, still learning)",
            s.profile.requests
        ),
        Reference::Learning => format!(
            "learning period ({} of {} requests; no peer baseline yet), not enforced \
             (unenforced score {raw_score:.1})",
            s.profile.requests, cfg.learning_period_requests
        ),
    };
    let details: Vec<String> = contribs
        .iter()
        .take(3)
        .map(|c| describe(c, p, &s.windows, &facts))
        .collect();
    let mut reason = if details.is_empty() {
        format!(
            "score {score:.1}, {}: usual behaviour for the {basis}",
            action_name(action)
        )
    } else {
        format!(
            "score {score:.1}, {} against {basis}: {}",
            action_name(action),
            details.join("; ")
        )
    };
    if let (Some(f), true) = (forced_by, reference != Reference::Learning) {
        reason.push_str(&format!(
            "; response raised to {} by the rule on {}",
            action_name(action),
            f.as_str()
        ));
    }
    let top_features: Vec<(String, f64)> = contribs
        .iter()
        .take(5)
        .map(|c| {
            (
                c.feature.as_str().to_owned(),
                (c.points * 10.0).round() / 10.0,
            )
        })
        .collect();

    // Apply the response.
    match action {
        BehaviorAction::Quarantine => {
            s.quarantine = Some(Quarantine {
                since_ms: t,
                reason: reason.clone(),
            });
        }
        BehaviorAction::StepDown => {
            s.step_down_until = s
                .step_down_until
                .max(t.saturating_add(cfg.step_down_secs.saturating_mul(1000)));
        }
        _ => {}
    }
    let stepped_down = action == BehaviorAction::Quarantine
        || (s.step_down_until > t && cfg.step_down_deny.contains(&obs.destination));
    if stepped_down && action < BehaviorAction::StepDown {
        reason.push_str(&format!(
            "; step-down in force until {} ms denies {} destinations",
            s.step_down_until, obs.destination
        ));
    }

    // Learn, unless the call was judged hostile: an attack must not become the new normal.
    if action >= BehaviorAction::StepDown {
        s.windows.hour_flagged = true;
        s.windows.day_flagged = true;
    } else {
        let off = s.profile.is_off_hours(facts.hour);
        s.profile
            .learn_request(obs.bytes_out, dest_h, trigram, novel, off);
        if mature && cfg.peer_baseline {
            let g = peers.entry(key.clone()).or_default();
            g.profile
                .learn_request(obs.bytes_out, dest_h, trigram, novel, off);
            g.dirty = true;
        }
    }
    if cfg.peer_baseline && !s.graduated && rules.is_mature(s, t) {
        s.graduated = true;
        let g = peers.entry(key).or_default();
        g.members = g.members.saturating_add(1);
        g.dirty = true;
    }

    if score >= cfg.deviation_score {
        s.push_deviation(Deviation {
            time_ms: t,
            score: score as f32,
            action,
            features: top3(&contribs),
        });
    }
    let due = action >= BehaviorAction::Alert
        && match s.last_alert {
            None => true,
            Some((at, a)) => {
                action > a || t.saturating_sub(at) >= cfg.alert_cooldown_secs.saturating_mul(1000)
            }
        };
    let score = AnomalyScore {
        score,
        top_features,
        action,
        stepped_down,
        reason,
    };
    let alert = due.then(|| {
        s.last_alert = Some((t, action));
        AlertPayload {
            identity: identity.to_owned(),
            time_ms: t,
            score: score.score,
            action,
            top_features: score.top_features.clone(),
            reason: score.reason.clone(),
        }
    });
    Scored { score, alert }
}

fn top3(c: &[crate::features::Contribution]) -> [(FeatureId, f32); 3] {
    let mut out = [(FeatureId::BytesPerRequest, 0.0f32); 3];
    for (slot, c) in out.iter_mut().zip(c) {
        *slot = (c.feature, c.points as f32);
    }
    out
}

/// Adds `bytes` to the tracked new destination `h` (starting to track it if needed, replacing
/// the oldest entry) and returns its bytes within the hour.
fn track_new_dest(ring: &mut [NewDest], h: u64, t: u64, bytes: u64) -> u64 {
    if let Some(e) = ring
        .iter_mut()
        .find(|e| e.hash == h && t.saturating_sub(e.first_ms) < HOUR_MS)
    {
        e.bytes = e.bytes.saturating_add(bytes);
        return e.bytes;
    }
    if let Some(e) = ring.iter_mut().min_by_key(|e| e.first_ms) {
        *e = NewDest {
            hash: h,
            first_ms: t,
            bytes,
        };
    }
    bytes
}

/// Records a call's outcome (denials and errors are features).
pub fn outcome(
    rules: &Rules,
    s: &mut IdentityState,
    peer: Option<&mut PeerState>,
    failed: bool,
    t_ms: u64,
) {
    if s.quarantine.is_some() {
        return;
    }
    roll(rules, s, peer, t_ms);
    // Denials caused by our own step-down are not new evidence; counting them would let a
    // step-down escalate itself.
    let self_inflicted = s.step_down_until > t_ms;
    if failed && !self_inflicted {
        s.windows.hour_denials_errors = s.windows.hour_denials_errors.saturating_add(1);
        s.dirty = true;
    }
}
