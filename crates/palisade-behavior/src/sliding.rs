//! Sliding windows of one identity, which every rate and "X then Y" feature reads: the last
//! 60 seconds (10-second buckets), the last 60 minutes (5-minute buckets) and the last 24 hours
//! (hourly buckets). Unlike clock buckets, crossing an hour or day boundary changes nothing:
//! six findings at 07:58:59 and an external call at 08:00:07 sit in the same window. Fixed
//! arrays, so memory per identity stays bounded (~1.1 KiB).

use crate::sketch::LinearCounter;
use crate::window::{HOUR_MS, MINUTE_MS};
use serde::{Deserialize, Serialize};

/// Width of a bucket of the 60-minute window.
pub const BUCKET_MS: u64 = 5 * MINUTE_MS;
/// Buckets of the 60-minute window.
pub const HOUR_BUCKETS: usize = 12;
/// Width of a bucket of the 60-second window.
pub const TICK_MS: u64 = 10_000;
/// Buckets of the 60-second window.
pub const MINUTE_TICKS: usize = 6;
/// Buckets (hours) of the 24-hour window.
pub const DAY_BUCKETS: usize = 24;

/// Counts of one 5-minute bucket. `slot` is the absolute bucket number plus one (0 = unused).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Absolute bucket number + 1.
    pub slot: u32,
    /// Requests.
    pub reqs: u16,
    /// Findings per content class.
    pub findings: [u16; 7],
    /// Sensitive findings.
    pub sensitive: u16,
    /// Denied or failed calls.
    pub denials_errors: u16,
    /// Never-seen action trigrams.
    pub novel: u16,
    /// Refused calls that carried sensitive data to a destination outside the organization.
    pub refused_exfil: u16,
    /// Bytes out.
    pub bytes: u64,
    /// Distinct destinations.
    pub dests: LinearCounter,
    /// Distinct models/tools.
    pub resources: LinearCounter,
}

/// Requests and bytes of one hour of the 24-hour window (`slot` = absolute hour + 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourBucket {
    /// Absolute hour + 1.
    pub slot: u32,
    /// Requests.
    pub reqs: u32,
    /// Bytes out.
    pub bytes: u64,
}

/// The three rings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sliding {
    /// Last 60 seconds: (absolute tick + 1, requests).
    pub ticks: [(u32, u32); MINUTE_TICKS],
    /// Last 60 minutes.
    pub buckets: [Bucket; HOUR_BUCKETS],
    /// Last 24 hours.
    pub hours: [HourBucket; DAY_BUCKETS],
}

/// What the windows hold at one instant: the values features compare with the baseline.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Recent {
    /// Requests in the last 60 seconds.
    pub minute_reqs: u32,
    /// Requests in the last 60 minutes.
    pub hour_reqs: u32,
    /// Bytes in the last 60 minutes.
    pub hour_bytes: u64,
    /// Findings per class in the last 60 minutes.
    pub findings: [u32; 7],
    /// Sensitive findings in the last 60 minutes.
    pub sensitive: u32,
    /// Denials and errors in the last 60 minutes.
    pub denials_errors: u32,
    /// Novel trigrams in the last 60 minutes.
    pub novel: u32,
    /// Refused exfiltration attempts in the last 60 minutes.
    pub refused_exfil: u32,
    /// Distinct destinations in the last 60 minutes.
    pub dests: LinearCounter,
    /// Distinct resources in the last 60 minutes.
    pub resources: LinearCounter,
    /// Requests in the last 24 hours.
    pub day_reqs: u32,
    /// Bytes in the last 24 hours.
    pub day_bytes: u64,
}

fn slot_of(t_ms: u64, width: u64) -> u32 {
    u32::try_from(t_ms / width + 1).unwrap_or(u32::MAX)
}

/// Index of a slot in a ring of `n` entries.
fn ring_index(slot: u32, n: usize) -> usize {
    (slot as usize) % n
}

impl Sliding {
    /// The bucket for `t_ms`, reset if it held an older period. Events older than the bucket
    /// now occupying their place are counted in it (skew must not rewind state).
    pub fn bucket(&mut self, t_ms: u64) -> &mut Bucket {
        let slot = slot_of(t_ms, BUCKET_MS);
        let i = ring_index(slot, HOUR_BUCKETS);
        let b = &mut self.buckets[i];
        if b.slot < slot {
            *b = Bucket {
                slot,
                ..Bucket::default()
            };
        }
        b
    }

    /// Counts one request of `bytes` at `t_ms` in the minute and day rings (the hour ring is
    /// filled through [`Sliding::bucket`]).
    pub fn count_request(&mut self, t_ms: u64, bytes: u64) {
        let tick = slot_of(t_ms, TICK_MS);
        let e = &mut self.ticks[ring_index(tick, MINUTE_TICKS)];
        if e.0 < tick {
            *e = (tick, 0);
        }
        e.1 = e.1.saturating_add(1);
        let hour = slot_of(t_ms, HOUR_MS);
        let h = &mut self.hours[ring_index(hour, DAY_BUCKETS)];
        if h.slot < hour {
            *h = HourBucket {
                slot: hour,
                ..HourBucket::default()
            };
        }
        h.reqs = h.reqs.saturating_add(1);
        h.bytes = h.bytes.saturating_add(bytes);
        let b = self.bucket(t_ms);
        b.reqs = b.reqs.saturating_add(1);
        b.bytes = b.bytes.saturating_add(bytes);
    }

    /// The sums over each window ending at `t_ms`.
    pub fn recent(&self, t_ms: u64) -> Recent {
        let mut r = Recent::default();
        let tick = slot_of(t_ms, TICK_MS);
        r.minute_reqs = self
            .ticks
            .iter()
            .filter(|(s, _)| *s + MINUTE_TICKS as u32 > tick)
            .map(|(_, n)| *n)
            .sum();
        let now = slot_of(t_ms, BUCKET_MS);
        for b in self
            .buckets
            .iter()
            .filter(|b| b.slot != 0 && b.slot + HOUR_BUCKETS as u32 > now)
        {
            r.hour_reqs += u32::from(b.reqs);
            r.hour_bytes = r.hour_bytes.saturating_add(b.bytes);
            for (a, x) in r.findings.iter_mut().zip(b.findings) {
                *a += u32::from(x);
            }
            r.sensitive += u32::from(b.sensitive);
            r.denials_errors += u32::from(b.denials_errors);
            r.novel += u32::from(b.novel);
            r.refused_exfil += u32::from(b.refused_exfil);
            r.dests.0 |= b.dests.0;
            r.resources.0 |= b.resources.0;
        }
        let hour = slot_of(t_ms, HOUR_MS);
        for h in self
            .hours
            .iter()
            .filter(|h| h.slot != 0 && h.slot + DAY_BUCKETS as u32 > hour)
        {
            r.day_reqs = r.day_reqs.saturating_add(h.reqs);
            r.day_bytes = r.day_bytes.saturating_add(h.bytes);
        }
        r
    }

    /// Forgets everything (a release: the evidence that led to the quarantine is spent).
    pub fn clear(&mut self) {
        *self = Sliding::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_slide_across_clock_boundaries() {
        let mut s = Sliding::default();
        // 07:58:59 and 08:00:07 of some day.
        let t0 = 100 * HOUR_MS + 58 * MINUTE_MS + 59_000;
        s.count_request(t0, 10);
        s.bucket(t0).sensitive += 6;
        let t1 = 101 * HOUR_MS + 7_000;
        s.count_request(t1, 10);
        let r = s.recent(t1);
        assert_eq!((r.hour_reqs, r.sensitive, r.hour_bytes), (2, 6, 20));
        assert_eq!(r.day_reqs, 2);
        assert_eq!(r.minute_reqs, 1, "68 s apart: not the same minute window");
        // An hour later the gathering has left the 60-minute window but not the day.
        let r = s.recent(t0 + HOUR_MS + MINUTE_MS);
        assert_eq!((r.hour_reqs, r.sensitive), (1, 0));
        assert_eq!(r.day_reqs, 2);
        assert_eq!(s.recent(t1 + 25 * HOUR_MS).day_reqs, 0);
        s.clear();
        assert_eq!(s.recent(t1), Recent::default());
    }

    #[test]
    fn reused_ring_slots_are_reset() {
        let mut s = Sliding::default();
        s.count_request(0, 5);
        s.count_request(HOUR_MS, 7); // same ring index, an hour later
        let r = s.recent(HOUR_MS);
        assert_eq!((r.hour_reqs, r.hour_bytes), (1, 7));
    }
}
