//! "Split the document" (issue 19): the demo's protected roadmap sent to an external model in
//! 6-, 12- and 25-word chunks. No small chunk is a finding, but the gateway adds up what each
//! chunk shares with the document (real inspection engine, real exposure ledger) and refuses
//! the call that would pass `max_document_exposure` (0.2), so less than that share reaches the
//! upstream. Time comes from the stages' injectable clock.

mod common;

use common::*;
use palisade_behavior::exposure::ExposureLedger;
use palisade_core::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const ROADMAP: &str = include_str!("../../../examples/demo/research-roadmap.md");
const MAX_SHARE: f64 = 0.2;

/// The behaviour stage reduced to its exposure ledger: scores stay flat (as in the issue's
/// replay), so only cumulative exposure can refuse.
struct LedgerOnly(ExposureLedger);

impl BehaviorScorer for LedgerOnly {
    fn observe(&self, _: &Observation<'_>) -> AnomalyScore {
        AnomalyScore {
            score: 0.0,
            top_features: vec![],
            action: BehaviorAction::Record,
            stepped_down: false,
            reason: String::new(),
        }
    }
    fn outcome(&self, _: &Identity, _: bool, _: bool, _: u64) {}
    fn document_exposure(
        &self,
        identity: &Identity,
        destination: DestinationClass,
        exposure: &[DocExposure],
        time_ms: u64,
    ) -> Result<(), String> {
        self.0
            .check_and_record(&identity.id, destination, exposure, time_ms)
    }
}

struct Setup {
    h: Harness,
    audit: Arc<palisade_gateway::dev::MemoryAuditSink>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("research-roadmap.md");
    std::fs::write(&p, ROADMAP).unwrap();
    let key = [7u8; 32];
    palisade_inspect::protect_add(dir.path(), &[p], key).unwrap();
    let engine = palisade_inspect::Engine::load(
        &palisade_inspect::InspectConfig::default(),
        dir.path(),
        key,
    )
    .unwrap();
    let clock = Arc::new(ManualClock::new(1_790_000_000_000));
    let c2 = clock.clone();
    let (h, audit) = start_edited(move |s| {
        s.inspector = Some(Arc::new(engine));
        s.behavior = Some(Arc::new(LedgerOnly(ExposureLedger::new(MAX_SHARE))));
        s.clock = c2;
    })
    .await;
    Setup {
        h,
        audit,
        clock,
        _dir: dir,
    }
}

fn chat(model: &str, text: &str) -> serde_json::Value {
    json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

/// Content words (what the fingerprints are built on; stop words carry no content).
fn content_words(t: &str) -> usize {
    use palisade_inspect::docs::words::{is_stop, words};
    words(t).iter().filter(|w| !is_stop(&w.text)).count()
}

/// (words, content words) of the roadmap that reached the upstream.
fn forwarded(h: &Harness) -> (usize, usize) {
    h.upstream
        .requests()
        .iter()
        .filter_map(|r| r.body["messages"][0]["content"].as_str().map(str::to_owned))
        .map(|t| (t.split_whitespace().count(), content_words(&t)))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// Sends the roadmap in `n`-word chunks, one a minute (the identity's usual rate); returns
/// (forwarded share of the roadmap's words, of its content words, index of the first refused
/// chunk, chunks).
async fn chunked(s: &Setup, n: usize) -> (f64, f64, Option<usize>, usize) {
    let words: Vec<&str> = ROADMAP.split_whitespace().collect();
    let chunks: Vec<String> = words.chunks(n).map(|c| c.join(" ")).collect();
    let mut first_refused = None;
    for (i, c) in chunks.iter().enumerate() {
        s.clock.advance(Duration::from_secs(60));
        let (status, _, body) =
            s.h.post_json("/v1/chat/completions", chat("gpt-4o-mini", c))
                .await;
        if status == 403 {
            assert!(body.contains("content_blocked"), "{body}");
            assert!(
                !body.contains(c.as_str()),
                "a refusal never echoes the text"
            );
            first_refused.get_or_insert(i);
        } else {
            assert_eq!(status, 200, "{body}");
        }
    }
    let (w, c) = forwarded(&s.h);
    let share = w as f64 / words.len() as f64;
    let content = c as f64 / content_words(ROADMAP) as f64;
    eprintln!(
        "{n}-word chunks: {} of {} forwarded, {share:.3} of the words, {content:.3} of the \
         content words, first refusal at chunk {first_refused:?}",
        s.h.upstream.requests().len(),
        chunks.len()
    );
    (share, content, first_refused, chunks.len())
}

/// The refusal names the document in the audit record, never its text.
fn assert_audited(s: &Setup) {
    let ev = s.audit.events();
    let refused: Vec<_> = ev
        .iter()
        .filter(|e| {
            e.detail
                .as_deref()
                .is_some_and(|d| d.contains("cumulative exposure limit of protected document doc_"))
        })
        .collect();
    assert!(!refused.is_empty(), "{ev:?}");
    assert!(refused.iter().all(|e| e.status == 403));
    let text = format!("{refused:?}");
    assert!(!text.contains("sparse mixture of experts"), "{text}");
}

/// `exposure_refuses`: whether the cumulative limit (not inspection alone) refuses some chunk.
async fn attack(n: usize, max_first_refusal: usize, exposure_refuses: bool) {
    let s = setup().await;
    let (share, content, first, chunks) = chunked(&s, n).await;
    // The ledger counts content words covered by a shared 2-word shingle: a chunk with a
    // single content word reveals no shingle and passes; such chunks are mostly stop words,
    // so the raw word share can exceed the content share by a few points.
    assert!(
        content <= MAX_SHARE,
        "{content:.3} of the content words left"
    );
    assert!(share < MAX_SHARE + 0.03, "{share:.3} of the words left");
    let first = first.expect("the chunked roadmap was never refused");
    assert!(
        first <= max_first_refusal && first < chunks,
        "first refusal at {first}"
    );
    if exposure_refuses {
        assert_audited(&s);
    }
    s.h.shutdown().await;
}

#[tokio::test]
async fn chunked_document_6_words() {
    // 42 chunks: the share passes 0.2 around the ninth.
    attack(6, 10, true).await;
}

#[tokio::test]
async fn chunked_document_12_words() {
    attack(12, 5, true).await;
}

#[tokio::test]
async fn chunked_document_25_words() {
    // 25-word chunks are findings on their own (inspection blocks them); exposure adds
    // nothing the first refusal did not, and nothing leaves.
    attack(25, 2, false).await;
}

#[tokio::test]
async fn chunked_document_exposure_older_than_24_hours_no_longer_counts() {
    let s = setup().await;
    let words: Vec<&str> = ROADMAP.split_whitespace().collect();
    let chunks: Vec<String> = words.chunks(6).map(|c| c.join(" ")).collect();
    let send = |c: &str| {
        let v = chat("gpt-4o-mini", c);
        let h = &s.h;
        async move { h.post_json("/v1/chat/completions", v).await.0 }
    };
    let mut i = 0;
    while send(&chunks[i]).await == 200 {
        i += 1;
    }
    // The same chunk an hour later (same day): still refused.
    s.clock.advance(Duration::from_secs(3600));
    assert_eq!(send(&chunks[i]).await, 403);
    // A day later the earlier chunks have left the window.
    s.clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(send(&chunks[i]).await, 200);
    s.h.shutdown().await;
}

#[tokio::test]
async fn chunked_document_benign_controls() {
    let s = setup().await;
    // Unrelated text to an external model is untouched, however much of it.
    for k in 0..30 {
        s.clock.advance(Duration::from_secs(60));
        let t = format!(
            "Draft {k}: please summarize the cafeteria menu, lentil soup on Mondays and grilled \
             fish on Fridays, with a salad bar every day except during the holiday closure."
        );
        let (status, _, body) =
            s.h.post_json("/v1/chat/completions", chat("gpt-4o-mini", &t))
                .await;
        assert_eq!(status, 200, "{body}");
    }
    // Internal destinations are not limited: the whole roadmap in chunks to an internal model
    // passes the exposure check (the internal upstream here refuses connections: 502, not 403).
    let words: Vec<&str> = ROADMAP.split_whitespace().collect();
    for c in words.chunks(6).map(|c| c.join(" ")) {
        let (status, _, body) =
            s.h.post_json("/v1/chat/completions", chat("down-model", &c))
                .await;
        // Inspection still blocks the few chunks that are findings on their own.
        assert!(
            status != 403 || !body.contains("behavior:document-exposure"),
            "{body}"
        );
    }
    // ...and did not use up the external allowance.
    let (status, _, body) =
        s.h.post_json(
            "/v1/chat/completions",
            chat("gpt-4o-mini", &words[..6].join(" ")),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.h.shutdown().await;
}
