//! The control-plane hook: `/v1/enroll*`, `/.well-known/*` and `/admin/*` reach the
//! `ControlPlane` before authentication, `None` is a 404, the body limit applies, every call is
//! audited (without body content, failing closed), metrics use the `control` route, and request
//! and response bodies never reach the logs.

mod common;

use common::*;
use http_body_util::BodyExt;
use palisade_core::*;
use palisade_gateway::dev::MemoryAuditSink;
use palisade_gateway::{ControlPlane, ControlRequest, ControlResponse, Stages};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex, OnceLock};

const EVIDENCE: &str = "EVIDENCE-SECRET-7d1c9a";
const TOKEN: &str = "tok-SECRET-0b5e2f";
const ADMIN: &str = "adm-SECRET-c44e01";

/// What the fake saw of one call.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    authorization: Option<String>,
    body: Vec<u8>,
    request_id: String,
}

#[derive(Default)]
struct FakePlane {
    seen: Mutex<Vec<Seen>>,
}

impl ControlPlane for FakePlane {
    fn handle(&self, req: &ControlRequest<'_>) -> Option<ControlResponse> {
        let authorization = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.seen.lock().unwrap().push(Seen {
            method: req.method.into(),
            path: req.path.into(),
            query: req.query.map(str::to_owned),
            authorization: authorization.clone(),
            body: req.body.to_vec(),
            request_id: req.request_id.into(),
        });
        match (req.method, req.path) {
            ("POST", "/v1/enroll/challenge") => {
                Some(ControlResponse::json(200, json!({"nonce": "n-1"})))
            }
            ("POST", "/v1/enroll") => {
                let v: Value = match serde_json::from_slice(req.body) {
                    Ok(v) => v,
                    Err(_) => {
                        return Some(ControlResponse::json(
                            400,
                            json!({"error": {"message": "bad json", "type": "invalid_request_error", "code": "invalid_request"}}),
                        ))
                    }
                };
                assert_eq!(v["evidence"], EVIDENCE);
                Some(
                    ControlResponse::json(
                        201,
                        json!({"access_token": TOKEN, "token_type": "DPoP"}),
                    )
                    .with_header("dpop-nonce", "n-2")
                    .with_audit_identity("research/agent-1")
                    .with_audit_detail("enrolled"),
                )
            }
            ("GET", "/.well-known/jwks.json") => Some(
                ControlResponse::json(200, json!({"keys": []}))
                    .with_header("cache-control", "max-age=300"),
            ),
            (_, p) if p.starts_with("/admin/v1/identities") => {
                if authorization.as_deref() != Some(&format!("Bearer {ADMIN}")) {
                    return Some(ControlResponse::json(
                        401,
                        json!({"error": {"message": "admin credential required", "type": "authentication_error", "code": "admin_unauthenticated"}}),
                    ).with_audit_detail("admin_unauthenticated"));
                }
                Some(ControlResponse::json(200, json!({"identities": []})))
            }
            _ => None,
        }
    }
}

/// Refuses every credential: proves the control plane is reached before authentication.
struct RefuseAll;
impl Authenticator for RefuseAll {
    fn authenticate(&self, _: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        Err(AuthFailure {
            status: 401,
            code: "missing_token".into(),
            message: "no access token".into(),
            dpop_nonce: None,
        })
    }
}

struct FailingAudit;
impl AuditSink for FailingAudit {
    fn append(&self, _e: AuditEvent, done: AppendDone) {
        done(Err(AuditFailure("disk full".into())));
    }
}

/// One global TRACE subscriber for this test binary: every test's logs are captured.
fn logs() -> &'static Capture {
    static CAP: OnceLock<Capture> = OnceLock::new();
    CAP.get_or_init(Capture::install)
}

async fn harness(
    plane: Option<Arc<FakePlane>>,
    edit: impl FnOnce(&mut Stages),
) -> (Harness, Arc<MemoryAuditSink>) {
    logs();
    start_edited(|stages| {
        stages.authenticator = Arc::new(RefuseAll);
        stages.control = plane.map(|p| p as Arc<dyn ControlPlane>);
        edit(stages);
    })
    .await
}

async fn call(
    h: &Harness,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<bytes::Bytes>,
) -> (u16, http::HeaderMap, String) {
    let resp = h.send(method, path, headers, body).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn enroll_body() -> String {
    json!({"evidence": EVIDENCE, "name": "agent-1"}).to_string()
}

#[tokio::test]
async fn control_paths_reach_the_plane_before_authentication() {
    let plane = Arc::new(FakePlane::default());
    let (h, _) = harness(Some(plane.clone()), |_| {}).await;
    // The model API is refused by authentication...
    let (s, _, _) = h
        .post_json(
            "/v1/chat/completions",
            json!({"model": "gpt-4o-mini", "messages": []}),
        )
        .await;
    assert_eq!(s, 401);
    // ...while enrollment, discovery and admin are answered by the plane.
    let (s, hd, body) = call(&h, "POST", "/v1/enroll/challenge", &[], "{}").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(hd["content-type"], "application/json");
    let (s, hd, body) = call(&h, "POST", "/v1/enroll", &[], enroll_body()).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["access_token"],
        TOKEN
    );
    assert_eq!(hd["dpop-nonce"], "n-2");
    assert_eq!(hd["cache-control"], "no-store");
    let rid = hd["x-request-id"].to_str().unwrap().to_owned();
    let (s, hd, _) = call(&h, "GET", "/.well-known/jwks.json", &[], "").await;
    assert_eq!(s, 200);
    assert_eq!(hd["cache-control"], "max-age=300");
    let auth = format!("Bearer {ADMIN}");
    let (s, _, _) = call(
        &h,
        "GET",
        "/admin/v1/identities?limit=5",
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, _) = call(&h, "GET", "/admin/v1/identities", &[], "").await;
    assert_eq!(s, 401);

    let seen = plane.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen[1].method, "POST");
    assert_eq!(seen[1].path, "/v1/enroll");
    assert_eq!(seen[1].body, enroll_body().as_bytes());
    assert_eq!(
        seen[1].request_id, rid,
        "the plane sees the gateway's request id"
    );
    assert_eq!(seen[3].path, "/admin/v1/identities");
    assert_eq!(seen[3].query.as_deref(), Some("limit=5"));
    assert_eq!(seen[3].authorization.as_deref(), Some(auth.as_str()));
    let metrics = h.metrics.render();
    assert!(
        metrics
            .contains("palisade_requests_total{route=\"control\",status=\"201\",upstream=\"\"} 1"),
        "{metrics}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn unclaimed_control_paths_and_a_missing_plane_are_404() {
    let plane = Arc::new(FakePlane::default());
    let (h, audit) = harness(Some(plane.clone()), |_| {}).await;
    let (s, _, body) = call(&h, "GET", "/admin/v1/nothing-here", &[], "").await;
    assert_eq!(s, 404);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    assert_eq!(plane.seen.lock().unwrap().len(), 1, "the plane was asked");
    assert_eq!(audit.events()[0].status, 404);
    // A path that only looks like a control path is not sent to the plane.
    let (s, _, _) = call(&h, "POST", "/v1/enrollment", &[], "{}").await;
    assert_eq!(s, 404);
    assert_eq!(plane.seen.lock().unwrap().len(), 1);
    h.shutdown().await;

    let (h, audit) = harness(None, |_| {}).await;
    let (s, _, body) = call(&h, "POST", "/v1/enroll", &[], enroll_body()).await;
    assert_eq!(s, 404, "{body}");
    assert!(audit.events().is_empty(), "no plane, no control call");
    h.shutdown().await;
}

#[tokio::test]
async fn body_limit_is_413_in_openai_format_and_the_plane_is_not_called() {
    let plane = Arc::new(FakePlane::default());
    let (h, audit) = harness(Some(plane.clone()), |_| {}).await;
    let big = "x".repeat(70_000);
    let (s, hd, body) = call(&h, "POST", "/v1/enroll", &[], big).await;
    assert_eq!(s, 413);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "request_too_large");
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert!(hd.contains_key("x-request-id"));
    assert!(plane.seen.lock().unwrap().is_empty());
    let ev = audit.events();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].event_type, "control");
    assert_eq!(ev[0].status, 413);
    assert_eq!(ev[0].decision, Effect::Deny);
    // Refused by the gateway itself: its error code is the detail.
    assert_eq!(ev[0].detail.as_deref(), Some("request_too_large"));
    assert_eq!(ev[0].identity, None);
    h.shutdown().await;
}

#[tokio::test]
async fn every_control_call_is_audited_without_body_content() {
    let plane = Arc::new(FakePlane::default());
    let (h, audit) = harness(Some(plane), |_| {}).await;
    let body = enroll_body();
    let (s, hd, resp_body) = call(&h, "POST", "/v1/enroll?x=1", &[], body.clone()).await;
    assert_eq!(s, 201);
    let (s, _, _) = call(&h, "DELETE", "/admin/v1/identities/a", &[], "").await;
    assert_eq!(s, 401);
    let ev = audit.events();
    assert_eq!(ev.len(), 2);
    let e = &ev[0];
    assert_eq!(e.event_type, "control");
    assert_eq!(e.action, "POST /v1/enroll", "method + path, no query");
    assert_eq!(e.request_id, hd["x-request-id"].to_str().unwrap());
    assert_eq!(e.decision, Effect::Allow);
    assert_eq!(e.outcome, AuditOutcome::Completed);
    assert_eq!(e.status, 201);
    // The handler's attribution is recorded, and not sent to the caller.
    assert_eq!(e.identity.as_deref(), Some("research/agent-1"));
    assert_eq!(e.detail.as_deref(), Some("enrolled"));
    assert!(!resp_body.contains("research/agent-1") && !resp_body.contains("enrolled"));
    assert_eq!(e.bytes_in, body.len() as u64);
    assert_eq!(e.bytes_out, resp_body.len() as u64);
    assert_eq!(
        e.request_sha256.as_deref(),
        Some(hex::encode(Sha256::digest(body.as_bytes())).as_str())
    );
    assert_eq!(
        e.response_sha256.as_deref(),
        Some(hex::encode(Sha256::digest(resp_body.as_bytes())).as_str())
    );
    let text = serde_json::to_string(&ev).unwrap();
    for secret in [EVIDENCE, TOKEN] {
        assert!(!text.contains(secret), "audit event holds body content");
    }
    assert_eq!(ev[1].action, "DELETE /admin/v1/identities/a");
    assert_eq!(ev[1].decision, Effect::Deny);
    assert_eq!(ev[1].outcome, AuditOutcome::Unauthenticated);
    assert_eq!(ev[1].identity, None);
    assert_eq!(ev[1].detail.as_deref(), Some("admin_unauthenticated"));
    h.shutdown().await;
}

#[tokio::test]
async fn a_failed_audit_append_fails_the_control_call_closed() {
    let plane = Arc::new(FakePlane::default());
    let (h, _) = harness(Some(plane), |s| s.audit = Arc::new(FailingAudit)).await;
    let (s, _, body) = call(&h, "POST", "/v1/enroll", &[], enroll_body()).await;
    assert_eq!(s, 503, "{body}");
    assert!(body.contains("audit_unavailable"));
    assert!(
        !body.contains(TOKEN),
        "the unrecorded answer is not released"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn control_bodies_and_credentials_never_reach_the_logs() {
    let plane = Arc::new(FakePlane::default());
    let (h, _) = harness(Some(plane.clone()), |_| {}).await;
    let auth = format!("Bearer {ADMIN}");
    let (s, hd, _) = call(
        &h,
        "POST",
        "/v1/enroll",
        &[("authorization", &auth)],
        enroll_body(),
    )
    .await;
    assert_eq!(s, 201);
    let rid = hd["x-request-id"].to_str().unwrap().to_owned();
    let (s, _, body) = call(&h, "POST", "/v1/enroll", &[], "{not json").await;
    assert_eq!(s, 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["error"]["type"], "invalid_request_error",
        "gateway-side, OpenAI format"
    );
    assert!(!body.contains("{not json"), "the input is not echoed");
    assert_eq!(
        plane.seen.lock().unwrap().len(),
        1,
        "malformed input never reaches the plane"
    );
    h.shutdown().await;
    let text = logs().text();
    assert!(
        text.contains(&rid),
        "the capture works: the request was logged"
    );
    for secret in [EVIDENCE, TOKEN, ADMIN, "{not json"] {
        assert!(!text.contains(secret), "logs contain `{secret}`");
    }
}
