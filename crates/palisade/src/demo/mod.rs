//! `palisade demo`: the breach described in `docs/threat-model.md` replayed end to end against a real Palisade on
//! loopback. A fresh data dir, an embedded config validated like any other, the gateway built
//! by `Runtime::build` and served by `palisade_gateway::Gateway` (the `serve` path), SIMULATED
//! providers, real enrollment evidence, ordinary traffic for baselines, then the ten links of
//! the chain, each with what should happen, what happened, the deciding control and its audit
//! entry. Built only with the `demo` feature (it needs sample TEE evidence).
//!
//! Layout: `scene` (data dir, config, gateway), `cast` (identities, enrollment, vendor
//! environments), `traffic` (baselines), `chain` (links 1-6), `behaviour` (7), `attest` (8, 9),
//! `audit` (10, entry lookup, verification), `client`/`enroll` (the agent side), `provider`
//! (simulated retrieval model), `evidence`, `assets`, `config`, `report`, `output`.

mod assets;
mod attest;
mod audit;
mod behaviour;
mod cast;
mod chain;
mod client;
mod config;
mod enroll;
mod evidence;
pub mod output;
mod provider;
mod report;
mod scene;
mod traffic;

use anyhow::{bail, Context, Result};
use report::Step;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `palisade demo`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Print JSON instead of the report.
    pub json: bool,
    /// Where to keep the data dir (must not exist or be empty); a new temp dir otherwise.
    pub keep_dir: Option<PathBuf>,
}

/// What the run produced.
pub struct Outcome {
    /// The data dir.
    pub data_dir: PathBuf,
    /// Steps in order.
    pub steps: Vec<Step>,
    /// Ordinary calls sent before the attack.
    pub ordinary_calls: u32,
    /// Verification of the real log.
    pub audit: Result<String, String>,
    /// Wall time.
    pub seconds: f64,
}

impl Outcome {
    /// Every step behaved and the real log verifies.
    pub fn all_expected(&self) -> bool {
        self.steps.len() == 10 && self.steps.iter().all(|s| s.as_expected) && self.audit.is_ok()
    }
}

fn fresh_dir(keep: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match keep {
        Some(d) => d,
        None => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            std::env::temp_dir().join(format!("palisade-demo-{stamp}-{}", std::process::id()))
        }
    };
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!(
            "{} is not empty: the demo needs a fresh data dir",
            dir.display()
        );
    }
    std::fs::create_dir_all(&dir)?;
    // Absolute, so the printed commands work from anywhere.
    dir.canonicalize().context("resolving the data dir")
}

/// Runs the demo; prints progress unless `json`.
pub fn run(opts: &Options) -> Result<Outcome> {
    let started = Instant::now();
    let data_dir = fresh_dir(opts.keep_dir.clone())?;
    let say = |line: &str| {
        if !opts.json {
            println!("{line}");
        }
    };
    let rt = tokio::runtime::Runtime::new()?;
    let (mut steps, ordinary_calls) = rt.block_on(replay(&data_dir, &say))?;
    drop(rt);

    let entries = audit::index(&data_dir)?;
    audit::resolve(&mut steps, &entries);
    let target = steps
        .iter()
        .find(|s| s.step == 3)
        .and_then(|s| Some((s.request_id.clone()?, s.audit_index?)));
    let ten = match target {
        Some((id, index)) => audit::tamper(&data_dir, &id, index)?,
        None => Step::new(
            10,
            "edit 1 byte of audit log",
            "verify fails at entry ?",
            "no entry to edit".into(),
            false,
        ),
    };
    say(&ten.progress_line());
    steps.push(ten);
    let audit = audit::verify_real(&data_dir);
    Ok(Outcome {
        data_dir,
        steps,
        ordinary_calls,
        audit,
        seconds: started.elapsed().as_secs_f64(),
    })
}

async fn replay(data_dir: &Path, say: &dyn Fn(&str)) -> Result<(Vec<Step>, u32)> {
    say("palisade demo: the breach replayed against a real gateway; model providers are SIMULATED");
    let mut scene = scene::start(data_dir).await?;
    say(&format!(
        "  gateway  https://{} (TLS 1.3, generated dev CA, embedded config)",
        scene.transport.url("").trim_start_matches("https://")
    ));
    say(&format!(
        "  SIMULATED providers http://{} (internal lab models + one external), lab-rag (retrieval)",
        scene.provider.addr()
    ));
    let result = chain_of_events(&scene, say).await;
    scene.stop().await?;
    result
}

async fn chain_of_events(scene: &scene::Scene, say: &dyn Fn(&str)) -> Result<(Vec<Step>, u32)> {
    let cast = cast::enroll_all(scene).await?;
    say("  scene    research agent, training workload, labeling vendor enrolled with evidence");
    say(&format!(
        "           roadmap protected + canaries planted; {} payroll rows loaded for EDM",
        scene::STAFF
    ));
    let calls = traffic::run(&cast).await?;
    say(&format!(
        "  baseline {calls} ordinary calls (learning period {} requests)",
        config::LEARNING_REQUESTS
    ));
    let t = &scene.transport;
    let mut steps = Vec::new();
    let mut push = |s: Step| {
        say(&s.progress_line());
        steps.push(s);
    };
    push(chain::stolen_key(t).await?);
    push(chain::copied_token(t, &cast).await?);
    push(chain::lateral(&cast).await?);
    push(chain::roadmap_out(scene, &cast).await?);
    push(chain::payroll_out(scene, &cast).await?);
    push(chain::canary_back(scene, &cast).await?);
    push(behaviour::bulk_then_exfil(scene, &cast).await?);
    push(attest::bad_workloads(scene).await?);
    push(attest::poisoned_vendor(scene).await?);
    Ok((steps, calls))
}
