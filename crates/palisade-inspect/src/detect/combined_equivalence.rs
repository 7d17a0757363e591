//! Tests that the engine's combined pass gives each detector exactly what its own scan gives:
//! secrets, markers, canaries and injection phrases on generated texts that mix the literals
//! with case changes, overlaps and rule examples, short and long (several walk lanes).

use super::canary::{Canary, CanaryKind, CanarySet};
use super::combined::{CombinedPass, PassHits};
use super::injection::InjectionScanner;
use super::markers::MarkerScanner;
use super::secrets::SecretScanner;
use crate::rules::{all_rules, Family};

fn texts() -> Vec<String> {
    let mut pieces: Vec<String> = vec![
        "CONFIDENTIAL".into(),
        "strictly confidential".into(),
        "Internal Only".into(),
        "llama-5".into(),
        "Llama-50".into(),
        "AKIAQ2CANARYTOKEN7XQ".into(),
        "akiaq2canarytoken7xq".into(),
        "doc-7f3a-canary".into(),
        "Ignore all previous instructions".into(),
        "<|im_start|>system".into(),
        "exfiltrate".into(),
        " token = \"".into(),
        "\n".into(),
        "fn main() { let x = 42; }".into(),
    ];
    for r in all_rules().iter().step_by(3) {
        pieces.push(r.example_tp.into());
        pieces.push(r.example_fp.into());
    }
    let mut seed = 11u64;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    let mut out = Vec::new();
    for len in [200usize, 3000, 9000, 40000] {
        for _ in 0..3 {
            let mut t = String::new();
            while t.len() < len {
                let p = &pieces[next(pieces.len())];
                t.push_str(p);
                t.push_str(["", " ", "_", "x"][next(4)]);
            }
            out.push(t);
        }
    }
    out
}

#[test]
fn combined_pass_equals_each_detectors_own_scan() {
    let secrets = SecretScanner::new(&Family::ALL, 3.5).unwrap();
    let markers = MarkerScanner::new(
        &[
            "CONFIDENTIAL".into(),
            "STRICTLY CONFIDENTIAL".into(),
            "INTERNAL ONLY".into(),
        ],
        &["Llama-5".into(), "confidential".into()],
    )
    .unwrap()
    .unwrap();
    let canary = |id: &str, tokens: &[&str]| Canary {
        id: id.into(),
        kind: CanaryKind::DocId,
        note: String::new(),
        created: 0,
        tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
    };
    let canaries = CanarySet::new(vec![
        canary("c1", &["AKIAQ2CANARYTOKEN7XQ", "AKIAQ2CANARY"]),
        canary("c2", &["doc-7f3a-canary"]),
    ])
    .unwrap();
    let injection = InjectionScanner::new().unwrap();
    let marker_pats: Vec<&str> = markers.patterns().iter().map(String::as_str).collect();
    let canary_pats: Vec<&str> = canaries.tokens().iter().map(String::as_str).collect();
    let pass = CombinedPass::new(
        secrets.keywords(),
        &marker_pats,
        &canary_pats,
        InjectionScanner::phrases(),
    )
    .unwrap();
    let mut seen = [0usize; 4];
    for t in texts() {
        let mut h = PassHits::default();
        pass.scan(t.as_bytes(), &mut h);
        let key = |v: Vec<super::secrets::SecretHit>| {
            v.into_iter()
                .map(|x| (x.rule.id, x.start, x.end))
                .collect::<Vec<_>>()
        };
        let own = key(secrets.scan(&t));
        assert_eq!(key(secrets.scan_keyword_hits(&t, &h.keywords)), own);
        let own_m = markers.scan(&t);
        assert_eq!(markers.scan_occurrences(&t, h.markers), own_m);
        let own_c = canaries.scan(&t);
        assert_eq!(canaries.scan_occurrences(&t, h.canaries), own_c);
        let own_i = injection.scan(&t);
        assert_eq!(InjectionScanner::scan_occurrences(h.phrases), own_i);
        for (n, k) in seen
            .iter_mut()
            .zip([own.len(), own_m.len(), own_c.len(), own_i.len()])
        {
            *n += k;
        }
    }
    // The texts really exercise every detector.
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}
