//! Property tests: the engine never panics on arbitrary (including non-ASCII and invisible)
//! text, redaction output is always valid and never contains the secret, and streaming with
//! any chunking yields the same text as redacting the whole message at once.

mod common;
use common::*;
use palisade_core::{Inspector, LeafKind, TextLeaf};
use palisade_inspect::{apply_redactions, InspectConfig};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_and_spans_stay_in_bounds(s in "\\PC{0,300}", zw in "[\u{200B}\u{202E}\u{E0041}a-z0-9=%+/ ]{0,60}") {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(&InspectConfig::default(), dir.path());
        let text = format!("{s}{zw} {} {zw}", github_pat());
        let ins = e.inspect_leaves(&[TextLeaf::new("/m", LeafKind::ToolResult, text.clone())]);
        for f in &ins.findings {
            prop_assert!(f.start <= f.end && f.end <= text.len());
        }
        let out = apply_redactions(&text, &ins.redactions);
        prop_assert!(!out.contains(&github_pat()));
    }

    #[test]
    fn streaming_equals_batch_for_any_chunking(cuts in proptest::collection::vec(0usize..200, 0..6), pre in "[a-z ]{0,120}") {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(&InspectConfig::default(), dir.path());
        let text = format!("{pre} token {} and key {} end", github_pat(), aws_key());
        let batch = e.inspect_leaves(&[TextLeaf::new("/c", LeafKind::Assistant, text.clone())]);
        let want = apply_redactions(&text, &batch.redactions);
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
        points.sort_unstable();
        let mut s = e.stream_scanner("/c");
        let mut got = String::new();
        let mut last = 0;
        for p in points {
            got.push_str(&s.push(&text[last..p]).text);
            last = p;
        }
        got.push_str(&s.push(&text[last..]).text);
        got.push_str(&s.finish().text);
        prop_assert_eq!(got, want);
    }
}
