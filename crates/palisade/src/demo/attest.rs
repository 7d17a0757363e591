//! Links 8 and 9: enrollment refuses a workload whose provenance was tampered with, one whose
//! (sample, SEV-SNP-style) TEE report says debug is on, and a vendor whose environment carries
//! an inert LiteLLM-shaped `.pth`: `palisade scan` flags it critical, and neither the honest
//! signed verdict of that scan nor no verdict at all gets the vendor a credential.

use super::cast::{self, join, register, TRAINER_DEBUG, TRAINER_TAMPERED, VENDOR_POISONED};
use super::enroll::attempt;
use super::evidence::{join_token, provenance_item, sample_tee, scan_item, tampered};
use super::report::Step;
use super::scene::Scene;
use anyhow::Result;
use palisade_core::{IdentityKind, Severity};

fn refusal(a: &super::client::Answer) -> String {
    format!("{} {}", a.status, a.code())
}

fn message(a: &super::client::Answer) -> String {
    a.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// Link 8.
pub async fn bad_workloads(scene: &Scene) -> Result<Step> {
    let t = &scene.transport;
    register(
        scene,
        TRAINER_TAMPERED,
        IdentityKind::Workload,
        "training-infra",
        &["sample_tee", "dsse_provenance"],
    )?;
    register(
        scene,
        TRAINER_DEBUG,
        IdentityKind::Workload,
        "training-infra",
        &["sample_tee"],
    )?;
    let genuine = scene.keys.provenance("trainer-image");
    let forged = tampered(&genuine, "trainer-image", "trainer-image-backdoored");
    let a = attempt(t, TRAINER_TAMPERED, |b| {
        vec![
            sample_tee(b, false),
            provenance_item(&forged, "trainer-image-backdoored"),
        ]
    })
    .await?
    .answer;
    let d = attempt(t, TRAINER_DEBUG, |b| vec![sample_tee(b, true)])
        .await?
        .answer;
    let happened = if refusal(&a) == refusal(&d) {
        format!("{} x2", refusal(&a))
    } else {
        format!("{} / {}", refusal(&a), refusal(&d))
    };
    let why_ok = message(&a).contains("trusted key") && message(&d).contains("debug");
    Ok(Step::new(
        8,
        "tampered DSSE; TEE debug",
        "401 evidence_rejected x2",
        happened,
        why_ok,
    )
    .control("attest DSSE sig; TEE debug")
    .detail(format!("{} | {}", message(&a), message(&d)))
    .request(a.request_id))
}

/// Link 9.
pub async fn poisoned_vendor(scene: &Scene) -> Result<Step> {
    let t = &scene.transport;
    let env = cast::vendor_env(&scene.data_dir.join("demo/vendor-env-poisoned"), true)?;
    let report = cast::scan(&env)?;
    let critical: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .map(|f| format!("{} {}", f.rule_id, f.file))
        .collect();
    register(
        scene,
        VENDOR_POISONED,
        IdentityKind::Vendor,
        "acme-labeling",
        &["join_token", "dsse_provenance", "scan_attestation"],
    )?;
    let prov = scene.keys.provenance("acme-labeler");
    let verdict = cast::sign_verdict(scene, &report)?;
    let token = join(scene, VENDOR_POISONED)?;
    let with_verdict = attempt(t, VENDOR_POISONED, |_| {
        vec![
            join_token(&token),
            provenance_item(&prov, "acme-labeler"),
            scan_item(&verdict),
        ]
    })
    .await?
    .answer;
    let token = join(scene, VENDOR_POISONED)?;
    let without = attempt(t, VENDOR_POISONED, |_| {
        vec![join_token(&token), provenance_item(&prov, "acme-labeler")]
    })
    .await?
    .answer;
    // Both refusals share a status here; the second is shown by its code alone.
    let second = if with_verdict.status == without.status {
        without.code()
    } else {
        refusal(&without)
    };
    let happened = format!(
        "{}; {} / {second}",
        if critical.is_empty() {
            "scan clean"
        } else {
            "critical"
        },
        refusal(&with_verdict),
    );
    Ok(Step::new(
        9,
        "poisoned .pth vendor env",
        "critical; 401 evidence_rejected / evidence_missing",
        happened,
        true,
    )
    .control("scan .pth + attest.scan")
    .detail(format!(
        "{} | {}",
        critical.join("; "),
        message(&with_verdict)
    ))
    .request(with_verdict.request_id))
}
