//! Data-flow taint: the labels (confidential data classes, untrusted sources) that content
//! delivered to a caller carried, each held for a lifetime. A session's taint becomes a Cedar
//! context attribute of its later calls, so an agent that read the roadmap through one tool is
//! refused an external tool afterwards even when its summary matches no detector.

use palisade_core::DataClass;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// One taint label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaintLabel {
    /// Content of this data class reached the caller.
    Class(DataClass),
    /// A result came from a tool the operator marked `untrusted_source`.
    UntrustedSource,
}

impl TaintLabel {
    /// The label as policy sees it: the data class name, or `untrusted_source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Class(c) => c.as_str(),
            Self::UntrustedSource => "untrusted_source",
        }
    }
}

impl fmt::Display for TaintLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which delivered data classes taint, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaintPolicy {
    /// Classes that taint when delivered.
    pub classes: Vec<DataClass>,
    /// How long a label holds after its last sighting.
    pub lifetime: Duration,
}

impl Default for TaintPolicy {
    /// The confidential classes of issue 16 (protected documents, classification markers,
    /// payroll, secrets), held for one hour.
    fn default() -> Self {
        Self {
            classes: vec![
                DataClass::Secret,
                DataClass::Payroll,
                DataClass::Confidential,
                DataClass::ProtectedDocument,
            ],
            lifetime: Duration::from_secs(3600),
        }
    }
}

impl TaintPolicy {
    /// The labels that content with `found` classes from a (possibly untrusted) source adds.
    pub fn labels(&self, found: &[DataClass], untrusted_source: bool) -> Vec<TaintLabel> {
        let mut out: Vec<TaintLabel> = found
            .iter()
            .filter(|c| self.classes.contains(c))
            .map(|c| TaintLabel::Class(*c))
            .collect();
        if untrusted_source {
            out.push(TaintLabel::UntrustedSource);
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Labels with the time (ms since the epoch) until which each holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaintSet {
    until_ms: BTreeMap<TaintLabel, u64>,
}

impl TaintSet {
    /// Adds (or refreshes) `labels` at `now_ms` for `lifetime`; a label never gets shorter.
    pub fn add(&mut self, labels: &[TaintLabel], now_ms: u64, lifetime: Duration) {
        let until = now_ms.saturating_add(u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX));
        for l in labels {
            let e = self.until_ms.entry(*l).or_insert(until);
            *e = (*e).max(until);
        }
    }

    /// The labels holding at `now_ms`, sorted: the `taint` context attribute.
    pub fn active(&self, now_ms: u64) -> Vec<TaintLabel> {
        self.until_ms
            .iter()
            .filter(|(_, until)| **until > now_ms)
            .map(|(l, _)| *l)
            .collect()
    }

    /// Merges another set (e.g. the identity's taint into a session's), keeping the later expiry.
    pub fn merge(&mut self, other: &TaintSet) {
        for (l, until) in &other.until_ms {
            let e = self.until_ms.entry(*l).or_insert(*until);
            *e = (*e).max(*until);
        }
    }

    /// Drops expired labels.
    pub fn purge(&mut self, now_ms: u64) {
        self.until_ms.retain(|_, until| *until > now_ms);
    }
}

/// Taint per identity, across model and tool calls and across MCP sessions (an agent that
/// read the roadmap through a tool must not send it out through a model call either). Bounded
/// at `max_identities`: when full, expired entries are purged; live taint is never evicted to
/// make room (that would let a caller wash its taint by flooding), so `add` reports failure and
/// the caller fails closed.
#[derive(Debug)]
pub struct TaintLedger {
    max_identities: usize,
    inner: parking_lot::Mutex<std::collections::HashMap<palisade_core::SpiffeId, TaintSet>>,
}

impl TaintLedger {
    /// A ledger holding at most `max_identities` identities.
    pub fn new(max_identities: usize) -> Self {
        Self {
            max_identities,
            inner: parking_lot::Mutex::new(Default::default()),
        }
    }

    /// Adds labels to an identity; `false` when the ledger is full of live taint (fail closed:
    /// the caller refuses what the taint would refuse).
    pub fn add(
        &self,
        who: &palisade_core::SpiffeId,
        labels: &[TaintLabel],
        now_ms: u64,
        lifetime: Duration,
    ) -> bool {
        if labels.is_empty() {
            return true;
        }
        let mut m = self.inner.lock();
        if !m.contains_key(who) && m.len() >= self.max_identities {
            m.retain(|_, t| {
                t.purge(now_ms);
                !t.until_ms.is_empty()
            });
            if m.len() >= self.max_identities {
                return false;
            }
        }
        m.entry(who.clone())
            .or_default()
            .add(labels, now_ms, lifetime);
        true
    }

    /// The labels holding for an identity now.
    pub fn active(&self, who: &palisade_core::SpiffeId, now_ms: u64) -> Vec<TaintLabel> {
        self.inner
            .lock()
            .get(who)
            .map(|t| t.active(now_ms))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roadmap_read_taints_until_lifetime_ends() {
        let p = TaintPolicy::default();
        let mut t = TaintSet::default();
        // A tool result carried the protected roadmap and some PII (PII does not taint here).
        let labels = p.labels(&[DataClass::Pii, DataClass::ProtectedDocument], false);
        assert_eq!(
            labels,
            vec![TaintLabel::Class(DataClass::ProtectedDocument)]
        );
        t.add(&labels, 1_000, Duration::from_secs(10));
        assert_eq!(t.active(1_000), labels);
        assert_eq!(t.active(10_999), labels);
        assert!(t.active(11_000).is_empty());
    }

    #[test]
    fn untrusted_source_taints_and_refresh_never_shortens() {
        let p = TaintPolicy::default();
        let labels = p.labels(&[], true);
        assert_eq!(labels, vec![TaintLabel::UntrustedSource]);
        assert_eq!(labels[0].as_str(), "untrusted_source");
        let mut t = TaintSet::default();
        t.add(&labels, 0, Duration::from_secs(100));
        t.add(&labels, 10_000, Duration::from_secs(1));
        assert_eq!(t.active(99_999), labels);
        let mut other = TaintSet::default();
        other.add(
            &[TaintLabel::Class(DataClass::Secret)],
            0,
            Duration::from_secs(5),
        );
        t.merge(&other);
        assert_eq!(t.active(1).len(), 2);
        t.purge(6_000);
        assert_eq!(t.active(6_000), labels);
    }

    #[test]
    fn identity_taint_spans_calls_and_a_full_ledger_fails_closed() {
        let l = TaintLedger::new(1);
        let a: palisade_core::SpiffeId = "spiffe://lab.example/research/a".parse().unwrap();
        let b: palisade_core::SpiffeId = "spiffe://lab.example/research/b".parse().unwrap();
        let label = [TaintLabel::Class(DataClass::ProtectedDocument)];
        assert!(l.add(&a, &label, 0, Duration::from_secs(10)));
        assert_eq!(l.active(&a, 5_000), label);
        assert!(l.active(&b, 5_000).is_empty());
        // Full of live taint: b's taint cannot be recorded, and the caller is told so.
        assert!(!l.add(&b, &label, 5_000, Duration::from_secs(10)));
        // Once a's taint expires, its slot is reused.
        assert!(l.add(&b, &label, 10_000, Duration::from_secs(10)));
        assert!(l.active(&a, 10_000).is_empty());
    }
}
