//! `GET /v1/models` against the real default Cedar pack (`examples/policies`): the incident's
//! labeling-tier agent sees only its own segment and the shared catalogue, never the names of
//! training or research models; research also sees training (the named flow); a quarantined or
//! unattested principal sees an empty list.

mod common;

use common::*;
use palisade_core::*;
use palisade_gateway::dev::fake_upstream::FakeUpstream;
use palisade_policy::{PolicyConfig, PolicyEngine};
use std::sync::Arc;

/// One upstream per segment, one model per upstream, listed in this order.
fn config(data: &std::path::Path) -> String {
    let refused = refused_port();
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n\n[auth]\nmode = \"none\"\n",
        data.display()
    );
    for (segment, destination, model) in [
        ("training", "internal", "ckpt-70b-latest"),
        ("research", "internal", "research-llm"),
        ("labeling", "internal", "labeling-small"),
        ("shared", "external", "gpt-4o"),
    ] {
        text.push_str(&format!(
            "\n[[upstreams]]\nname = \"vllm-{segment}\"\nkind = \"openai-compatible\"\n\
             base_url = \"http://127.0.0.1:{refused}\"\ndestination = \"{destination}\"\n\
             segment = \"{segment}\"\n\n[[models]]\nname = \"{model}\"\nupstream = \"vllm-{segment}\"\n"
        ));
    }
    text
}

/// Authenticates `Bearer <name>` as one of the pack's case principals.
struct Callers;
impl Authenticator for Callers {
    fn authenticate(&self, creds: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        let who = creds.authorization.and_then(|a| a.strip_prefix("Bearer "));
        let (segment, name, kind, status, kinds): (_, _, _, _, &[&str]) = match who {
            Some("labeling") => (
                "labeling",
                "cleaner-7",
                IdentityKind::Vendor,
                IdentityStatus::Active,
                &["join_token", "dsse_provenance"],
            ),
            Some("research") => (
                "research",
                "summariser",
                IdentityKind::Agent,
                IdentityStatus::Active,
                &["join_token", "sev_snp"],
            ),
            Some("quarantined") => (
                "research",
                "summariser-2",
                IdentityKind::Agent,
                IdentityStatus::Quarantined,
                &["join_token", "sev_snp"],
            ),
            Some("unattested") => (
                "research",
                "scratch",
                IdentityKind::Agent,
                IdentityStatus::Active,
                &[],
            ),
            _ => panic!("unknown test caller {who:?}"),
        };
        let id = SpiffeId::new("lab.example", segment, name).unwrap();
        Ok(Identity {
            segment: segment.into(),
            id,
            kind,
            owner: "test".into(),
            scopes: vec![],
            status,
            attestation_kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
            token_age_secs: 10,
        })
    }
}

async fn listed(h: &Harness, caller: &str) -> Vec<String> {
    let bearer = format!("Bearer {caller}");
    let resp = h
        .send(
            "GET",
            "/v1/models",
            &[("authorization", &bearer)],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(resp.status(), 200, "{caller}");
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    model_ids(std::str::from_utf8(&body).unwrap())
}

#[tokio::test]
async fn the_default_pack_bounds_the_listing_by_segment() {
    let pack = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/policies");
    let engine = PolicyEngine::load(&PolicyConfig::for_dir(pack)).unwrap();
    let upstream = FakeUpstream::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = config(dir.path());
    let cfg = palisade_config::parse(&text, "t.toml", dir.path()).unwrap();
    let (mut stages, audit) = palisade_gateway::dev::development_stages(&cfg).unwrap();
    stages.authenticator = Arc::new(Callers);
    stages.authorizer = Arc::new(engine);
    let h = start_config(upstream, dir, &text, Some(stages)).await;

    assert_eq!(listed(&h, "labeling").await, ["labeling-small", "gpt-4o"]);
    assert_eq!(
        listed(&h, "research").await,
        ["ckpt-70b-latest", "research-llm", "gpt-4o"]
    );
    assert!(listed(&h, "quarantined").await.is_empty());
    assert!(listed(&h, "unattested").await.is_empty());

    let details: Vec<_> = audit
        .events()
        .iter()
        .map(|e| (e.action.clone(), e.detail.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        details,
        [
            ("list_models".into(), "listed 2 of 4 models".into()),
            ("list_models".into(), "listed 3 of 4 models".into()),
            ("list_models".into(), "listed 0 of 4 models".into()),
            ("list_models".into(), "listed 0 of 4 models".into()),
        ] as [(String, String); 4]
    );
    let labeling = &audit.events()[0];
    assert_eq!(labeling.policy_ids, ["own-segment", "shared-catalogue"]);
    h.shutdown().await;
}
