//! Cumulative exposure of protected documents: per identity, destination class and document,
//! which content-word positions of the document have left over the last 24 hours (hourly
//! bitsets, as the 24-hour ring of `sliding.rs`). A document sent in chunks too small to be a
//! finding is refused once the share that left would pass `max_document_exposure`.

use crate::window::HOUR_MS;
use palisade_core::{DestinationClass, DocExposure, SpiffeId};
use parking_lot::Mutex;
use std::collections::HashMap;

/// Hours of the sliding window.
pub const WINDOW_HOURS: u64 = 24;
/// Bits per document bitset: a longer document is tracked at a coarser grain (positions are
/// scaled), so one ledger stays ≤ 24 × 1 KiB whatever the document's size.
pub const MAX_BITS: u32 = 8192;
/// Ledgers kept; past this the least recently used is dropped first (bounded memory).
pub const MAX_LEDGERS: usize = 65_536;

type Key = (SpiffeId, DestinationClass, String);

/// What one identity sent of one document to one destination class, hour by hour.
#[derive(Debug, Clone, Default)]
struct Ledger {
    bits: u32,
    /// (absolute hour, bitset), oldest first, at most `WINDOW_HOURS`.
    hours: Vec<(u64, Vec<u64>)>,
    last_ms: u64,
}

impl Ledger {
    fn expire(&mut self, hour: u64) {
        self.hours
            .retain(|(h, _)| hour.saturating_sub(*h) < WINDOW_HOURS);
    }

    fn union_into(&self, acc: &mut [u64]) {
        for (_, set) in &self.hours {
            for (a, s) in acc.iter_mut().zip(set) {
                *a |= s;
            }
        }
    }
}

/// Scales a document position into a bitset of `bits` bits.
fn bit_of(pos: u32, total: u32, bits: u32) -> usize {
    if total <= bits {
        pos as usize
    } else {
        (u64::from(pos) * u64::from(bits) / u64::from(total.max(1))) as usize
    }
}

fn set_bits(set: &mut [u64], x: &DocExposure, bits: u32) {
    for p in &x.covered {
        let b = bit_of(*p, x.total, bits);
        if let Some(w) = set.get_mut(b / 64) {
            *w |= 1 << (b % 64);
        }
    }
}

fn ones(set: &[u64]) -> u32 {
    set.iter().map(|w| w.count_ones()).sum()
}

/// The exposure ledgers of every identity.
#[derive(Debug)]
pub struct ExposureLedger {
    max_share: f64,
    ledgers: Mutex<HashMap<Key, Ledger>>,
}

impl ExposureLedger {
    /// A ledger refusing past `max_share` (0–1) of any protected document.
    pub fn new(max_share: f64) -> Self {
        Self {
            max_share,
            ledgers: Mutex::new(HashMap::new()),
        }
    }

    /// Checks a call about to leave for `dest`; records it unless it would pass the limit.
    /// Internal destinations are not limited. The share is counted over every destination
    /// outside the organization together, so splitting between external and vendor gains
    /// nothing. `Err(doc_id)` names the first document this call would expose past the limit;
    /// a refused call is not recorded (its content did not leave).
    pub fn check_and_record(
        &self,
        id: &SpiffeId,
        dest: DestinationClass,
        exposure: &[DocExposure],
        now_ms: u64,
    ) -> Result<(), String> {
        if dest == DestinationClass::Internal || exposure.is_empty() {
            return Ok(());
        }
        let hour = now_ms / HOUR_MS;
        let mut map = self.ledgers.lock();
        for x in exposure.iter().filter(|x| x.total > 0) {
            let bits = x.total.min(MAX_BITS);
            let mut acc = vec![0u64; (bits as usize).div_ceil(64)];
            for class in [DestinationClass::External, DestinationClass::Vendor] {
                if let Some(l) = map.get_mut(&(id.clone(), class, x.doc.clone())) {
                    l.expire(hour);
                    if l.bits == bits {
                        l.union_into(&mut acc);
                    }
                }
            }
            set_bits(&mut acc, x, bits);
            if f64::from(ones(&acc)) > self.max_share * f64::from(bits) {
                return Err(x.doc.clone());
            }
        }
        for x in exposure.iter().filter(|x| x.total > 0) {
            let bits = x.total.min(MAX_BITS);
            let words = (bits as usize).div_ceil(64);
            let l = map.entry((id.clone(), dest, x.doc.clone())).or_default();
            if l.bits != bits {
                // The document was re-added with another length: start over for it.
                *l = Ledger {
                    bits,
                    ..Ledger::default()
                };
            }
            l.last_ms = now_ms;
            if l.hours.last().map(|(h, _)| *h) != Some(hour) {
                l.hours.push((hour, vec![0u64; words]));
            }
            if let Some((_, set)) = l.hours.last_mut() {
                set_bits(set, x, bits);
            }
        }
        evict(&mut map, hour);
        Ok(())
    }

    /// Ledgers held (for tests and memory accounting).
    pub fn len(&self) -> usize {
        self.ledgers.lock().len()
    }

    /// Whether no ledger is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Keeps the map under `MAX_LEDGERS`: expired ledgers first, then the least recently used.
fn evict(map: &mut HashMap<Key, Ledger>, hour: u64) {
    if map.len() <= MAX_LEDGERS {
        return;
    }
    map.retain(|_, l| {
        l.expire(hour);
        !l.hours.is_empty()
    });
    while map.len() > MAX_LEDGERS {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, l)| l.last_ms)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        map.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> SpiffeId {
        "spiffe://corp.example/research/agent-7".parse().unwrap()
    }

    fn chunk(from: u32, to: u32) -> Vec<DocExposure> {
        vec![DocExposure {
            doc: "doc_roadmap".into(),
            covered: (from..to).collect(),
            total: 200,
        }]
    }

    #[test]
    fn chunks_add_up_to_a_refusal_before_the_limit_passes() {
        let l = ExposureLedger::new(0.2);
        let mut t = 0;
        let mut sent = 0;
        for c in 0..50 {
            t += 60_000;
            match l.check_and_record(
                &id(),
                DestinationClass::External,
                &chunk(c * 4, c * 4 + 4),
                t,
            ) {
                Ok(()) => sent += 4,
                Err(doc) => {
                    assert_eq!(doc, "doc_roadmap");
                    break;
                }
            }
        }
        assert_eq!(sent, 40, "exactly 20% of 200 positions left");
    }

    #[test]
    fn vendor_and_external_count_together_and_internal_is_free() {
        let l = ExposureLedger::new(0.2);
        assert!(l
            .check_and_record(&id(), DestinationClass::External, &chunk(0, 30), 1)
            .is_ok());
        assert!(l
            .check_and_record(&id(), DestinationClass::Vendor, &chunk(30, 50), 2)
            .is_err());
        assert!(l
            .check_and_record(&id(), DestinationClass::Internal, &chunk(0, 200), 3)
            .is_ok());
    }

    #[test]
    fn exposure_older_than_24_hours_no_longer_counts() {
        let l = ExposureLedger::new(0.2);
        assert!(l
            .check_and_record(&id(), DestinationClass::External, &chunk(0, 40), 0)
            .is_ok());
        let later = 23 * HOUR_MS;
        assert!(l
            .check_and_record(&id(), DestinationClass::External, &chunk(40, 41), later)
            .is_err());
        let day = 24 * HOUR_MS;
        assert!(l
            .check_and_record(&id(), DestinationClass::External, &chunk(40, 80), day)
            .is_ok());
    }

    #[test]
    fn long_documents_are_scaled_into_a_bounded_bitset() {
        let l = ExposureLedger::new(0.2);
        let big = |from: u32, to: u32| {
            vec![DocExposure {
                doc: "doc_big".into(),
                covered: (from..to).collect(),
                total: 100_000,
            }]
        };
        assert!(l
            .check_and_record(&id(), DestinationClass::External, &big(0, 19_000), 0)
            .is_ok());
        assert!(l
            .check_and_record(&id(), DestinationClass::External, &big(19_000, 22_000), 1)
            .is_err());
    }
}
