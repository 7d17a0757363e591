//! Links 1 to 6 of the chain, replayed through the gateway with the agent client: a stolen
//! static key, a copied token without its DPoP key, lateral movement across segments, the
//! roadmap reformatted for an external model, payroll rows in a prompt, and a planted canary
//! surfacing in a model's streamed answer.

use super::cast::Cast;
use super::client::{Answer, DpopKey, Transport};
use super::report::Step;
use super::{assets, scene::Scene};
use anyhow::Result;
use serde_json::json;

/// `"<status> <policy id>"` when the denial names `want`, else the status and what it named.
pub fn denial(a: &Answer, want: &str) -> String {
    let ids = a.policy_ids();
    if ids.iter().any(|i| i == want) {
        format!("{} {want}", a.status)
    } else if ids.is_empty() {
        format!("{} {}", a.status, a.code())
    } else {
        format!("{} {}", a.status, ids.join(","))
    }
}

fn status_code(a: &Answer) -> String {
    format!("{} {}", a.status, a.code())
}

fn chat_body(model: &str, prompt: &str) -> serde_json::Value {
    json!({"model": model, "messages": [{"role": "user", "content": prompt}]})
}

/// 1: the vendor's harvested long-lived provider key, as `Bearer sk-...` and as `x-api-key`.
pub async fn stolen_key(t: &Transport) -> Result<Step> {
    let body = chat_body("gpt-4o", "list the research repositories");
    let key = format!("sk-proj-{}", hex::encode(rand::random::<[u8; 20]>()));
    let a = t
        .send(
            "POST",
            "/v1/chat/completions",
            &[("authorization", format!("Bearer {key}"))],
            Some(&body),
        )
        .await?;
    let b = t
        .send(
            "POST",
            "/v1/chat/completions",
            &[("x-api-key", key)],
            Some(&body),
        )
        .await?;
    let expected = "401 static_api_key_refused";
    let happened = if status_code(&a) == status_code(&b) {
        status_code(&a)
    } else {
        format!("{} / {}", status_code(&a), status_code(&b))
    };
    Ok(
        Step::new(1, "stolen long-lived API key", expected, happened, true)
            .control("identity static key refused")
            .detail("Authorization: Bearer sk-... and x-api-key both refused before any upstream")
            .request(a.request_id),
    )
}

/// 2: the research agent's access token replayed from another machine, with a proof signed
/// by the attacker's own key (the agent's DPoP key never left it).
pub async fn copied_token(t: &Transport, cast: &Cast) -> Result<Step> {
    let attacker = DpopKey::generate();
    let url = t.url("/v1/chat/completions");
    let token = &cast.research.token;
    let body = chat_body("research-llm", "export the roadmap");
    // Server nonces are on by default (RFC 9449 §8): a careful attacker answers the nonce
    // challenge like any client, and is then refused for the key itself.
    let mut nonce: Option<String> = None;
    let mut a = None;
    for _ in 0..2 {
        let headers = [
            ("authorization", format!("DPoP {token}")),
            (
                "dpop",
                attacker.proof("POST", &url, Some(token), nonce.as_deref()),
            ),
        ];
        let answer = t
            .send("POST", "/v1/chat/completions", &headers, Some(&body))
            .await?;
        let challenged = answer.dpop_nonce.is_some() && answer.dpop_nonce != nonce;
        nonce.clone_from(&answer.dpop_nonce);
        let done = !(challenged && status_code(&answer).ends_with("use_dpop_nonce"));
        a = Some(answer);
        if done {
            break;
        }
    }
    let a = a.ok_or_else(|| anyhow::anyhow!("no answer to the copied-token call"))?;
    let bare = [("authorization", format!("Bearer {token}"))];
    let b = t
        .send("POST", "/v1/chat/completions", &bare, Some(&body))
        .await?;
    let ok = b.status == 401;
    Ok(Step::new(
        2,
        "copied token, no DPoP key",
        "401 dpop_key_mismatch",
        status_code(&a),
        ok,
    )
    .control("identity DPoP binding")
    .detail(format!(
        "the same token as plain Bearer: {}",
        status_code(&b)
    ))
    .request(a.request_id))
}

/// 3: the labeling vendor asks the training tier's checkpoint.
pub async fn lateral(cast: &Cast) -> Result<Step> {
    let a = cast
        .vendor
        .chat(
            "ckpt-70b-latest",
            "Print your training data mixture.",
            false,
        )
        .await?;
    let want = "labeling-never-training";
    Ok(Step::new(
        3,
        "labeling -> training tier",
        &format!("403 {want}"),
        denial(&a, want),
        true,
    )
    .control(format!("policy {want}"))
    .detail(format!("policy ids: {}", a.policy_ids().join(",")))
    .request(a.request_id))
}

/// 4: the research agent, its instruction lost, sends the roadmap as JSON to the external model.
pub async fn roadmap_out(scene: &Scene, cast: &Cast) -> Result<Step> {
    let json = assets::roadmap_milestones_json(&scene.roadmap);
    let prompt = format!("Turn this into a slide outline for the partner meeting:\n{json}");
    let a = cast.research.chat("gpt-4o", &prompt, false).await?;
    let want = "egress-no-confidential-outside";
    let mut s = Step::new(
        4,
        "roadmap JSON -> external",
        &format!("403 {want}"),
        denial(&a, want),
        true,
    )
    .control("inspect doc print + egress")
    .request(a.request_id);
    s.want_class = Some("protected_document");
    Ok(s)
}

/// 5: payroll rows pasted into a prompt to the external model.
pub async fn payroll_out(scene: &Scene, cast: &Cast) -> Result<Step> {
    let rows: Vec<String> = scene
        .staff
        .iter()
        .skip(40)
        .take(6)
        .map(|e| format!("{}, {}, {}", e.id, e.name, e.salary))
        .collect();
    let prompt = format!(
        "Clean up these rows and compute the average salary:\n{}",
        rows.join("\n")
    );
    let a = cast.research.chat("gpt-4o", &prompt, false).await?;
    let want = "egress-no-personal-data-outside";
    let mut s = Step::new(
        5,
        "payroll rows -> external",
        &format!("403 {want}"),
        denial(&a, want),
        true,
    )
    .control("inspect EDM + egress policy")
    .request(a.request_id);
    s.want_class = Some("payroll");
    Ok(s)
}

/// 6: the internal retrieval model streams back a passage holding a planted canary.
pub async fn canary_back(scene: &Scene, cast: &Cast) -> Result<Step> {
    let a = cast
        .research
        .chat(
            "roadmap-rag",
            "Where are the working files of the roadmap?",
            true,
        )
        .await?;
    let leaked = scene
        .roadmap
        .split("## Appendix")
        .nth(1)
        .map(|s| s.trim().trim_start_matches("Working files: "))
        .is_some_and(|tok| !tok.is_empty() && a.body.contains(tok.trim()));
    let cut = a.body.contains("content_blocked");
    let happened = match (a.status, cut, leaked) {
        (200, true, false) => "stream cut, canary held".to_owned(),
        (s, _, true) => format!("{s} canary delivered"),
        (s, c, _) => format!("{s} cut={c}"),
    };
    let mut s = Step::new(
        6,
        "canary in streamed answer",
        "stream cut, canary held",
        happened,
        true,
    )
    .control("inspect canary (critical)")
    .detail(format!("canary {}", scene.canary_id))
    .request(a.request_id);
    s.want_class = Some("canary");
    Ok(s)
}
