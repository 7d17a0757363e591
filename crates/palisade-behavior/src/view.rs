//! `BaselineView`: what `palisade identity baseline NAME` prints as a terminal table and the
//! admin API returns as JSON — the learned baseline, the windows in progress, the response in
//! force and the recent deviations.

use crate::engine::Rules;
use crate::state::IdentityState;
use crate::stats::SLOT_HOD_REQS;
use crate::window::HOUR_MS;
use palisade_core::{BehaviorAction, DataClass, IdentityKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The learned baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedBaseline {
    /// Typical bytes per call (geometric mean).
    pub bytes_per_request: f64,
    /// Spread of ln(bytes) per call.
    pub bytes_log_sd: f64,
    /// Requests per active minute.
    pub requests_per_active_minute: f64,
    /// Requests per active hour.
    pub requests_per_active_hour: f64,
    /// Bytes per active hour.
    pub bytes_per_active_hour: f64,
    /// Bytes per active day.
    pub bytes_per_active_day: f64,
    /// Expected requests by hour of day (UTC), `None` where not seen yet.
    pub requests_by_hour_of_day: Vec<Option<f64>>,
    /// Findings per active hour by data class (classes seen only).
    pub findings_per_hour: BTreeMap<String, f64>,
    /// Denied or failed calls per active hour.
    pub denials_errors_per_hour: f64,
    /// Distinct destinations per active hour.
    pub distinct_destinations_per_hour: f64,
    /// Distinct models/tools per active hour.
    pub distinct_resources_per_hour: f64,
    /// Approximate number of destinations ever used.
    pub known_destinations: f64,
    /// Approximate number of action trigrams ever made.
    pub known_sequences: f64,
    /// Share of calls with a new action trigram.
    pub novelty_rate: f64,
    /// Share of calls in off-hours.
    pub off_hours_share: f64,
}

/// A recent deviation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviationView {
    /// Event time.
    pub time_ms: u64,
    /// Score.
    pub score: f64,
    /// Response.
    pub action: BehaviorAction,
    /// Top contributions.
    pub features: Vec<(String, f64)>,
}

/// One identity's baseline as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineView {
    /// SPIFFE id.
    pub identity: String,
    /// Kind.
    pub kind: IdentityKind,
    /// Peer group (`segment/kind`).
    pub peer_group: String,
    /// `learning`, `enforced`, `review` (learned mostly from sensitive traffic; fixed rules
    /// still enforced until accepted), `stepped_down` or `quarantined`.
    pub status: String,
    /// Requests learned from.
    pub requests_learned: u64,
    /// Requests left in the learning period.
    pub learning_requests_left: u64,
    /// Hours left in the learning period (by the latest event time).
    pub learning_hours_left: u64,
    /// First event time.
    pub first_seen_ms: u64,
    /// Latest event time.
    pub last_seen_ms: u64,
    /// The learned baseline.
    pub baseline: LearnedBaseline,
    /// Requests in the last 60 minutes.
    pub current_hour_requests: u32,
    /// Bytes in the last 60 minutes.
    pub current_hour_bytes: u64,
    /// Bytes in the last 24 hours.
    pub current_day_bytes: u64,
    /// Step-down end (event time), if in force at the latest event.
    pub step_down_until_ms: Option<u64>,
    /// Quarantine reason, if quarantined.
    pub quarantine_reason: Option<String>,
    /// Since when quarantined.
    pub quarantined_since_ms: Option<u64>,
    /// Recent deviations, newest first.
    pub recent_deviations: Vec<DeviationView>,
}

impl BaselineView {
    /// Builds the view of one identity's state.
    pub fn build(identity: &str, peer_group: &str, s: &IdentityState, rules: &Rules) -> Self {
        let p = &s.profile;
        let cfg = &rules.cfg;
        let mature = rules.is_mature(s, s.last_ms);
        let stepped = s.step_down_until > s.last_ms;
        let status = if s.quarantine.is_some() {
            "quarantined"
        } else if stepped {
            "stepped_down"
        } else if mature && s.review {
            "review"
        } else if mature {
            "enforced"
        } else {
            "learning"
        };
        let recent = s.sliding.recent(s.last_ms);
        let age_h = s.last_ms.saturating_sub(s.first_ms) / HOUR_MS;
        let findings_per_hour = DataClass::CONTENT
            .iter()
            .zip(p.findings.iter())
            .filter(|(_, e)| e.mean > 0.0)
            .map(|(c, e)| (c.as_str().to_owned(), e.mean()))
            .collect();
        Self {
            identity: identity.to_owned(),
            kind: s.kind,
            peer_group: peer_group.to_owned(),
            status: status.to_owned(),
            requests_learned: p.requests,
            learning_requests_left: cfg.learning_period_requests.saturating_sub(p.requests),
            learning_hours_left: cfg.learning_period_hours.saturating_sub(age_h),
            first_seen_ms: s.first_ms,
            last_seen_ms: s.last_ms,
            baseline: LearnedBaseline {
                bytes_per_request: p.bytes_log.mean().exp() - 1.0,
                bytes_log_sd: p.bytes_log.sd(),
                requests_per_active_minute: p.minute_reqs.mean(),
                requests_per_active_hour: p.hour_reqs.mean(),
                bytes_per_active_hour: p.hour_bytes.mean(),
                bytes_per_active_day: p.day_bytes.mean(),
                requests_by_hour_of_day: (0..24).map(|h| p.slots.get(SLOT_HOD_REQS + h)).collect(),
                findings_per_hour,
                denials_errors_per_hour: p.denials_errors.mean(),
                distinct_destinations_per_hour: p.distinct_dests.mean(),
                distinct_resources_per_hour: p.distinct_resources.mean(),
                known_destinations: p.dests.estimate(),
                known_sequences: p.ngrams.estimate(),
                novelty_rate: p.novelty.mean(),
                off_hours_share: p.off_hours.mean(),
            },
            current_hour_requests: recent.hour_reqs,
            current_hour_bytes: recent.hour_bytes,
            current_day_bytes: recent.day_bytes,
            step_down_until_ms: stepped.then_some(s.step_down_until),
            quarantine_reason: s.quarantine.as_ref().map(|q| q.reason.clone()),
            quarantined_since_ms: s.quarantine.as_ref().map(|q| q.since_ms),
            recent_deviations: s
                .deviations
                .iter()
                .rev()
                .map(|d| DeviationView {
                    time_ms: d.time_ms,
                    score: f64::from(d.score),
                    action: d.action,
                    features: d
                        .features
                        .iter()
                        .filter(|(_, v)| *v > 0.0)
                        .map(|(f, v)| (f.as_str().to_owned(), f64::from(*v)))
                        .collect(),
                })
                .collect(),
        }
    }

    /// JSON for the admin API.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    /// A terminal table for the CLI.
    pub fn render_table(&self) -> String {
        let b = &self.baseline;
        let mut rows: Vec<(String, String)> = vec![
            ("identity".into(), self.identity.clone()),
            (
                "kind / peer group".into(),
                format!("{} / {}", self.kind.as_str(), self.peer_group),
            ),
            ("status".into(), self.status.clone()),
            (
                "learning".into(),
                format!(
                    "{} requests learned; {} requests and {} hours left",
                    self.requests_learned, self.learning_requests_left, self.learning_hours_left
                ),
            ),
            (
                "bytes per request".into(),
                format!("{:.0} (ln sd {:.2})", b.bytes_per_request, b.bytes_log_sd),
            ),
            (
                "requests per active minute".into(),
                format!("{:.1}", b.requests_per_active_minute),
            ),
            (
                "requests per active hour".into(),
                format!("{:.1}", b.requests_per_active_hour),
            ),
            (
                "bytes per active hour".into(),
                format!("{:.0}", b.bytes_per_active_hour),
            ),
            (
                "bytes per active day".into(),
                format!("{:.0}", b.bytes_per_active_day),
            ),
            (
                "distinct destinations / hour".into(),
                format!("{:.1}", b.distinct_destinations_per_hour),
            ),
            (
                "distinct models+tools / hour".into(),
                format!("{:.1}", b.distinct_resources_per_hour),
            ),
            (
                "known destinations (approx)".into(),
                format!("{:.0}", b.known_destinations),
            ),
            (
                "known action sequences (approx)".into(),
                format!("{:.0}", b.known_sequences),
            ),
            ("novelty rate".into(), format!("{:.3}", b.novelty_rate)),
            (
                "off-hours share".into(),
                format!("{:.3}", b.off_hours_share),
            ),
            (
                "denials+errors / hour".into(),
                format!("{:.2}", b.denials_errors_per_hour),
            ),
        ];
        for (c, v) in &b.findings_per_hour {
            rows.push((format!("findings {c} / hour"), format!("{v:.2}")));
        }
        let hod: Vec<String> = b
            .requests_by_hour_of_day
            .iter()
            .map(|v| v.map_or("-".into(), |x| format!("{x:.0}")))
            .collect();
        rows.push(("requests by hour (UTC 0-23)".into(), hod.join(" ")));
        rows.push((
            "last 60 min / 24 h".into(),
            format!(
                "{} requests, {} bytes / {} bytes",
                self.current_hour_requests, self.current_hour_bytes, self.current_day_bytes
            ),
        ));
        if let Some(u) = self.step_down_until_ms {
            rows.push(("step-down until (ms)".into(), u.to_string()));
        }
        if let Some(r) = &self.quarantine_reason {
            rows.push(("quarantine reason".into(), r.clone()));
        }
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (k, v) in &rows {
            let _ = writeln!(out, "{k:<width$} | {v}");
        }
        let _ = writeln!(
            out,
            "\nrecent deviations ({}):",
            self.recent_deviations.len()
        );
        let _ = writeln!(
            out,
            "{:<15} | {:>5} | {:<10} | top features",
            "time_ms", "score", "action"
        );
        for d in &self.recent_deviations {
            let feats: Vec<String> = d
                .features
                .iter()
                .map(|(f, v)| format!("{f} +{v:.1}"))
                .collect();
            let action = serde_json::to_value(d.action)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{:<15} | {:>5.1} | {:<10} | {}",
                d.time_ms,
                d.score,
                action,
                feats.join(", ")
            );
        }
        out
    }
}
