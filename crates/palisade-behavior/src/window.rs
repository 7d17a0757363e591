//! Clock windows of one identity (what the profile learns from): the current minute, hour and
//! day, counted as events arrive. Features read the sliding windows (`sliding`) instead.
//! When event time crosses a boundary the closed window is summarised for the profile to learn;
//! time comes only from the observation (never the wall clock), so replays are deterministic.

use crate::sketch::LinearCounter;
use palisade_core::DataClass;
use serde::{Deserialize, Serialize};

/// Milliseconds per minute.
pub const MINUTE_MS: u64 = 60_000;
/// Milliseconds per hour.
pub const HOUR_MS: u64 = 3_600_000;
/// Milliseconds per day.
pub const DAY_MS: u64 = 86_400_000;
/// Hours in a week: the size of the hour-of-week profile.
pub const HOURS_PER_WEEK: usize = 168;

/// Index of a content data class in per-class arrays; classes that are not content
/// (`DataClass::CONTENT`) have no slot (`usize::MAX`, which every lookup treats as absent).
pub fn class_index(c: DataClass) -> usize {
    DataClass::CONTENT
        .iter()
        .position(|x| *x == c)
        .unwrap_or(usize::MAX)
}

/// Classes whose reading in bulk and sending out is the incident's pattern.
pub fn is_sensitive(c: DataClass) -> bool {
    matches!(
        c,
        DataClass::ProtectedDocument
            | DataClass::Payroll
            | DataClass::Secret
            | DataClass::Confidential
            | DataClass::Canary
    )
}

/// Hour-of-week slot (Monday 00:00 UTC = 0) of an absolute hour number.
pub fn hour_of_week(hour: u64) -> usize {
    // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
    let dow = (hour / 24 + 3) % 7;
    (dow * 24 + hour % 24) as usize
}

/// Hour of day (UTC) of an absolute hour number.
pub fn hour_of_day(hour: u64) -> usize {
    (hour % 24) as usize
}

/// Day of week (Monday = 0) of an absolute day number.
pub fn day_of_week(day: u64) -> usize {
    ((day + 3) % 7) as usize
}

/// Counters of the windows in progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Windows {
    /// Whether any event has been counted.
    pub started: bool,
    /// Absolute minute number of the current minute.
    pub minute: u64,
    /// Requests in the current minute.
    pub minute_reqs: u32,
    /// Absolute hour number of the current hour.
    pub hour: u64,
    /// Requests this hour.
    pub hour_reqs: u32,
    /// Bytes out this hour.
    pub hour_bytes: u64,
    /// Findings per data class this hour.
    pub hour_findings: [u32; 7],
    /// Findings of sensitive classes this hour.
    pub hour_sensitive: u32,
    /// Denied or failed calls this hour.
    pub hour_denials_errors: u32,
    /// Distinct destinations this hour.
    pub hour_dests: LinearCounter,
    /// Distinct models/tools this hour.
    pub hour_resources: LinearCounter,
    /// Never-seen action n-grams this hour.
    pub hour_novel: u32,
    /// A call this hour was stepped down or worse (the hour is not learned from).
    pub hour_flagged: bool,
    /// Absolute day number of the current day.
    pub day: u64,
    /// Requests today.
    pub day_reqs: u32,
    /// Bytes out today.
    pub day_bytes: u64,
    /// A call today was stepped down or worse (the day is not learned from).
    pub day_flagged: bool,
}

/// A closed hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourSummary {
    /// Absolute hour number.
    pub hour: u64,
    /// Requests.
    pub reqs: u32,
    /// Bytes out.
    pub bytes: u64,
    /// Findings per class.
    pub findings: [u32; 7],
    /// Sensitive findings.
    pub sensitive: u32,
    /// Denials and errors.
    pub denials_errors: u32,
    /// Distinct destinations.
    pub dests: f64,
    /// Distinct resources.
    pub resources: f64,
    /// Novel n-grams.
    pub novel: u32,
    /// Not to be learned from (an attack in progress must not become normal).
    pub flagged: bool,
}

/// A closed day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DaySummary {
    /// Absolute day number.
    pub day: u64,
    /// Requests.
    pub reqs: u32,
    /// Bytes out.
    pub bytes: u64,
    /// Not to be learned from.
    pub flagged: bool,
}

/// What crossing into a new time did to the windows.
#[derive(Debug, Default)]
pub struct Rolled {
    /// Requests of the closed (active) minute.
    pub minute: Option<u32>,
    /// The closed hour.
    pub hour: Option<HourSummary>,
    /// Idle hours between the closed hour and the new one (first, count), capped at a week.
    pub idle_hours: (u64, u64),
    /// The closed day.
    pub day: Option<DaySummary>,
    /// Idle days between the closed day and the new one (first, count), capped at a week.
    pub idle_days: (u64, u64),
}

impl Windows {
    /// Moves the windows to event time `t_ms`. Events older than the current window are
    /// counted in it (clock skew must not rewind learned state).
    pub fn roll(&mut self, t_ms: u64) -> Rolled {
        let (minute, hour, day) = (t_ms / MINUTE_MS, t_ms / HOUR_MS, t_ms / DAY_MS);
        let mut out = Rolled::default();
        if !self.started {
            self.started = true;
            self.minute = minute;
            self.hour = hour;
            self.day = day;
            return out;
        }
        if minute > self.minute {
            if self.minute_reqs > 0 {
                out.minute = Some(self.minute_reqs);
            }
            self.minute = minute;
            self.minute_reqs = 0;
        }
        if hour > self.hour {
            out.hour = Some(HourSummary {
                hour: self.hour,
                reqs: self.hour_reqs,
                bytes: self.hour_bytes,
                findings: self.hour_findings,
                sensitive: self.hour_sensitive,
                denials_errors: self.hour_denials_errors,
                dests: self.hour_dests.estimate(),
                resources: self.hour_resources.estimate(),
                novel: self.hour_novel,
                flagged: self.hour_flagged,
            });
            let idle = (hour - self.hour - 1).min(HOURS_PER_WEEK as u64);
            out.idle_hours = (self.hour + 1, idle);
            self.hour = hour;
            self.hour_reqs = 0;
            self.hour_bytes = 0;
            self.hour_findings = [0; 7];
            self.hour_sensitive = 0;
            self.hour_denials_errors = 0;
            self.hour_dests = LinearCounter::default();
            self.hour_resources = LinearCounter::default();
            self.hour_novel = 0;
            self.hour_flagged = false;
        }
        if day > self.day {
            out.day = Some(DaySummary {
                day: self.day,
                reqs: self.day_reqs,
                bytes: self.day_bytes,
                flagged: self.day_flagged,
            });
            out.idle_days = (self.day + 1, (day - self.day - 1).min(7));
            self.day = day;
            self.day_reqs = 0;
            self.day_bytes = 0;
            self.day_flagged = false;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_slots_match_known_dates() {
        // 2026-11-23 (a Monday) 10:00 UTC = 1795428000 s.
        let hour = 1_795_428_000 / 3600;
        assert_eq!(hour_of_week(hour), 10);
        assert_eq!(day_of_week(hour / 24), 0);
        assert_eq!(hour_of_day(hour), 10);
    }

    #[test]
    fn rolling_reports_closed_and_idle_windows() {
        let mut w = Windows::default();
        assert!(w.roll(0).hour.is_none());
        w.hour_reqs = 5;
        w.minute_reqs = 5;
        w.day_bytes = 10;
        let r = w.roll(3 * HOUR_MS + 1);
        assert_eq!(r.minute, Some(5));
        assert_eq!(r.hour.as_ref().map(|h| h.reqs), Some(5));
        assert_eq!(r.idle_hours, (1, 2));
        assert!(r.day.is_none());
        assert_eq!(w.hour_reqs, 0);
        // An event from the past stays in the current window.
        assert!(w.roll(HOUR_MS).hour.is_none());
        let r = w.roll(30 * DAY_MS);
        assert_eq!(r.day.map(|d| d.bytes), Some(10));
        assert_eq!(r.idle_days.1, 7);
        assert_eq!(r.idle_hours.1, HOURS_PER_WEEK as u64);
    }
}
