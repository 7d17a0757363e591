//! Cumulative exposure of a protected document ("split the document", issue 19): a chunk too
//! small to be a finding still reports the document positions it shares, so the gateway can
//! add the chunks of a day up. Uses the demo's synthetic roadmap.

mod common;
use common::*;
use palisade_core::{ApiKind, Exchange, Inspection, Inspector, LeafKind, TextLeaf};
use palisade_inspect::{protect_add, InspectConfig};
use std::collections::HashSet;

const ROADMAP: &str = include_str!("../../../examples/demo/research-roadmap.md");

fn inspect(e: &palisade_inspect::Engine, text: &str) -> Inspection {
    e.inspect(&Exchange {
        api: ApiKind::OpenAiChat,
        model: "m".into(),
        stream: false,
        leaves: vec![TextLeaf::new("/messages/0/content", LeafKind::User, text)],
        tools: vec![],
    })
}

fn roadmap_engine(dir: &std::path::Path) -> palisade_inspect::Engine {
    let p = dir.join("roadmap.md");
    std::fs::write(&p, ROADMAP).unwrap();
    protect_add(dir, &[p], KEY).unwrap();
    engine(&InspectConfig::default(), dir)
}

/// Share of the roadmap's content words covered by all `n`-word chunks together, and how many
/// chunks were findings on their own.
fn chunked(e: &palisade_inspect::Engine, n: usize) -> (f64, usize, usize) {
    let words: Vec<&str> = ROADMAP.split_whitespace().collect();
    let mut covered: HashSet<u32> = HashSet::new();
    let mut total = 0;
    let mut findings = 0;
    let chunks: Vec<String> = words.chunks(n).map(|c| c.join(" ")).collect();
    for c in &chunks {
        let i = inspect(e, c);
        findings += usize::from(!i.findings.is_empty());
        assert!(i.doc_exposure.len() <= 1, "one protected document");
        for x in &i.doc_exposure {
            assert!(x.doc.starts_with("doc_"));
            assert!(x.covered.iter().all(|p| *p < x.total));
            total = x.total;
            covered.extend(x.covered.iter().copied());
        }
    }
    assert!(total > 100, "the roadmap has more than 100 content words");
    (
        covered.len() as f64 / f64::from(total),
        findings,
        chunks.len(),
    )
}

#[test]
fn chunked_document_exposure_adds_up_below_the_finding_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let e = roadmap_engine(dir.path());
    for (n, min_share) in [(6, 0.9), (12, 0.95), (25, 0.97)] {
        let (share, findings, chunks) = chunked(&e, n);
        eprintln!("{n}-word chunks: {findings}/{chunks} findings, cumulative share {share:.3}");
        assert!(share >= min_share, "{n}-word chunks expose {share:.3}");
    }
    // The attack the issue measured: most 6-word chunks are no finding on their own.
    let (_, findings, chunks) = chunked(&e, 6);
    assert!(findings * 2 < chunks, "{findings}/{chunks}");
}

#[test]
fn unrelated_text_exposes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let e = roadmap_engine(dir.path());
    let i = inspect(
        &e,
        "Please summarize the cafeteria menu: lentil soup on Mondays, grilled fish on Fridays, \
         and a salad bar every day except during the holiday closure in December.",
    );
    assert!(i.doc_exposure.is_empty(), "{:?}", i.doc_exposure);
    assert!(i.findings.is_empty());
}
