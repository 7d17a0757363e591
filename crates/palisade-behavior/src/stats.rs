//! Slowly adapting statistics: an exponentially weighted mean and variance whose weight starts
//! as a plain running average (fast learning while history is short) and settles at a floor
//! (slow adaptation afterwards, so an attacker cannot drag the baseline quickly). Stored as
//! `f32` to keep per-identity memory small; arithmetic is done in `f64`.

use serde::{Deserialize, Serialize};

/// EWMA of mean and variance with a count of samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Ewma {
    /// Mean.
    pub mean: f32,
    /// Variance.
    pub var: f32,
    /// Samples seen (saturating).
    pub n: u32,
}

impl Ewma {
    /// Adds a sample; `alpha_min` is the long-run weight of a new sample.
    pub fn update(&mut self, x: f64, alpha_min: f64) {
        if !x.is_finite() {
            return;
        }
        let alpha = self.alpha(alpha_min);
        let mean = f64::from(self.mean);
        let diff = x - mean;
        let incr = alpha * diff;
        let new_mean = mean + incr;
        // West's incremental EWMA variance.
        let new_var = (1.0 - alpha) * (f64::from(self.var) + diff * incr);
        self.mean = new_mean as f32;
        self.var = new_var.max(0.0) as f32;
        self.n = self.n.saturating_add(1);
    }

    /// Adds a sample whose upward pull is bounded: the mean rises by at most
    /// `1 + mean / 4` per sample (falling is not bounded). Used for counts of sensitive data,
    /// so no single hour — not even the first — can set what is usual: 45 findings in the
    /// first hour move the mean to 1, not to 45.
    pub fn update_bounded(&mut self, x: f64, alpha_min: f64) {
        if !x.is_finite() {
            return;
        }
        let mean = f64::from(self.mean);
        self.update(
            x.min(mean + (1.0 + mean / 4.0) / self.alpha(alpha_min)),
            alpha_min,
        );
    }

    fn alpha(&self, alpha_min: f64) -> f64 {
        (1.0 / (f64::from(self.n) + 1.0)).max(alpha_min)
    }

    /// Mean as f64.
    pub fn mean(&self) -> f64 {
        f64::from(self.mean)
    }

    /// Standard deviation as f64.
    pub fn sd(&self) -> f64 {
        f64::from(self.var).max(0.0).sqrt()
    }
}

/// Offset of the 168 hour-of-week request slots.
pub const SLOT_HOW_REQS: usize = 0;
/// Offset of the 24 hour-of-day request slots.
pub const SLOT_HOD_REQS: usize = 168;
/// Offset of the 24 hour-of-day byte slots.
pub const SLOT_HOD_BYTES: usize = 192;
/// Offset of the 7 day-of-week byte slots.
pub const SLOT_DOW_BYTES: usize = 216;
/// Total slots.
pub const SLOTS_LEN: usize = 223;
const UNSEEN: u16 = u16::MAX;
// 1/1024 of a doubling: 0.07% resolution, range up to 2^64.
const STEPS_PER_DOUBLING: f64 = 1024.0;

/// Every calendar profile slot in one allocation, each log-quantised into a `u16` (`u16::MAX`
/// = not seen yet). Halves the memory of `f32` slots at a resolution far below the noise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slots(Vec<u16>);

impl Default for Slots {
    fn default() -> Self {
        Self(vec![UNSEEN; SLOTS_LEN])
    }
}

impl Slots {
    /// Whether a decoded snapshot has the expected length.
    pub fn is_well_formed(&self) -> bool {
        self.0.len() == SLOTS_LEN
    }

    /// Heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.0.capacity() * 2
    }

    /// The slot's value, if seen.
    pub fn get(&self, i: usize) -> Option<f64> {
        self.0
            .get(i)
            .copied()
            .filter(|q| *q != UNSEEN)
            .map(|q| (f64::from(q) / STEPS_PER_DOUBLING).exp2() - 1.0)
    }

    /// Moves the slot towards `x` by `alpha` (the first sample sets it).
    pub fn update(&mut self, i: usize, x: f64, alpha: f64) {
        let new = match self.get(i) {
            None => x,
            Some(old) => old + alpha * (x - old),
        };
        if let Some(q) = self.0.get_mut(i) {
            let v = ((new.max(0.0) + 1.0).log2() * STEPS_PER_DOUBLING).round();
            *q = v.clamp(0.0, f64::from(UNSEEN - 1)) as u16;
        }
    }
}

/// `log2(x / threshold)` when `x` exceeds the threshold, else 0: how many doublings beyond the
/// tolerated ratio.
pub fn doublings_over(x: f64, threshold: f64) -> f64 {
    if x > threshold && threshold > 0.0 {
        (x / threshold).log2()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewma_learns_mean_and_variance() {
        let mut e = Ewma::default();
        for i in 0..10_000 {
            e.update(if i % 2 == 0 { 9.0 } else { 11.0 }, 0.01);
        }
        assert!((e.mean() - 10.0).abs() < 0.1, "{}", e.mean());
        assert!((e.sd() - 1.0).abs() < 0.1, "{}", e.sd());
        e.update(f64::NAN, 0.01);
        assert!(e.mean().is_finite());
    }

    #[test]
    fn bounded_updates_cannot_set_the_first_hour_outright() {
        let mut e = Ewma::default();
        e.update_bounded(45.0, 0.02);
        assert!((e.mean() - 1.0).abs() < 1e-6, "{}", e.mean());
        e.update_bounded(45.0, 0.02);
        assert!(e.mean() <= 1.0 + 1.25 + 1e-6, "{}", e.mean());
        // Small honest counts are learned as they are; falling is immediate.
        let mut f = Ewma::default();
        f.update_bounded(0.5, 0.02);
        assert!((f.mean() - 0.5).abs() < 1e-6);
        f.update_bounded(0.0, 0.02);
        assert!(f.mean() < 0.5);
    }

    #[test]
    fn quantised_slots_keep_values_closely() {
        let mut s = Slots::default();
        assert_eq!(s.get(3), None);
        s.update(3, 40.0, 0.3);
        assert!((s.get(3).unwrap() - 40.0).abs() < 0.05);
        s.update(3, 0.0, 0.3);
        assert!((s.get(3).unwrap() - 28.0).abs() < 0.05);
        s.update(SLOT_DOW_BYTES + 6, 9.0e12, 0.3);
        assert!((s.get(SLOT_DOW_BYTES + 6).unwrap() / 9.0e12 - 1.0).abs() < 0.001);
        s.update(SLOTS_LEN + 5, 1.0, 0.3);
        assert_eq!(s.get(SLOTS_LEN + 5), None);
    }

    #[test]
    fn doublings_count_only_beyond_the_threshold() {
        assert_eq!(doublings_over(8.0, 2.0), 2.0);
        assert_eq!(doublings_over(1.0, 2.0), 0.0);
    }
}
