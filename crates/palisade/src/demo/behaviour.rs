//! Link 7: the vendor's identity, credentials still valid, starts a bulk read of confidential
//! material and then sends it out. Behaviour compares each call with the vendor's own
//! baseline: the bulk read steps it down (and, scoring above the pack's anomaly threshold,
//! is refused even on its own segment's model), the egress that follows quarantines it (its
//! status flips in the registry), and its next call is refused at authentication.

use super::cast::{Cast, VENDOR};
use super::chain::denial;
use super::report::Step;
use super::scene::Scene;
use super::traffic::labeling_prompt;
use anyhow::Result;
use palisade_core::SpiffeId;

/// One bulk-read request: many research notes at once, far above the vendor's usual size.
fn bulk(i: usize) -> String {
    let mut s =
        format!("Batch {i}: normalise the following research notes for the labeling queue.\n");
    s.push_str("CONFIDENTIAL\n");
    for n in 0..120 {
        s.push_str(&format!(
            "note {i}-{n}: sparse attention ablation run {n} on the routed experts, loss curve \
             flattened after warmup, keep for the next evaluation round.\n"
        ));
    }
    s
}

/// The exfiltration request: the gathered notes, marked and named, to a third-party model.
fn exfil() -> String {
    let mut s = String::from("Summarise these for our own records:\n");
    for n in 0..8 {
        s.push_str(&format!(
            "CONFIDENTIAL Llama-5 design note {n}: expert routing table and sparse attention layout.\n"
        ));
    }
    s
}

/// Runs link 7.
pub async fn bulk_then_exfil(scene: &Scene, cast: &Cast) -> Result<Step> {
    let mut bulk_status = Vec::new();
    for i in 0..3 {
        let a = cast.vendor.chat("labeling-small", &bulk(i), false).await?;
        bulk_status.push(denial(&a, "anomaly-over-threshold"));
    }
    let view = scene
        .runtime
        .behavior
        .as_ref()
        .map(|b| b.baseline(VENDOR))
        .transpose()?;
    let stepped_down = view
        .as_ref()
        .is_some_and(|v| v.step_down_until_ms.is_some());
    let out = cast.vendor.chat("gpt-4o", &exfil(), false).await?;
    let status = scene
        .identity()?
        .registry
        .show(&VENDOR.parse::<SpiffeId>()?)?
        .status;
    let next = cast
        .vendor
        .chat("labeling-small", &labeling_prompt(99), false)
        .await?;
    let happened = format!(
        "{} > {} > {} {}",
        if stepped_down {
            "step-down"
        } else {
            "no step-down"
        },
        status.as_str(),
        next.status,
        next.code()
    );
    // Why it was quarantined, as the registry recorded it.
    let reason = scene
        .identity()?
        .registry
        .show(&VENDOR.parse::<SpiffeId>()?)?
        .history
        .last()
        .map(|h| h.reason.clone())
        .unwrap_or_default();
    Ok(Step::new(
        7,
        "vendor bulk read + exfil",
        "step-down > quarantined > 403 identity_quarantined",
        happened,
        out.status == 403,
    )
    .control("behavior baseline -> registry")
    .detail(format!(
        "bulk reads (internal): {}; egress: {}; {}",
        bulk_status.join(", "),
        denial(&out, "step-down-internal-only"),
        reason.chars().take(300).collect::<String>()
    ))
    .request(out.request_id))
}
