//! The learned part of a baseline: what is normal for one identity (or, as a peer profile, for
//! a typical member of a segment and kind). Fixed-size fields only, so its memory is bounded.

use crate::sketch::Bloom;
use crate::stats::{Ewma, Slots, SLOT_DOW_BYTES, SLOT_HOD_BYTES, SLOT_HOD_REQS, SLOT_HOW_REQS};
use crate::window::{
    day_of_week, hour_of_day, hour_of_week, DaySummary, HourSummary, HOURS_PER_WEEK,
};
use serde::{Deserialize, Serialize};

/// Bloom words for first-seen destinations (512 bits: ~100 destinations at <5% false hits).
pub const DEST_WORDS: usize = 8;
/// Bloom words for action trigrams (1536 bits: ~200 trigrams at <4% false hits).
pub const NGRAM_WORDS: usize = 24;

// Long-run weights: per-request statistics move over ~200 calls, hourly ones over ~50 active
// hours, calendar slots over a few weeks. Slow on purpose: a baseline an attacker can drag in an
// afternoon is no baseline.
const A_REQUEST: f64 = 0.005;
const A_MINUTE: f64 = 0.01;
const A_HOUR: f64 = 0.02;
const A_DAY: f64 = 0.1;
const A_HOW: f64 = 0.3;
const A_HOD: f64 = 0.15;
const A_DOW: f64 = 0.3;

/// Learned statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Requests learned from.
    pub requests: u64,
    /// First hour learned from.
    pub first_hour: Option<u64>,
    /// Last closed hour learned from.
    pub last_hour: u64,
    /// ln(bytes out + 1) per request.
    pub bytes_log: Ewma,
    /// Requests per active minute.
    pub minute_reqs: Ewma,
    /// Requests per active hour.
    pub hour_reqs: Ewma,
    /// Bytes per active hour.
    pub hour_bytes: Ewma,
    /// Bytes per active day.
    pub day_bytes: Ewma,
    /// Calendar slots: requests by hour of week, requests and bytes by hour of day, bytes by
    /// day of week.
    pub slots: Slots,
    /// Findings per active hour, per data class.
    pub findings: [Ewma; 7],
    /// Sensitive findings per active hour.
    pub sensitive: Ewma,
    /// Denials and errors per active hour.
    pub denials_errors: Ewma,
    /// Distinct destinations per active hour.
    pub distinct_dests: Ewma,
    /// Distinct models/tools per active hour.
    pub distinct_resources: Ewma,
    /// Novel action trigrams per active hour.
    pub novel_hour: Ewma,
    /// Share of calls whose action trigram was new (0..1).
    pub novelty: Ewma,
    /// Share of calls made in the identity's off-hours (0..1).
    pub off_hours: Ewma,
    /// Destinations ever used.
    pub dests: Bloom,
    /// Action trigrams ever made.
    pub ngrams: Bloom,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            requests: 0,
            first_hour: None,
            last_hour: 0,
            bytes_log: Ewma::default(),
            minute_reqs: Ewma::default(),
            hour_reqs: Ewma::default(),
            hour_bytes: Ewma::default(),
            day_bytes: Ewma::default(),
            slots: Slots::default(),
            findings: [Ewma::default(); 7],
            sensitive: Ewma::default(),
            denials_errors: Ewma::default(),
            distinct_dests: Ewma::default(),
            distinct_resources: Ewma::default(),
            novel_hour: Ewma::default(),
            novelty: Ewma::default(),
            off_hours: Ewma::default(),
            dests: Bloom::new(DEST_WORDS),
            ngrams: Bloom::new(NGRAM_WORDS),
        }
    }
}

impl Profile {
    /// Whether a decoded snapshot has the shapes this version relies on.
    pub fn is_well_formed(&self) -> bool {
        self.slots.is_well_formed()
            && self.dests.has_words(DEST_WORDS)
            && self.ngrams.has_words(NGRAM_WORDS)
    }

    /// Hours between the first learned hour and `hour`.
    pub fn span_hours(&self, hour: u64) -> u64 {
        self.first_hour.map_or(0, |f| hour.saturating_sub(f))
    }

    /// Learns per-request values.
    pub fn learn_request(
        &mut self,
        bytes: u64,
        dest: u64,
        trigram: Option<u64>,
        novel: bool,
        off: bool,
    ) {
        self.requests = self.requests.saturating_add(1);
        self.bytes_log
            .update(((bytes as f64) + 1.0).ln(), A_REQUEST);
        self.dests.insert(dest);
        if let Some(t) = trigram {
            self.ngrams.insert(t);
            self.novelty
                .update(if novel { 1.0 } else { 0.0 }, A_REQUEST);
        }
        self.off_hours
            .update(if off { 1.0 } else { 0.0 }, A_REQUEST);
    }

    /// Learns a closed active minute.
    pub fn learn_minute(&mut self, reqs: u32) {
        self.minute_reqs.update(f64::from(reqs), A_MINUTE);
    }

    /// Learns a closed hour; `idle` hours after it (first, count) had no traffic. Peer profiles
    /// pass no idle hours: their members' quiet hours are not observed.
    pub fn learn_hour(&mut self, h: &HourSummary, idle: (u64, u64)) {
        if self.first_hour.is_none() {
            self.first_hour = Some(h.hour);
        }
        self.last_hour = self.last_hour.max(h.hour + idle.1);
        let reqs = f64::from(h.reqs);
        let bytes = h.bytes as f64;
        if !h.flagged {
            self.slots
                .update(SLOT_HOW_REQS + hour_of_week(h.hour), reqs, A_HOW);
            self.slots
                .update(SLOT_HOD_REQS + hour_of_day(h.hour), reqs, A_HOD);
            self.slots
                .update(SLOT_HOD_BYTES + hour_of_day(h.hour), bytes, A_HOD);
        }
        for k in 0..idle.1 {
            let hour = idle.0 + k;
            self.slots
                .update(SLOT_HOW_REQS + hour_of_week(hour), 0.0, A_HOW);
            self.slots
                .update(SLOT_HOD_REQS + hour_of_day(hour), 0.0, A_HOD);
            self.slots
                .update(SLOT_HOD_BYTES + hour_of_day(hour), 0.0, A_HOD);
        }
        if h.reqs == 0 || h.flagged {
            return;
        }
        self.hour_reqs.update(reqs, A_HOUR);
        self.hour_bytes.update(bytes, A_HOUR);
        // Counts of sensitive data and refusals rise in bounded steps: an identity cannot teach
        // its baseline that bulk reads are normal in a few hours.
        for (e, n) in self.findings.iter_mut().zip(h.findings) {
            e.update_bounded(f64::from(n), A_HOUR);
        }
        self.sensitive
            .update_bounded(f64::from(h.sensitive), A_HOUR);
        self.denials_errors
            .update_bounded(f64::from(h.denials_errors), A_HOUR);
        self.distinct_dests.update(h.dests, A_HOUR);
        self.distinct_resources.update(h.resources, A_HOUR);
        self.novel_hour.update(f64::from(h.novel), A_HOUR);
    }

    /// Learns a closed day and the idle days after it.
    pub fn learn_day(&mut self, d: &DaySummary, idle: (u64, u64)) {
        if !d.flagged {
            self.slots
                .update(SLOT_DOW_BYTES + day_of_week(d.day), d.bytes as f64, A_DOW);
        }
        for k in 0..idle.1 {
            self.slots
                .update(SLOT_DOW_BYTES + day_of_week(idle.0 + k), 0.0, A_DOW);
        }
        if d.reqs > 0 && !d.flagged {
            self.day_bytes.update(d.bytes as f64, A_DAY);
        }
    }

    /// Expected requests in `hour`: the hour-of-week slot once a week has been seen, else the
    /// hour of day, else the active-hour mean.
    pub fn expected_hour_reqs(&self, hour: u64) -> f64 {
        let fallback = self.hour_reqs.mean();
        let hod = self.slots.get(SLOT_HOD_REQS + hour_of_day(hour));
        match (self.slots.get(SLOT_HOW_REQS + hour_of_week(hour)), hod) {
            (Some(w), Some(d)) if self.span_hours(hour) >= HOURS_PER_WEEK as u64 => w.max(0.5 * d),
            (_, Some(d)) => d,
            _ => fallback,
        }
    }

    /// Expected bytes in `hour` (hour of day), floored at a quarter of an active hour so a
    /// usually quiet hour does not turn every call into an anomaly.
    pub fn expected_hour_bytes(&self, hour: u64) -> f64 {
        let floor = 0.25 * self.hour_bytes.mean();
        self.slots
            .get(SLOT_HOD_BYTES + hour_of_day(hour))
            .unwrap_or(self.hour_bytes.mean())
            .max(floor)
    }

    /// Expected bytes on `day` (day of week once seen), floored at a third of an active day.
    pub fn expected_day_bytes(&self, day: u64) -> f64 {
        let mean = self.day_bytes.mean();
        self.slots
            .get(SLOT_DOW_BYTES + day_of_week(day))
            .unwrap_or(mean)
            .max(mean / 3.0)
    }

    /// Whether `hour` is outside the identity's usual hours (learned over at least a week).
    pub fn is_off_hours(&self, hour: u64) -> bool {
        self.span_hours(hour) >= HOURS_PER_WEEK as u64
            && self
                .slots
                .get(SLOT_HOW_REQS + hour_of_week(hour))
                .is_some_and(|w| w < 0.1 * self.hour_reqs.mean())
    }

    /// Expected requests in an off-hours slot (for the off-hours feature).
    pub fn slot_reqs(&self, hour: u64) -> f64 {
        self.slots
            .get(SLOT_HOW_REQS + hour_of_week(hour))
            .unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(h: u64, reqs: u32) -> HourSummary {
        HourSummary {
            hour: h,
            reqs,
            bytes: u64::from(reqs) * 100,
            findings: [0; 7],
            sensitive: 0,
            denials_errors: 0,
            dests: 1.0,
            resources: 1.0,
            novel: 0,
            flagged: false,
        }
    }

    #[test]
    fn hour_of_week_profile_learns_rhythm_and_idle_hours() {
        let mut p = Profile::default();
        // Two weeks: busy at 10:00 UTC every day, idle otherwise.
        let start = 24 * 4; // a Monday 00:00 (day 4 after the epoch)
        let mut last = None::<u64>;
        for d in 0..14u64 {
            let h = start + d * 24 + 10;
            let idle = match last {
                Some(l) => (l + 1, h - l - 1),
                None => (0, 0),
            };
            if let Some(l) = last {
                p.learn_hour(&hour(l, 40), idle);
            }
            last = Some(h);
        }
        let ten = start + 14 * 24 + 10;
        let three = start + 14 * 24 + 3;
        assert!(
            p.expected_hour_reqs(ten) > 30.0,
            "{}",
            p.expected_hour_reqs(ten)
        );
        assert!(p.expected_hour_reqs(three) < 1.0);
        assert!(p.is_off_hours(three));
        assert!(!p.is_off_hours(ten));
        assert!(p.is_well_formed());
    }
}
