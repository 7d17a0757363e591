//! The cast: identities registered through the registry (the vendor's data-labeling agent in
//! `labeling`, the training workload in `training`, the research agent in `research`), each
//! enrolled over HTTPS with the evidence its record requires, and the vendor environments
//! that `palisade scan` examines (a clean one and one with an inert LiteLLM-shaped `.pth`).

use super::client::Agent;
use super::enroll;
use super::evidence::{join_token, provenance_item, sample_tee, scan_item};
use super::scene::Scene;
use anyhow::{Context, Result};
use palisade_core::{IdentityKind, SpiffeId};
use palisade_identity::NewIdentity;
use std::path::{Path, PathBuf};

/// The research agent.
pub const RESEARCH: &str = "spiffe://lab.example/research/summariser";
/// The training workload.
pub const TRAINER: &str = "spiffe://lab.example/training/trainer-1";
/// The vendor's data-labeling agent.
pub const VENDOR: &str = "spiffe://lab.example/labeling/cleaner-7";
/// A second training workload whose image provenance was tampered with.
pub const TRAINER_TAMPERED: &str = "spiffe://lab.example/training/trainer-2";
/// A workload whose confidential VM runs with debug enabled.
pub const TRAINER_DEBUG: &str = "spiffe://lab.example/training/trainer-3";
/// A second vendor agent, from the poisoned environment.
pub const VENDOR_POISONED: &str = "spiffe://lab.example/labeling/cleaner-8";

/// Registers one identity through the registry.
pub fn register(
    scene: &Scene,
    id: &str,
    kind: IdentityKind,
    owner: &str,
    requirements: &[&str],
) -> Result<()> {
    let new = NewIdentity {
        id: id.parse::<SpiffeId>()?,
        kind,
        owner: owner.to_owned(),
        scopes: Vec::new(),
        max_ttl_secs: 3600,
        requirements: requirements.iter().map(|s| (*s).to_owned()).collect(),
        legacy_bearer: false,
    };
    scene
        .identity()?
        .registry
        .create(new, "palisade-demo")
        .with_context(|| format!("registering {id}"))?;
    Ok(())
}

/// A one-time join token for `id`.
pub fn join(scene: &Scene, id: &str) -> Result<String> {
    let reg = &scene.identity()?.registry;
    Ok(reg.join_token(&id.parse::<SpiffeId>()?, 600)?.token)
}

/// Writes a vendor Python environment; `poisoned` adds the inert LiteLLM-shaped `.pth`.
pub fn vendor_env(root: &Path, poisoned: bool) -> Result<PathBuf> {
    let site = root.join("lib/python3.12/site-packages");
    std::fs::create_dir_all(&site)?;
    std::fs::write(site.join("acme_labeling.pth"), "/opt/acme/labeling/src\n")?;
    if poisoned {
        // Shaped like the March 2026 LiteLLM 1.82.7/1.82.8 startup hook: a .pth line that
        // decodes and executes code at every interpreter start. The payload here is inert
        // (it decodes to `print('inert demo payload')`) and is never run: it is only scanned.
        std::fs::write(
            site.join("litellm_init.pth"),
            "import os, base64; exec(base64.b64decode('cHJpbnQoJ2luZXJ0IGRlbW8gcGF5bG9hZCcp'))\n",
        )?;
    }
    Ok(root.to_owned())
}

/// Scans `dir` with palisade-scan (no advisory database needed for this finding).
pub fn scan(dir: &Path) -> Result<palisade_scan::ScanReport> {
    Ok(palisade_scan::scan(
        &[dir.to_owned()],
        &palisade_scan::ScanOptions::default(),
        &palisade_scan::AdvisoryDb::empty(),
    )?)
}

/// The three identities, enrolled.
pub struct Cast {
    /// Research agent.
    pub research: Agent,
    /// Training workload.
    pub trainer: Agent,
    /// Vendor labeling agent.
    pub vendor: Agent,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Registers and enrolls the cast.
pub async fn enroll_all(scene: &Scene) -> Result<Cast> {
    register(
        scene,
        RESEARCH,
        IdentityKind::Agent,
        "research-platform",
        &["join_token", "sample_tee"],
    )?;
    register(
        scene,
        TRAINER,
        IdentityKind::Workload,
        "training-infra",
        &["sample_tee", "dsse_provenance"],
    )?;
    register(
        scene,
        VENDOR,
        IdentityKind::Vendor,
        "acme-labeling",
        &["join_token", "dsse_provenance", "scan_attestation"],
    )?;
    let t = &scene.transport;

    let token = join(scene, RESEARCH)?;
    let research = enroll::enroll(t, RESEARCH, |b| {
        vec![join_token(&token), sample_tee(b, false)]
    })
    .await?;

    let env = scene.keys.provenance("trainer-image");
    let trainer = enroll::enroll(t, TRAINER, |b| {
        vec![sample_tee(b, false), provenance_item(&env, "trainer-image")]
    })
    .await?;

    let clean = vendor_env(&scene.data_dir.join("demo/vendor-env-clean"), false)?;
    let report = scan(&clean)?;
    let verdict = palisade_scan::sign_scan_attestation(&report, &scene.keys.scanner(), now_ms())?;
    let env = scene.keys.provenance("acme-labeler");
    let token = join(scene, VENDOR)?;
    let vendor = enroll::enroll(t, VENDOR, |_| {
        vec![
            join_token(&token),
            provenance_item(&env, "acme-labeler"),
            scan_item(&verdict),
        ]
    })
    .await?;
    Ok(Cast {
        research,
        trainer,
        vendor,
    })
}

/// Signs a scan verdict now.
pub fn sign_verdict(
    scene: &Scene,
    report: &palisade_scan::ScanReport,
) -> Result<palisade_core::dsse::Envelope> {
    Ok(palisade_scan::sign_scan_attestation(
        report,
        &scene.keys.scanner(),
        now_ms(),
    )?)
}
