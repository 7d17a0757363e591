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
        let n = f64::from(self.n);
        let alpha = (1.0 / (n + 1.0)).max(alpha_min);
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

    /// Mean as f64.
    pub fn mean(&self) -> f64 {
        f64::from(self.mean)
    }

    /// Standard deviation as f64.
    pub fn sd(&self) -> f64 {
        f64::from(self.var).max(0.0).sqrt()
    }
}

/// Updates one slot of a profile array (`< 0` means "never seen": the first sample sets it).
pub fn update_slot(slot: &mut f32, x: f64, alpha: f64) {
    if *slot < 0.0 {
        *slot = x as f32;
    } else {
        *slot = (f64::from(*slot) + alpha * (x - f64::from(*slot))) as f32;
    }
}

/// A slot's value, if it has been seen.
pub fn slot(values: &[f32], i: usize) -> Option<f64> {
    values.get(i).copied().filter(|v| *v >= 0.0).map(f64::from)
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
    fn slots_start_unseen() {
        let mut v = vec![-1.0f32; 2];
        assert_eq!(slot(&v, 0), None);
        update_slot(&mut v[0], 4.0, 0.5);
        update_slot(&mut v[0], 8.0, 0.5);
        assert_eq!(slot(&v, 0), Some(6.0));
        assert_eq!(slot(&v, 9), None);
        assert_eq!(doublings_over(8.0, 2.0), 2.0);
        assert_eq!(doublings_over(1.0, 2.0), 0.0);
    }
}
