//! Enrollment through the gateway's real HTTPS endpoints, as a workload does it: ask for a
//! challenge nonce, build evidence that binds `SHA-256(nonce "." jkt)` (the identity crate's
//! binding convention), prove possession of the DPoP key with a proof carrying the nonce,
//! and trade all of it for a sender-bound access token.

use super::client::{Agent, Answer, DpopKey, Transport};
use anyhow::{bail, Result};
use serde_json::{json, Value};

/// What one enrollment attempt produced.
pub struct Attempt {
    /// The `/v1/enroll` answer.
    pub answer: Answer,
    /// The key that was bound.
    pub key: DpopKey,
}

/// Runs challenge + enroll; `evidence(binding)` builds the evidence items.
pub async fn attempt(
    transport: &Transport,
    id: &str,
    evidence: impl FnOnce(&[u8; 32]) -> Vec<Value>,
) -> Result<Attempt> {
    let key = DpopKey::generate();
    let ch = transport
        .send(
            "POST",
            "/v1/enroll/challenge",
            &[],
            Some(&json!({"identity": id})),
        )
        .await?;
    if ch.status != 200 {
        bail!("challenge for {id} refused: {} {}", ch.status, ch.code());
    }
    let nonce = ch.json()["nonce"].as_str().unwrap_or("").to_owned();
    let bind = palisade_identity::binding(&nonce, &key.jkt);
    let url = transport.url("/v1/enroll");
    let body = json!({
        "identity": id,
        "nonce": nonce,
        "jwk": key.jwk(),
        "proof": key.proof("POST", &url, None, Some(&nonce)),
        "evidence": evidence(&bind),
    });
    let answer = transport
        .send("POST", "/v1/enroll", &[], Some(&body))
        .await?;
    Ok(Attempt { answer, key })
}

/// Enrolls and returns the ready agent, or fails with the gateway's refusal.
pub async fn enroll(
    transport: &Transport,
    id: &str,
    evidence: impl FnOnce(&[u8; 32]) -> Vec<Value>,
) -> Result<Agent> {
    let a = attempt(transport, id, evidence).await?;
    if a.answer.status != 200 {
        bail!(
            "enrollment of {id} refused: {} {}",
            a.answer.status,
            a.answer.json()["error"]["message"].as_str().unwrap_or("")
        );
    }
    let token = a.answer.json()["access_token"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    Ok(Agent {
        transport: transport.clone(),
        key: a.key,
        token,
        dpop_nonce: std::sync::Mutex::new(None),
    })
}
