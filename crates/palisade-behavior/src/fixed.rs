//! The fixed rules: features judged against an empty baseline, so nothing an identity does
//! while it learns can teach them away — sensitive data then an external call, bulk reads of
//! protected data, canaries, refused exfiltration attempts. They act while an identity
//! learns, while it is judged by its peers, and while its learned baseline awaits review.

use crate::features::{contributions, CallFacts, Contribution, FeatureId};
use crate::profile::Profile;
use crate::sliding::Recent;
use crate::window::is_sensitive;
use std::sync::OnceLock;

/// The baseline of an identity that never did anything: the fixed rules' reference.
pub fn empty_profile() -> &'static Profile {
    static EMPTY: OnceLock<Profile> = OnceLock::new();
    EMPTY.get_or_init(Profile::default)
}

/// Whether a feature is a fixed rule.
pub fn is_fixed(f: FeatureId) -> bool {
    match f {
        FeatureId::Findings(c) => is_sensitive(c),
        FeatureId::SensitiveThenExternal | FeatureId::RefusedExfiltration => true,
        _ => false,
    }
}

/// The fixed rules' contributions for a call, largest first.
pub fn fixed_contributions(r: &Recent, f: &CallFacts<'_>) -> Vec<Contribution> {
    let mut v = contributions(empty_profile(), r, f);
    v.retain(|c| is_fixed(c.feature));
    v
}

/// Learned and fixed contributions together: per feature the larger one, largest first.
pub fn merge(mut learned: Vec<Contribution>, fixed: Vec<Contribution>) -> Vec<Contribution> {
    for c in fixed {
        match learned.iter_mut().find(|l| l.feature == c.feature) {
            Some(l) => l.points = l.points.max(c.points),
            None => learned.push(c),
        }
    }
    learned.sort_by(|a, b| b.points.total_cmp(&a.points));
    learned
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::DataClass;

    #[test]
    fn merge_keeps_the_larger_contribution_per_feature() {
        let c = |feature, points| Contribution { feature, points };
        let m = merge(
            vec![
                c(FeatureId::OffHours, 3.0),
                c(FeatureId::SensitiveThenExternal, 1.0),
            ],
            vec![c(FeatureId::SensitiveThenExternal, 30.0)],
        );
        assert_eq!(m[0], c(FeatureId::SensitiveThenExternal, 30.0));
        assert_eq!(m.len(), 2);
        assert!(is_fixed(FeatureId::Findings(DataClass::Canary)));
        assert!(!is_fixed(FeatureId::Findings(DataClass::Pii)));
        assert!(!is_fixed(FeatureId::RequestRateMinute));
    }
}
