//! `GET /v1/models` lists only what policy lets the caller list (action `list_models`, asked once
//! per configured model with the same resource facts a call is decided on), keeps config order,
//! hides a model whose decision errors, answers an empty list rather than 403, and is audited and
//! counted like a model call: authentication refusals too, and a failed audit append withholds
//! the list.

mod common;

use common::*;
use palisade_core::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// 2023-11-14T22:13:20Z: the hour the context must carry is 22.
const NOW_MS: u64 = 1_700_000_000_000;
/// The eight models of `common::config_text`, in config order.
const CONFIGURED: usize = 8;

fn caller() -> Identity {
    let id = SpiffeId::new("corp.example", "research", "eval-agent").unwrap();
    Identity {
        segment: id.segment().to_owned(),
        id,
        kind: IdentityKind::Agent,
        owner: "research-team".into(),
        scopes: vec![],
        status: IdentityStatus::Active,
        attestation_kinds: vec!["sev_snp".into()],
        token_age_secs: 42,
    }
}

struct Fixed(Identity);
impl Authenticator for Fixed {
    fn authenticate(&self, _: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        Ok(self.0.clone())
    }
}

struct Expired;
impl Authenticator for Expired {
    fn authenticate(&self, _: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        Err(AuthFailure {
            status: 401,
            code: "token_expired".into(),
            message: "the access token has expired".into(),
            dpop_nonce: Some("n-9".into()),
        })
    }
}

/// Permits `list_models` on the models named in `allow`; answers an allow that carries an
/// evaluation error for those in `errored`; denies the rest. Remembers every question.
#[derive(Default)]
struct Lister {
    allow: Vec<&'static str>,
    errored: Vec<&'static str>,
    seen: Mutex<Vec<(String, ResourceRef, AuthzContext)>>,
}

impl Authorizer for Lister {
    fn authorize(&self, _: &Identity, action: &str, r: &ResourceRef, c: &AuthzContext) -> Decision {
        self.seen
            .lock()
            .unwrap()
            .push((action.into(), r.clone(), c.clone()));
        let name = r.name.as_str();
        let (effect, errors) = if self.errored.contains(&name) {
            (
                Effect::Allow,
                vec!["attribute `segment` missing".to_owned()],
            )
        } else if action == "list_models" && self.allow.contains(&name) {
            (Effect::Allow, vec![])
        } else {
            (Effect::Deny, vec![])
        };
        Decision {
            effect,
            policy_ids: vec![format!("test-{effect:?}").to_lowercase()],
            errors,
        }
    }
}

struct FailingAudit;
impl AuditSink for FailingAudit {
    fn append(&self, _e: AuditEvent, done: AppendDone) {
        done(Err(AuditFailure("disk full".into())));
    }
}

/// Starts a gateway with the fixed caller, the manual clock and `authorizer`.
async fn start_listing(
    authorizer: Arc<Lister>,
) -> (Harness, Arc<palisade_gateway::dev::MemoryAuditSink>) {
    start_edited(|s| {
        s.authenticator = Arc::new(Fixed(caller()));
        s.authorizer = authorizer;
        s.clock = Arc::new(ManualClock::new(NOW_MS));
    })
    .await
}

/// GETs `/v1/models`: status, `x-request-id`, and the raw body.
async fn list(h: &Harness) -> (u16, String, String) {
    let resp = h.send("GET", "/v1/models", &[], bytes::Bytes::new()).await;
    let status = resp.status().as_u16();
    let rid = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, rid, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn only_permitted_models_are_listed_in_config_order() {
    let authz = Arc::new(Lister {
        // Deliberately not in config order, and `slow-gpt` is allowed-with-error.
        allow: vec!["claude-sonnet-4-5", "down-model", "gpt-4o-mini", "slow-gpt"],
        errored: vec!["slow-gpt"],
        ..Default::default()
    });
    let (h, _) = start_listing(authz.clone()).await;
    let (s, _, body) = list(&h).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        model_ids(&body),
        ["gpt-4o-mini", "down-model", "claude-sonnet-4-5"]
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"][1]["owned_by"], "down");
    assert_eq!(v["data"][1]["object"], "model");
    for hidden in [
        "hang-gpt",
        "break-claude",
        "slow-gpt",
        "text-embedding-3-small",
    ] {
        assert!(!body.contains(hidden), "{hidden} leaked: {body}");
    }

    // One question per configured model, with the resource facts a call is decided on and a
    // content-free context.
    let seen = authz.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), CONFIGURED);
    assert!(seen.iter().all(|(a, _, _)| a == "list_models"));
    let (_, down, ctx) = seen
        .iter()
        .find(|(_, r, _)| r.name == "down-model")
        .unwrap();
    assert_eq!(down.upstream, "down");
    assert_eq!(down.segment, "research");
    assert_eq!(down.destination, DestinationClass::Internal);
    let (_, gpt, _) = seen
        .iter()
        .find(|(_, r, _)| r.name == "gpt-4o-mini")
        .unwrap();
    assert_eq!(gpt.upstream, "openai");
    assert_eq!(gpt.destination, DestinationClass::External);
    assert!(ctx.data_classes.is_empty());
    assert_eq!(ctx.anomaly_score, 0.0);
    assert!(!ctx.stepped_down);
    assert_eq!(ctx.token_age_secs, 42);
    assert_eq!(ctx.request_bytes, 0);
    assert!(!ctx.streaming);
    assert_eq!(ctx.hour_of_day, 22);
    assert!(
        h.upstream.requests().is_empty(),
        "listing reaches no upstream"
    );

    let metrics = h.metrics.render();
    assert!(
        metrics.contains(r#"palisade_requests_total{route="models",status="200",upstream=""} 1"#),
        "{metrics}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn a_listing_is_audited_once_with_how_many_were_shown() {
    let authz = Arc::new(Lister {
        allow: vec!["gpt-4o-mini", "claude-sonnet-4-5"],
        ..Default::default()
    });
    let (h, audit) = start_listing(authz).await;
    let (s, rid, body) = list(&h).await;
    assert_eq!(s, 200);
    let ev = audit.events();
    assert_eq!(ev.len(), 1, "{ev:?}");
    let e = &ev[0];
    assert_eq!(e.event_type, "request");
    assert_eq!(e.action, "list_models");
    assert_eq!(e.request_id, rid);
    assert_eq!(
        e.identity.as_deref(),
        Some("spiffe://corp.example/research/eval-agent")
    );
    assert_eq!(e.segment.as_deref(), Some("research"));
    assert_eq!(e.detail.as_deref(), Some("listed 2 of 8 models"));
    assert_eq!(e.status, 200);
    assert_eq!(e.outcome, AuditOutcome::Completed);
    assert_eq!(e.decision, Effect::Allow);
    assert_eq!(e.policy_ids, ["test-allow"], "the policies that permitted");
    assert_eq!(e.time_ms, NOW_MS);
    assert_eq!(e.bytes_out, body.len() as u64);
    let sha = hex::encode(Sha256::digest(body.as_bytes()));
    assert_eq!(e.response_sha256.as_deref(), Some(sha.as_str()));
    h.shutdown().await;
}

#[tokio::test]
async fn an_unauthenticated_listing_is_refused_and_audited() {
    let authz = Arc::new(Lister {
        allow: vec!["gpt-4o-mini"],
        ..Default::default()
    });
    let (h, audit) = start_edited(|s| {
        s.authenticator = Arc::new(Expired);
        s.authorizer = authz.clone();
    })
    .await;
    let resp = h.send("GET", "/v1/models", &[], bytes::Bytes::new()).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["dpop-nonce"], "n-9");
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "token_expired");
    assert_eq!(v["error"]["type"], "authentication_error");
    assert!(authz.seen.lock().unwrap().is_empty(), "no policy question");
    let ev = audit.events();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].action, "list_models");
    assert_eq!(ev[0].identity, None);
    assert_eq!(ev[0].outcome, AuditOutcome::Unauthenticated);
    assert_eq!(ev[0].decision, Effect::Deny);
    assert_eq!(
        ev[0].detail.as_deref(),
        Some("authentication refused: token_expired")
    );
    assert!(h
        .metrics
        .render()
        .contains(r#"palisade_requests_total{route="models",status="401",upstream=""} 1"#));
    h.shutdown().await;
}

#[tokio::test]
async fn denied_or_erroring_decisions_give_an_empty_list_not_403() {
    let all = [
        "gpt-4o-mini",
        "text-embedding-3-small",
        "slow-gpt",
        "hang-gpt",
        "break-gpt",
        "down-model",
        "claude-sonnet-4-5",
        "break-claude",
    ];
    let deny_all = Lister::default();
    let error_all = Lister {
        allow: all.to_vec(),
        errored: all.to_vec(),
        ..Default::default()
    };
    for authz in [deny_all, error_all] {
        let authz = Arc::new(authz);
        let (h, audit) = start_listing(authz.clone()).await;
        let (s, _, body) = list(&h).await;
        assert_eq!(s, 200, "{body}");
        assert!(model_ids(&body).is_empty(), "{body}");
        assert_eq!(authz.seen.lock().unwrap().len(), CONFIGURED);
        let ev = audit.events();
        assert_eq!(ev[0].detail.as_deref(), Some("listed 0 of 8 models"));
        assert_eq!(ev[0].decision, Effect::Deny);
        assert!(ev[0].policy_ids.is_empty(), "{:?}", ev[0].policy_ids);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn a_failed_audit_append_withholds_the_list() {
    let authz = Arc::new(Lister {
        allow: vec!["gpt-4o-mini"],
        ..Default::default()
    });
    let (h, _) = start_edited(|s| {
        s.authenticator = Arc::new(Fixed(caller()));
        s.authorizer = authz;
        s.audit = Arc::new(FailingAudit);
    })
    .await;
    let (s, _, body) = list(&h).await;
    assert_eq!(s, 503, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "audit_unavailable");
    assert!(!body.contains("gpt-4o-mini"), "{body}");
    assert!(h
        .metrics
        .render()
        .contains(r#"palisade_requests_total{route="models",status="503",upstream=""} 1"#));
    h.shutdown().await;
}
