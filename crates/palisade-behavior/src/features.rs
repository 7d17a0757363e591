//! The features of one call: each compares what the windows hold now with what the reference
//! profile (own or peer) says is usual, and yields a contribution in score points. Every
//! contribution is capped so no single noisy feature can reach quarantine on its own; the
//! incident patterns (bulk sensitive reads then egress, bytes to a new place) combine several.

use crate::profile::Profile;
use crate::sliding::Recent;
use crate::stats::doublings_over;
use crate::window::class_index;
use palisade_core::DataClass;
use serde::{Deserialize, Serialize};

/// A named feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureId {
    /// Requests this minute vs usual per active minute.
    RequestRateMinute,
    /// Requests this hour vs usual for this hour of the week.
    RequestRateHour,
    /// This call's bytes vs usual per call.
    BytesPerRequest,
    /// Bytes this hour vs usual for this hour of day.
    BytesHour,
    /// Bytes today vs usual for this day of week.
    BytesDay,
    /// A destination never used before.
    NewDestination,
    /// Bytes sent to a destination first used within the hour.
    BytesToNewDestination,
    /// Findings of one data class this hour vs usual.
    Findings(DataClass),
    /// Sensitive findings this hour followed by a call leaving the organization.
    SensitiveThenExternal,
    /// Distinct destinations this hour.
    DistinctDestinations,
    /// Distinct models/tools this hour.
    DistinctResources,
    /// A sequence of actions never made before.
    NovelSequence,
    /// Denied or failed calls this hour.
    DenialsErrors,
    /// Activity in hours the identity is usually idle.
    OffHours,
    /// Refused calls that tried to carry sensitive data out, in the last 60 minutes.
    RefusedExfiltration,
    /// More clients (network, user agent, TLS) using the credential at once than usual, or
    /// more concurrent connections: a second holder of the key.
    SecondHolder,
}

const FINDING_NAMES: [(DataClass, &str); 7] = [
    (DataClass::Secret, "findings_secret"),
    (DataClass::Pii, "findings_pii"),
    (DataClass::Payroll, "findings_payroll"),
    (DataClass::Confidential, "findings_confidential"),
    (DataClass::ProtectedDocument, "findings_protected_document"),
    (DataClass::Canary, "findings_canary"),
    (DataClass::Injection, "findings_injection"),
];

impl FeatureId {
    /// Every feature.
    pub fn all() -> Vec<FeatureId> {
        let mut v = vec![
            FeatureId::RequestRateMinute,
            FeatureId::RequestRateHour,
            FeatureId::BytesPerRequest,
            FeatureId::BytesHour,
            FeatureId::BytesDay,
            FeatureId::NewDestination,
            FeatureId::BytesToNewDestination,
            FeatureId::SensitiveThenExternal,
            FeatureId::DistinctDestinations,
            FeatureId::DistinctResources,
            FeatureId::NovelSequence,
            FeatureId::DenialsErrors,
            FeatureId::OffHours,
            FeatureId::RefusedExfiltration,
            FeatureId::SecondHolder,
        ];
        v.extend(DataClass::CONTENT.map(FeatureId::Findings));
        v
    }

    /// Stable name used in scores, rules, audit and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureId::RequestRateMinute => "request_rate_minute",
            FeatureId::RequestRateHour => "request_rate_hour",
            FeatureId::BytesPerRequest => "bytes_per_request",
            FeatureId::BytesHour => "bytes_hour",
            FeatureId::BytesDay => "bytes_day",
            FeatureId::NewDestination => "new_destination",
            FeatureId::BytesToNewDestination => "bytes_to_new_destination",
            FeatureId::Findings(c) => FINDING_NAMES
                .iter()
                .find(|(k, _)| *k == c)
                .map_or("findings", |(_, n)| n),
            FeatureId::SensitiveThenExternal => "sensitive_then_external",
            FeatureId::DistinctDestinations => "distinct_destinations",
            FeatureId::DistinctResources => "distinct_resources",
            FeatureId::NovelSequence => "novel_sequence",
            FeatureId::DenialsErrors => "denials_errors",
            FeatureId::OffHours => "off_hours",
            FeatureId::RefusedExfiltration => "refused_exfiltration",
            FeatureId::SecondHolder => "second_holder",
        }
    }

    /// The feature of a name.
    pub fn parse(name: &str) -> Option<FeatureId> {
        FeatureId::all().into_iter().find(|f| f.as_str() == name)
    }
}

/// Per-call facts the windows do not hold.
#[derive(Debug, Clone, Copy)]
pub struct CallFacts<'a> {
    /// Absolute hour of the call.
    pub hour: u64,
    /// Absolute day of the call.
    pub day: u64,
    /// Bytes out of this call.
    pub bytes: u64,
    /// Destination (upstream) name, for explanations.
    pub destination: &'a str,
    /// Whether the reference has seen the destination.
    pub dest_known: bool,
    /// Whether the destination is outside the organization.
    pub dest_external: bool,
    /// Bytes sent this hour to a destination first used within the hour (incl. this call).
    pub new_dest_bytes: Option<u64>,
    /// Whether this call's action trigram is new to the reference.
    pub novel_trigram: bool,
    /// Distinct clients active within the overlap span, and the usual number (`None` while
    /// the usual is still being learned or the connection told nothing).
    pub clients: Option<(u8, u8)>,
    /// Concurrent connections now, and the usual most.
    pub connections: Option<(u32, u32)>,
}

/// One feature's contribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution {
    /// The feature.
    pub feature: FeatureId,
    /// Score points (before squashing into 0–100).
    pub points: f64,
}

/// Closed windows a window feature needs before it speaks.
const MIN_WINDOWS: u32 = 3;

fn class_weight(c: DataClass) -> f64 {
    match c {
        DataClass::Pii => 3.0,
        DataClass::Confidential | DataClass::Injection => 4.0,
        DataClass::Secret | DataClass::Payroll | DataClass::ProtectedDocument => 5.0,
        DataClass::Canary => 0.0, // handled separately: any canary is critical
        // Not content: policy refuses these per destination; baselines do not count them.
        DataClass::OpaqueAttachment | DataClass::Uninspected | DataClass::ProviderEgress => 0.0,
    }
}

/// Computes every non-zero contribution, largest first.
pub fn contributions(p: &Profile, w: &Recent, f: &CallFacts<'_>) -> Vec<Contribution> {
    let mut out = Vec::with_capacity(6);
    let mut add = |feature, points: f64, cap: f64| {
        let points = points.min(cap);
        // Sub-tenth contributions are rounding noise, not an explanation.
        if points >= 0.05 && points.is_finite() {
            out.push(Contribution { feature, points });
        }
    };
    // Window features stay silent until enough windows have closed to say what is usual.
    let minutes_known = p.minute_reqs.n >= MIN_WINDOWS * 3;
    let hours_known = p.hour_reqs.n >= MIN_WINDOWS;
    // Rates.
    if minutes_known {
        let (mu, sd) = (p.minute_reqs.mean(), p.minute_reqs.sd());
        let z = (f64::from(w.minute_reqs) - mu) / (sd * sd + mu + 1.0).sqrt();
        add(FeatureId::RequestRateMinute, 3.0 * (z - 4.0), 30.0);
    }
    if hours_known {
        let mu = p
            .expected_hour_reqs(f.hour)
            .max(p.expected_hour_reqs(f.hour.saturating_sub(1)));
        let z = (f64::from(w.hour_reqs) - mu) / ((2.0 * mu + 4.0).sqrt() + 0.25 * mu);
        add(FeatureId::RequestRateHour, 3.0 * (z - 4.0), 30.0);
    }
    // Volume.
    if p.requests > 0 {
        let sd = p.bytes_log.sd().max(0.35);
        let z = (((f.bytes as f64) + 1.0).ln() - p.bytes_log.mean()) / sd;
        add(FeatureId::BytesPerRequest, 4.0 * (z - 3.0), 25.0);
    }
    let eh = p
        .expected_hour_bytes(f.hour)
        .max(p.expected_hour_bytes(f.hour.saturating_sub(1)));
    if hours_known && eh > 0.0 {
        let r = w.hour_bytes as f64 / eh;
        add(FeatureId::BytesHour, 8.0 * doublings_over(r, 3.0), 30.0);
    }
    if p.day_bytes.n >= 3 {
        let ed = p
            .expected_day_bytes(f.day)
            .max(p.expected_day_bytes(f.day.saturating_sub(1)));
        if ed > 0.0 {
            let r = w.day_bytes as f64 / ed;
            add(FeatureId::BytesDay, 8.0 * doublings_over(r, 2.0), 30.0);
        }
    }
    // Destinations.
    if !f.dest_known {
        add(
            FeatureId::NewDestination,
            if f.dest_external { 14.0 } else { 8.0 },
            14.0,
        );
    }
    if let (Some(b), true) = (f.new_dest_bytes, p.requests > 0) {
        let typical = p.bytes_log.mean().exp().max(1.0);
        add(
            FeatureId::BytesToNewDestination,
            6.0 * (1.0 + b as f64 / typical).log2(),
            // Capped so a new destination alone tops out at step-down; quarantine needs more
            // evidence (sensitive data, canaries) on top.
            25.0,
        );
    }
    // Findings.
    for c in DataClass::CONTENT {
        let i = class_index(c);
        let x = f64::from(w.findings.get(i).copied().unwrap_or(0));
        if c == DataClass::Canary {
            if x > 0.0 {
                add(FeatureId::Findings(c), 60.0, 60.0);
            }
            continue;
        }
        let mu = p.findings.get(i).map_or(0.0, |e| e.mean());
        add(
            FeatureId::Findings(c),
            class_weight(c) * doublings_over(x + 1.0, 2.0 * mu + 2.0),
            25.0,
        );
    }
    if f.dest_external {
        let s = f64::from(w.sensitive) - (2.0 * p.sensitive.mean() + 1.0);
        if s > 0.0 {
            add(
                FeatureId::SensitiveThenExternal,
                10.0 + 6.0 * (1.0 + s).log2(),
                40.0,
            );
        }
    }
    // Refused attempts to move sensitive data out: each is intent shown, whatever stopped it.
    if w.refused_exfil >= 2 {
        add(
            FeatureId::RefusedExfiltration,
            7.0 * f64::from(w.refused_exfil - 1),
            60.0,
        );
    }
    // Who holds the key.
    let mut holder = 0.0;
    if let Some((now, usual)) = f.clients {
        if now > usual.max(1) {
            holder += 28.0 + 12.0 * f64::from(now - usual.max(1) - 1);
        }
    }
    if let Some((now, usual)) = f.connections {
        if now > 2 * usual + 2 {
            holder += 6.0 * doublings_over(f64::from(now), f64::from(2 * usual + 2)).max(1.0);
        }
    }
    add(FeatureId::SecondHolder, holder, 40.0);
    // Breadth and novelty.
    let r = (w.dests.estimate() + 1.0) / (p.distinct_dests.mean() + 1.0);
    add(
        FeatureId::DistinctDestinations,
        6.0 * doublings_over(r, 2.0),
        20.0,
    );
    let r = (w.resources.estimate() + 1.0) / (p.distinct_resources.mean() + 1.0);
    add(
        FeatureId::DistinctResources,
        6.0 * doublings_over(r, 2.0),
        20.0,
    );
    let mut novel = 4.0 * doublings_over(f64::from(w.novel) + 1.0, 2.0 * p.novel_hour.mean() + 2.0);
    if f.novel_trigram {
        novel += 6.0 * (1.0 - (p.novelty.mean() * 10.0).min(1.0));
    }
    add(FeatureId::NovelSequence, novel, 25.0);
    add(
        FeatureId::DenialsErrors,
        5.0 * doublings_over(
            f64::from(w.denials_errors) + 1.0,
            2.0 * p.denials_errors.mean() + 2.0,
        ),
        20.0,
    );
    if p.is_off_hours(f.hour) {
        add(
            FeatureId::OffHours,
            3.0 * doublings_over(
                f64::from(w.hour_reqs) + 1.0,
                2.0 * p.slot_reqs(f.hour) + 1.0,
            ),
            15.0,
        );
    }
    out.sort_by(|a, b| b.points.total_cmp(&a.points));
    out
}

/// Squashes summed points into 0–100: 20 points ≈ 63, 46 points ≈ 90.
pub fn squash(points: f64) -> f64 {
    let s = 100.0 * (1.0 - (-points.max(0.0) / 20.0).exp());
    (s * 10.0).round() / 10.0
}

/// A human sentence for one contribution.
pub fn describe(c: &Contribution, p: &Profile, w: &Recent, f: &CallFacts<'_>) -> String {
    let name = c.feature.as_str();
    let detail = match c.feature {
        FeatureId::RequestRateMinute => format!(
            "{} requests in the last 60 s vs usual {:.1}",
            w.minute_reqs,
            p.minute_reqs.mean()
        ),
        FeatureId::RequestRateHour => format!(
            "{} requests in the last 60 min vs usual {:.1}",
            w.hour_reqs,
            p.expected_hour_reqs(f.hour)
        ),
        FeatureId::BytesPerRequest => format!(
            "{} bytes in this call vs usual {:.0}",
            f.bytes,
            p.bytes_log.mean().exp()
        ),
        FeatureId::BytesHour => format!(
            "{} bytes in the last 60 min vs usual {:.0}",
            w.hour_bytes,
            p.expected_hour_bytes(f.hour)
        ),
        FeatureId::BytesDay => format!(
            "{} bytes in the last 24 h (bytes today) vs usual {:.0}",
            w.day_bytes,
            p.expected_day_bytes(f.day)
        ),
        FeatureId::NewDestination => format!("first call to destination `{}`", f.destination),
        FeatureId::BytesToNewDestination => format!(
            "{} bytes this hour to new destination `{}`",
            f.new_dest_bytes.unwrap_or(0),
            f.destination
        ),
        FeatureId::Findings(cl) => {
            let i = class_index(cl);
            format!(
                "{} {} findings in the last 60 min vs usual {:.1}",
                w.findings.get(i).copied().unwrap_or(0),
                cl.as_str(),
                p.findings.get(i).map_or(0.0, |e| e.mean())
            )
        }
        FeatureId::SensitiveThenExternal => format!(
            "{} sensitive findings in the last 60 min, then a call to external destination `{}`",
            w.sensitive, f.destination
        ),
        FeatureId::DistinctDestinations => format!(
            "{:.0} distinct destinations in the last 60 min vs usual {:.1}",
            w.dests.estimate(),
            p.distinct_dests.mean()
        ),
        FeatureId::DistinctResources => format!(
            "{:.0} distinct models/tools in the last 60 min vs usual {:.1}",
            w.resources.estimate(),
            p.distinct_resources.mean()
        ),
        FeatureId::NovelSequence => format!(
            "{} never-seen action sequences in the last 60 min vs usual {:.1}",
            w.novel,
            p.novel_hour.mean()
        ),
        FeatureId::DenialsErrors => format!(
            "{} denied or failed calls in the last 60 min vs usual {:.1}",
            w.denials_errors,
            p.denials_errors.mean()
        ),
        FeatureId::RefusedExfiltration => format!(
            "{} refused attempts to send sensitive data out in the last 60 min",
            w.refused_exfil
        ),
        FeatureId::SecondHolder => format!(
            "{} clients using the credential within 10 min (usual {}); {} concurrent connections (usual {})",
            f.clients.map_or(0, |c| c.0),
            f.clients.map_or(0, |c| c.1),
            f.connections.map_or(0, |c| c.0),
            f.connections.map_or(0, |c| c.1)
        ),
        FeatureId::OffHours => format!(
            "{} requests in a usually idle hour (usual {:.1})",
            w.hour_reqs,
            p.slot_reqs(f.hour)
        ),
    };
    format!("{name} +{:.1} ({detail})", c.points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let all = FeatureId::all();
        for f in &all {
            assert_eq!(FeatureId::parse(f.as_str()), Some(*f));
        }
        let mut names: Vec<_> = all.iter().map(|f| f.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            FeatureId::Findings(DataClass::ProtectedDocument).as_str(),
            "findings_protected_document"
        );
    }

    #[test]
    fn squash_is_monotone_and_bounded() {
        assert_eq!(squash(0.0), 0.0);
        assert!(squash(20.0) > 60.0 && squash(20.0) < 65.0);
        assert!(squash(46.0) >= 89.9);
        assert!(squash(1e9) <= 100.0);
    }

    #[test]
    fn canary_alone_is_critical_and_unknown_destination_counts() {
        let p = Profile::default();
        let mut w = Recent::default();
        w.findings[class_index(DataClass::Canary)] = 1;
        let f = CallFacts {
            hour: 0,
            day: 0,
            bytes: 10,
            destination: "x",
            dest_known: false,
            dest_external: true,
            new_dest_bytes: None,
            novel_trigram: false,
            clients: None,
            connections: None,
        };
        let c = contributions(&p, &w, &f);
        assert_eq!(c[0].feature, FeatureId::Findings(DataClass::Canary));
        assert!(c.iter().any(|c| c.feature == FeatureId::NewDestination));
        assert!(describe(&c[0], &p, &w, &f).contains("canary"));
    }
}
