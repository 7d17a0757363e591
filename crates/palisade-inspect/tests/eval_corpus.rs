//! Recall and false-positive rate of the secret detectors on the evaluation corpus in
//! `tests/fixtures/inspect-eval/` (credentials shaped from providers' published formats, with
//! hard negatives; see its PROVENANCE.md), per family, with the floors this project commits to.
//! The corpus is this project's own, not held out: the figures are a floor check, not a claim.

mod common;

use palisade_core::{DataClass, LeafKind};
use palisade_inspect::rules::kind_of;
use palisade_inspect::InspectConfig;
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Row {
    family: String,
    service: String,
    label: bool,
    text: String,
}

#[test]
fn secret_recall_and_false_positives_on_the_eval_corpus() {
    let path = palisade_core::fixtures::fixtures_dir().join("inspect-eval/corpus.jsonl");
    let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dir = tempfile::tempdir().unwrap();
    let engine = common::engine(&InspectConfig::default(), dir.path());
    // family -> (samples, flagged)
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut services = std::collections::BTreeSet::new();
    let mut missed: Vec<String> = Vec::new();
    let (mut pos, mut hit, mut neg, mut fp) = (0usize, 0usize, 0usize, 0usize);
    // Which detection layer caught each positive (the first secret finding's rule).
    let mut by_layer: BTreeMap<&'static str, usize> = BTreeMap::new();
    for line in body.lines() {
        let row: Row = serde_json::from_str(line).unwrap();
        let findings = engine.scan_text("/eval", LeafKind::User, &row.text);
        let secret_ids: Vec<&str> = findings
            .iter()
            .filter(|f| f.data_class == DataClass::Secret)
            .map(|f| f.detector.as_str())
            .collect();
        let flagged = !secret_ids.is_empty();
        let e = per.entry(row.family.clone()).or_default();
        e.0 += 1;
        e.1 += usize::from(flagged);
        if row.label {
            pos += 1;
            hit += usize::from(flagged);
            if let Some(k) = secret_ids.first().and_then(|id| kind_of(id)) {
                *by_layer.entry(k.as_str()).or_default() += 1;
            }
            services.insert(row.service.clone());
            if !flagged {
                missed.push(format!("{}: {}", row.family, row.text.replace('\n', "\\n")));
            }
        } else {
            neg += 1;
            fp += usize::from(flagged);
            if flagged {
                missed.push(format!(
                    "FP {secret_ids:?}: {}",
                    row.text.replace('\n', "\\n")
                ));
            }
        }
    }
    println!("| family | samples | flagged | rate |\n|---|---:|---:|---:|");
    for (f, (n, k)) in &per {
        println!("| {f} | {n} | {k} | {:.3} |", *k as f64 / *n as f64);
    }
    let recall = hit as f64 / pos as f64;
    let fp_rate = fp as f64 / neg as f64;
    println!(
        "positives {pos} over {} services: recall {recall:.3}; hard negatives {neg}: false positives {fp} ({fp_rate:.3})",
        services.len()
    );
    println!("caught by layer: {by_layer:?}");
    if std::env::var_os("EVAL_SHOW_MISSES").is_some() {
        println!("{}", missed.join("\n"));
    }
    assert!(recall >= 0.70, "recall {recall:.3} < 0.70");
    assert!(fp_rate <= 0.10, "false-positive rate {fp_rate:.3} > 0.10");
}
