//! Scoring one call: roll the identity's windows to the event time, pick the reference (own
//! baseline once learned and trusted, else the peer group's, else only the fixed rules), compute feature
//! contributions, choose the response, and learn from the call unless it was judged hostile.
//! Pure over its inputs (no clock, no I/O), so replays are deterministic.

use crate::alert::AlertPayload;
use crate::config::BehaviorConfig;
use crate::features::{contributions, describe, squash, CallFacts, FeatureId};
use crate::fixed::{empty_profile, fixed_contributions, merge};
use crate::holder::client_hash;
use crate::profile::Profile;
use crate::sketch::{hash64, mix};
use crate::sliding::Recent;
use crate::state::{Deviation, IdentityState, NewDest, PeerState, PendingExfil, Quarantine};
use crate::window::{class_index, is_sensitive, HourSummary, DAY_MS, HOUR_MS};
use palisade_core::{AnomalyScore, BehaviorAction, DestinationClass, Observation, RefusedBy};
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
    /// The identity's own mature, trusted baseline.
    Own,
    /// Its own mature baseline, learned from mostly sensitive traffic: the fixed rules still
    /// apply on top until a person accepts it.
    Review,
    /// The peer group's (own history still short); the fixed rules apply on top.
    Peer,
    /// No reference yet: only the fixed rules.
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

/// Moves the windows to `t_ms` and learns what closed. A closed hour is learned only once it
/// has left the sliding window (it stays pending meanwhile), so evidence judged hostile later
/// in the window is not learned as normal. Mature identities also feed their peer group.
pub fn roll(rules: &Rules, s: &mut IdentityState, peer: Option<&mut PeerState>, t_ms: u64) {
    let mature = rules.is_mature(s, t_ms);
    let feeds_peer = mature && !s.review;
    let r = s.windows.roll(t_ms);
    s.last_ms = s.last_ms.max(t_ms);
    let mut hours: Vec<(HourSummary, (u64, u64))> = Vec::new();
    if let Some(h) = r.hour {
        if let Some(prev) = s.pending_hour.take() {
            hours.push((prev, (0, 0)));
        }
        if r.idle_hours.1 > 0 {
            hours.push((h, r.idle_hours));
        } else {
            s.pending_hour = Some(h);
        }
    }
    let learn = |p: &mut Profile, idle_ok: bool| {
        if let Some(m) = r.minute {
            p.learn_minute(m);
        }
        for (h, idle) in &hours {
            p.learn_hour(h, if idle_ok { *idle } else { (0, 0) });
        }
        if let Some(d) = &r.day {
            p.learn_day(d, if idle_ok { r.idle_days } else { (0, 0) });
        }
    };
    learn(&mut s.profile, true);
    if let Some(p) = peer.filter(|_| feeds_peer) {
        // A group does not observe its members' idle hours, so it does not learn them.
        learn(&mut p.profile, false);
        p.dirty = true;
    }
}

/// Evaluated once, when the identity's own history becomes long enough: a learning period
/// dominated by sensitive traffic is flagged for review instead of trusted, and only trusted
/// baselines join the peer group.
fn graduate(
    rules: &Rules,
    s: &mut IdentityState,
    peers: &mut HashMap<String, PeerState>,
    key: &str,
) {
    let cfg = &rules.cfg;
    s.graduated = true;
    let (calls, sensitive) = s.learning_calls;
    s.review = calls > 0 && f64::from(sensitive) > cfg.review_sensitive_share * f64::from(calls);
    if cfg.peer_baseline && !s.review {
        let g = peers.entry(key.to_owned()).or_default();
        g.members = g.members.saturating_add(1);
        g.dirty = true;
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
    if mature && !s.graduated {
        graduate(rules, s, peers, &key);
    }
    let refused = obs.refused.is_some();
    let external = obs.destination != DestinationClass::Internal;

    // Count the call: in the sliding windows always (a refused attempt is evidence), in the
    // clock windows the profile learns from only when it was not refused.
    let dest_h = hash64(&[obs.upstream.as_bytes()]);
    let act_h = hash64(&[obs.action.as_bytes(), obs.resource.as_bytes()]);
    let sensitive = obs
        .findings
        .iter()
        .filter(|f| is_sensitive(f.data_class))
        .count();
    let mut own = PendingExfil {
        time_ms: t,
        sensitive: sat16(sensitive),
        ..PendingExfil::default()
    };
    for f in obs.findings {
        if let Some(n) = own.findings.get_mut(class_index(f.data_class)) {
            *n = n.saturating_add(1);
        }
    }
    s.last_exfil = (sensitive > 0 && external).then_some(own);
    s.sliding.count_request(t, obs.bytes_out);
    let b = s.sliding.bucket(t);
    for (n, x) in b.findings.iter_mut().zip(own.findings) {
        *n = n.saturating_add(x);
    }
    b.sensitive = b.sensitive.saturating_add(own.sensitive);
    b.dests.add(dest_h);
    b.resources.add(act_h);
    if !refused {
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
        }
        w.hour_sensitive = w.hour_sensitive.saturating_add(sat32(sensitive));
        w.hour_dests.add(dest_h);
        w.hour_resources.add(act_h);
        if !mature {
            s.learning_calls.0 = s.learning_calls.0.saturating_add(1);
            if sensitive > 0 {
                s.learning_calls.1 = s.learning_calls.1.saturating_add(1);
            }
        }
    }
    let trigram = (s.prev_len >= 2).then(|| {
        mix(hash64(&[
            &s.prev[0].to_le_bytes(),
            &s.prev[1].to_le_bytes(),
            &act_h.to_le_bytes(),
        ]))
    });
    s.prev = [s.prev[1], act_h];
    s.prev_len = s.prev_len.saturating_add(1).min(2);
    let overlap = client_hash(&obs.client).map(|h| s.holders.record(h, t));
    let conns = obs.client.concurrent_connections;
    if !mature && !refused {
        s.holders.learn(overlap.unwrap_or(0), conns);
    }

    // Pick the reference: only trusted mature baselines, and peers made of them.
    let peer_ready = cfg.peer_baseline
        && peers.get(&key).is_some_and(|p| {
            p.members >= cfg.peer_min_identities.max(1)
                && p.profile.requests >= cfg.learning_period_requests
        });
    let reference = match (mature, s.review, peer_ready) {
        (true, false, _) => Reference::Own,
        (true, true, _) => Reference::Review,
        (false, _, true) => Reference::Peer,
        (false, _, false) => Reference::Learning,
    };
    let p: &Profile = match reference {
        Reference::Peer => peers.get(&key).map_or(empty_profile(), |g| &g.profile),
        _ => &s.profile,
    };

    let dest_new = !p.dests.contains(dest_h);
    let novel = trigram.is_some_and(|tg| !p.ngrams.contains(tg));
    if novel {
        let b = s.sliding.bucket(t);
        b.novel = b.novel.saturating_add(1);
        if !refused {
            s.windows.hour_novel = s.windows.hour_novel.saturating_add(1);
        }
    }
    let new_dest_bytes =
        dest_new.then(|| track_new_dest(&mut s.recent_new, dest_h, t, obs.bytes_out));
    let facts = CallFacts {
        hour: t / HOUR_MS,
        day: t / DAY_MS,
        bytes: obs.bytes_out,
        destination: obs.upstream,
        // Which destinations an identity may use is policy's call: peers never having used
        // one says nothing about it (volume sent to it still counts).
        dest_known: !dest_new || reference == Reference::Peer,
        dest_external: external,
        new_dest_bytes,
        novel_trigram: novel,
        clients: overlap
            .filter(|_| mature)
            .map(|o| (o, s.holders.usual_overlap)),
        connections: (mature && conns > 0).then_some((conns, s.holders.usual_connections)),
    };
    let recent = s.sliding.recent(t);
    // The fixed rules judge what was gathered before this call; the data this call itself
    // carries is policy's to judge (by its data classes), and refused it is evidence as a
    // refused attempt (`outcome`).
    let before = without(&recent, &own);
    let contribs = match reference {
        Reference::Own => contributions(p, &recent, &facts),
        Reference::Learning => fixed_contributions(&before, &facts),
        Reference::Review | Reference::Peer => merge(
            contributions(p, &recent, &facts),
            fixed_contributions(&before, &facts),
        ),
    };
    let total: f64 = contribs.iter().map(|c| c.points).sum();
    let score = squash(total);

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
            .filter(|c| is_evidence(c.feature))
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

    let basis = match reference {
        Reference::Own => "own baseline".to_owned(),
        Reference::Review => "own baseline (learned mostly from sensitive traffic, awaiting \
                              review; fixed rules enforced)"
            .to_owned(),
        Reference::Peer => format!(
            "peer baseline of {key} (own history {} requests, still learning)",
            s.profile.requests
        ),
        Reference::Learning => format!(
            "learning period ({} of {} requests; no peer baseline yet), fixed rules only",
            s.profile.requests, cfg.learning_period_requests
        ),
    };
    let details: Vec<String> = contribs
        .iter()
        .take(3)
        .map(|c| describe(c, p, &recent, &facts))
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
    if let Some(by) = obs.refused {
        reason.push_str(&format!("; the call was refused by {}", refused_name(by)));
    }
    if let Some(f) = forced_by {
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

    // Learn, unless the call was refused or judged hostile: an attack must not become the new
    // normal, nor the hour before it that is still in the window.
    if action >= BehaviorAction::StepDown {
        s.windows.hour_flagged = true;
        s.windows.day_flagged = true;
        if let Some(h) = s.pending_hour.as_mut() {
            h.flagged = true;
        }
    } else if !refused {
        let off = s.profile.is_off_hours(facts.hour);
        s.profile
            .learn_request(obs.bytes_out, dest_h, trigram, novel, off);
        if reference == Reference::Own && cfg.peer_baseline {
            let g = peers.entry(key).or_default();
            g.profile
                .learn_request(obs.bytes_out, dest_h, trigram, novel, off);
            g.dirty = true;
        }
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

/// The windows without one call's findings.
fn without(r: &Recent, call: &PendingExfil) -> Recent {
    let mut out = *r;
    for (a, x) in out.findings.iter_mut().zip(call.findings) {
        *a = a.saturating_sub(u32::from(x));
    }
    out.sensitive = out.sensitive.saturating_sub(u32::from(call.sensitive));
    out
}

fn sat16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn sat32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn refused_name(by: RefusedBy) -> &'static str {
    match by {
        RefusedBy::Inspection => "inspection",
        RefusedBy::Policy => "policy",
        RefusedBy::Quota => "a quota",
    }
}

/// Features that may carry a score-based quarantine: data seen leaving (or trying to), and a
/// second holder of the key.
fn is_evidence(f: FeatureId) -> bool {
    matches!(
        f,
        FeatureId::Findings(_)
            | FeatureId::SensitiveThenExternal
            | FeatureId::RefusedExfiltration
            | FeatureId::SecondHolder
    )
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

/// Records a call's outcome (denials and errors are features). A denial of a call that carried
/// sensitive data out is a refused exfiltration attempt, whoever refused it — a step-down too:
/// persisting while narrowed is evidence, unlike ordinary calls the step-down itself denies.
pub fn outcome(
    rules: &Rules,
    s: &mut IdentityState,
    peer: Option<&mut PeerState>,
    denied: bool,
    error: bool,
    t_ms: u64,
) {
    if s.quarantine.is_some() {
        return;
    }
    roll(rules, s, peer, t_ms);
    s.dirty = true;
    if let Some(call) = s.last_exfil.take().filter(|_| denied) {
        // The data did not leave: take its findings back out of the windows (from the bucket
        // it was counted in, if that is still in the ring) and count the attempt.
        let b = s.sliding.bucket(call.time_ms);
        for (n, x) in b.findings.iter_mut().zip(call.findings) {
            *n = n.saturating_sub(x);
        }
        b.sensitive = b.sensitive.saturating_sub(call.sensitive);
        let b = s.sliding.bucket(t_ms);
        b.refused_exfil = b.refused_exfil.saturating_add(1);
    }
    // Denials caused by our own step-down are not new evidence; counting them would let a
    // step-down escalate itself.
    let self_inflicted = s.step_down_until > t_ms;
    if (denied || error) && !self_inflicted {
        s.windows.hour_denials_errors = s.windows.hour_denials_errors.saturating_add(1);
        let b = s.sliding.bucket(t_ms);
        b.denials_errors = b.denials_errors.saturating_add(1);
    }
}

/// Lifts quarantine and step-down and clears the windows that led to them, so the same
/// evidence does not quarantine the released identity again; the hour still pending is not
/// learned. Returns a sentence for the audit log saying what was cleared.
pub fn release(s: &mut IdentityState, t_ms: u64) -> String {
    let r = s.sliding.recent(t_ms);
    let cleared = format!(
        "cleared the sliding windows ({} requests, {} sensitive findings, {} refused \
         exfiltration attempts, {} bytes in the last 60 min)",
        r.hour_reqs, r.sensitive, r.refused_exfil, r.hour_bytes
    );
    s.quarantine = None;
    s.step_down_until = 0;
    s.sliding.clear();
    s.recent_new = Default::default();
    s.holders.clear_recent();
    s.last_exfil = None;
    s.windows.hour_flagged = true;
    if let Some(h) = s.pending_hour.as_mut() {
        h.flagged = true;
    }
    cleared
}
