//! The gateway's side of witnessing, over real sockets on 127.0.0.1: past `max_witness_lag` a
//! call that needs `sync` audit is refused with 503 in the caller's API format and `/readyz`
//! says why; once the checkpoint reaches its quorum the calls flow again. And the witness
//! server's HTTP mapping of the spec's statuses.

mod common;

use common::*;
use palisade_audit::WitnessStatus;
use palisade_gateway::dev::fake_upstream::FakeUpstream;
use palisade_gateway::Gateway;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn start_lagging(audit: &str, status: Arc<WitnessStatus>) -> Harness {
    let upstream = FakeUpstream::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[audit]\n{audit}\n",
        config_text(upstream.addr(), dir.path(), "")
    );
    let config = palisade_config::parse(&text, "test.toml", dir.path()).unwrap();
    let stages = palisade_gateway::dev::development_stages(&config)
        .unwrap()
        .0;
    let gw = Gateway::new(config, stages, &credentials())
        .unwrap()
        .with_witness_status(status);
    serve_gateway(upstream, dir, gw).await
}

fn lagging() -> Arc<WitnessStatus> {
    let s = Arc::new(WitnessStatus::new(Duration::from_millis(1)));
    s.saw_checkpoint(10, Instant::now() - Duration::from_secs(2));
    s
}

fn chat() -> serde_json::Value {
    serde_json::json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn gateway_lag_fails_closed() {
    let status = lagging();
    let h = start_lagging("mode = \"sync\"", status.clone()).await;
    let (code, _, body) = h.post_json("/v1/chat/completions", chat()).await;
    assert_eq!(code, 503, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "audit_unwitnessed");
    let (code, _, body) = h
        .post_json(
            "/v1/messages",
            serde_json::json!({"model": "claude-sonnet-4-5", "max_tokens": 8,
                "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(code, 503);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["type"], "error", "anthropic format: {body}");
    assert_eq!(v["error"]["code"], "audit_unwitnessed");
    let (code, body) = h.get("/readyz").await;
    assert_eq!(code, 503);
    assert!(body.contains("witness lag exceeded"), "{body}");
    assert!(
        body.contains("checkpoint_size 10\nwitnessed_size 0"),
        "{body}"
    );
    // The witnesses cosign: calls flow again and readiness returns.
    status.witnessed(10);
    let (code, _, body) = h.post_json("/v1/chat/completions", chat()).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = h.get("/readyz").await;
    assert_eq!(code, 200);
    assert!(body.contains("witness_lag_ms 0"), "{body}");
    h.shutdown().await;
}

#[tokio::test]
async fn lag_only_reported_when_fail_closed_is_off() {
    let h = start_lagging(
        "mode = \"sync\"\nwitness_lag_fail_closed = false",
        lagging(),
    )
    .await;
    let (code, _, body) = h.post_json("/v1/chat/completions", chat()).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = h.get("/readyz").await;
    assert_eq!(code, 200);
    assert!(body.contains("witnessed_size 0"), "{body}");
    h.shutdown().await;
}
