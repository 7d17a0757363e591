//! Bounded work per request: a body that makes the inspector report 100,000 findings still
//! makes one small audit entry (capped per detector, with a counted summary finding).

mod common;

use common::*;
use palisade_core::*;
use serde_json::json;
use std::sync::Arc;

/// Reports one finding per marker line; the test body stands for the 1.3 MB body of
/// 100,000 marker lines (beyond the harness's 64 KiB body limit), so the count is given inline.
struct Markers;

impl Inspector for Markers {
    fn inspect(&self, ex: &Exchange) -> Inspection {
        let mut ins = Inspection::default();
        for l in &ex.leaves {
            let Some(n) = l
                .text
                .strip_prefix("MARKER LINES: ")
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            for i in 0..n {
                let mut f = test_finding(
                    &l.path,
                    DataClass::Confidential,
                    Severity::Medium,
                    "confidential-marker",
                );
                f.start = i * 13;
                f.end = i * 13 + 12;
                ins.findings.push(f);
            }
        }
        ins
    }
    fn stream_scanner(&self, _path: &str) -> Box<dyn StreamScanner> {
        Box::new(common::PassThroughScanner)
    }
}

#[tokio::test]
async fn hundred_thousand_findings_in_one_body() {
    let (h, audit) = start_edited(|s| s.inspector = Some(Arc::new(Markers))).await;
    let started = std::time::Instant::now();
    let (status, _, body) = h
        .post_json(
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini",
                   "messages": [{"role": "user", "content": "MARKER LINES: 100000"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ev = audit.events();
    let e = ev.last().unwrap();
    let size = serde_json::to_vec(e).unwrap().len();
    println!(
        "audit entry: {} findings, {size} bytes, call took {:?}",
        e.findings.len(),
        started.elapsed()
    );
    assert!(size < 64 * 1024, "audit entry of {size} bytes");
    assert!(e.findings.len() <= 40, "{}", e.findings.len());
    let summary = e
        .findings
        .iter()
        .find(|f| f.detector == "findings_capped:confidential-marker")
        .expect("no summary finding");
    assert_eq!(
        summary.end + 32,
        100_000,
        "the summary counts what it left out"
    );
    assert_eq!(summary.data_class, DataClass::Confidential);
    h.shutdown().await;
}
