//! `PolicyEngine`: the stage-7 authorizer. Holds the compiled policy set behind an `ArcSwap` so
//! a reload replaces it in one atomic pointer swap: every call evaluates against exactly one
//! complete set, old or new, never a mixture. A candidate set is validated and run against its
//! case file before the swap; a refused candidate leaves the serving set untouched.

use crate::cases::{self, CaseFile};
use crate::config::PolicyConfig;
use crate::entity_cache::{EntityCache, DEFAULT_CAPACITY};
use crate::error::PolicyError;
use crate::evaluate::{evaluate, Evaluation};
use crate::loader::{compile, read_policy_dir, CompiledPolicies, PolicySource};
use crate::metrics::{PolicyMetrics, PolicyMetricsSnapshot};
use crate::permitted::Permitted;
use crate::request::{build_call_checked, CallParts};
use crate::vocab::Vocabulary;
use crate::watch::PolicyWatcher;
use arc_swap::ArcSwap;
use palisade_core::{Authorizer, AuthzContext, Decision, Identity, ResourceRef};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One loaded generation of policies.
#[derive(Debug)]
pub struct LoadedPolicies {
    /// The compiled set.
    pub policies: CompiledPolicies,
    /// Generation number (1 for the first load, +1 per successful reload).
    pub generation: u64,
    /// Directory it was read from, if any.
    pub dir: Option<PathBuf>,
}

/// What a successful reload installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadOutcome {
    /// The new generation number.
    pub generation: u64,
    /// Enforced policies in the new set.
    pub policies: usize,
    /// Cases run before the swap (0 when no case file).
    pub cases_passed: usize,
}

/// The Cedar policy engine with hot reload, shadow files and metrics.
#[derive(Debug)]
pub struct PolicyEngine {
    vocab: Vocabulary,
    current: ArcSwap<LoadedPolicies>,
    config: PolicyConfig,
    metrics: PolicyMetrics,
    // Entities depend on (principal, resource) only, never on policies: kept across reloads.
    entities: EntityCache,
    // Serialises reloads so two watchers/SIGHUPs cannot interleave compile-and-swap.
    reload_lock: Mutex<()>,
}

impl PolicyEngine {
    /// Loads `config.dir`, runs its case file (see [`PolicyConfig::cases_for`]) and returns a
    /// serving engine. Any failure is an error: the caller must not serve without policy.
    pub fn load(config: &PolicyConfig) -> Result<Self, PolicyError> {
        config.validate()?;
        let vocab = Vocabulary::new()?;
        let (policies, _) = prepare(&vocab, config, &config.dir)?;
        Ok(Self::assemble(
            vocab,
            policies,
            Some(config.dir.clone()),
            config.clone(),
        ))
    }

    /// Builds an engine from in-memory sources (tests, benches, embedded packs); no case file.
    pub fn from_sources(
        sources: &[PolicySource],
        config: PolicyConfig,
    ) -> Result<Self, PolicyError> {
        config.validate()?;
        let vocab = Vocabulary::new()?;
        let policies = compile(&vocab, sources)?;
        Ok(Self::assemble(vocab, policies, None, config))
    }

    fn assemble(
        vocab: Vocabulary,
        policies: CompiledPolicies,
        dir: Option<PathBuf>,
        config: PolicyConfig,
    ) -> Self {
        let loaded = LoadedPolicies {
            policies,
            generation: 1,
            dir,
        };
        let metrics = PolicyMetrics::default();
        metrics.set_generation(1);
        Self {
            vocab,
            current: ArcSwap::from_pointee(loaded),
            config,
            metrics,
            entities: EntityCache::new(DEFAULT_CAPACITY),
            reload_lock: Mutex::new(()),
        }
    }

    /// The settings the engine runs with.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// The schema and names the engine builds requests with.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocab
    }

    /// The serving generation (a cheap `Arc` clone; it stays valid across reloads).
    pub fn current(&self) -> Arc<LoadedPolicies> {
        self.current.load_full()
    }

    /// Counters for export (Prometheus or logs).
    pub fn metrics(&self) -> PolicyMetricsSnapshot {
        self.metrics.snapshot()
    }

    /// Decides one call with shadow verdicts. Never panics; any failure denies.
    pub fn evaluate(
        &self,
        principal: &Identity,
        action: &str,
        resource: &ResourceRef,
        context: &AuthzContext,
    ) -> Evaluation {
        // One guard for the whole evaluation: the set cannot change under this call.
        let loaded = self.current.load();
        let parts = CallParts {
            principal,
            action,
            resource,
            ctx: context,
            anomaly_threshold: i64::from(self.config.anomaly_threshold),
        };
        let reads = loaded.policies.context_reads(self.config.shadow);
        let eval = match build_call_checked(&self.vocab, &parts, reads, None, Some(&self.entities))
        {
            Ok(call) => evaluate(
                &loaded.policies,
                &call,
                loaded.generation,
                self.config.shadow,
            ),
            Err(e) => Evaluation::failed(e.to_string(), loaded.generation),
        };
        self.metrics.record(&eval);
        eval
    }

    /// Authorizes `value` for the call: `Ok(Permitted)` on allow, the full evaluation on deny.
    pub fn permit<T>(
        &self,
        value: T,
        principal: &Identity,
        action: &str,
        resource: &ResourceRef,
        context: &AuthzContext,
    ) -> Result<Permitted<T>, Box<Evaluation>> {
        let eval = self.evaluate(principal, action, resource, context);
        if eval.decision.is_allowed() {
            Ok(Permitted::new(value, eval.decision))
        } else {
            Err(Box::new(eval))
        }
    }

    /// Starts the polling watcher when `config.watch` is set (`None` otherwise). The binary
    /// wires SIGHUP to [`PolicyEngine::reload`] itself.
    pub fn watch_configured(self: &Arc<Self>) -> Result<Option<PolicyWatcher>, PolicyError> {
        if !self.config.watch {
            return Ok(None);
        }
        let dir = self
            .current()
            .dir
            .clone()
            .unwrap_or_else(|| self.config.dir.clone());
        let interval = Duration::from_millis(self.config.poll_interval_ms);
        crate::watch::watch(Arc::clone(self), dir, interval).map(Some)
    }

    /// Re-reads the directory the engine was loaded from.
    pub fn reload(&self) -> Result<ReloadOutcome, PolicyError> {
        let dir = self
            .current()
            .dir
            .clone()
            .unwrap_or_else(|| self.config.dir.clone());
        self.reload_from_dir(&dir)
    }

    /// Validates `dir`, runs its case file, and only then swaps it in. On error the serving set
    /// is unchanged and `reloads_failed` is incremented.
    pub fn reload_from_dir(&self, dir: &Path) -> Result<ReloadOutcome, PolicyError> {
        let _guard = self.reload_guard();
        let result = prepare(&self.vocab, &self.config, dir)
            .map(|(p, passed)| self.install(p, Some(dir.to_path_buf()), passed));
        self.account(result)
    }

    /// Validates in-memory sources and swaps them in (no case file).
    pub fn reload_from_sources(
        &self,
        sources: &[PolicySource],
    ) -> Result<ReloadOutcome, PolicyError> {
        let _guard = self.reload_guard();
        let result = compile(&self.vocab, sources).map(|p| self.install(p, None, 0));
        self.account(result)
    }

    fn install(
        &self,
        policies: CompiledPolicies,
        dir: Option<PathBuf>,
        passed: usize,
    ) -> ReloadOutcome {
        let generation = self.current.load().generation + 1;
        let count = policies.enforced_count();
        self.current.store(Arc::new(LoadedPolicies {
            policies,
            generation,
            dir,
        }));
        self.metrics.set_generation(generation);
        ReloadOutcome {
            generation,
            policies: count,
            cases_passed: passed,
        }
    }

    /// Held across compile-and-swap so concurrent reloads (watcher + SIGHUP) install in the
    /// order they read the disk. A poisoned lock only means another reload panicked; the swap
    /// itself is atomic, so continuing is safe.
    fn reload_guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.reload_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn account(
        &self,
        result: Result<ReloadOutcome, PolicyError>,
    ) -> Result<ReloadOutcome, PolicyError> {
        match &result {
            Ok(o) => {
                self.metrics.reload_ok();
                tracing::info!(
                    generation = o.generation,
                    policies = o.policies,
                    "policy set reloaded"
                );
            }
            Err(e) => {
                self.metrics.reload_failed(e.to_string());
                tracing::warn!(error = %e, "policy reload refused; previous set keeps serving");
            }
        }
        result
    }
}

/// Compiles `dir` and runs its case file against the candidate (not yet serving) set.
fn prepare(
    vocab: &Vocabulary,
    config: &PolicyConfig,
    dir: &Path,
) -> Result<(CompiledPolicies, usize), PolicyError> {
    let sources = read_policy_dir(dir)?;
    let policies = compile(vocab, &sources)?;
    let Some(cases_path) = config.cases_for(dir) else {
        if config.require_cases {
            return Err(PolicyError::CaseFile {
                path: dir.join(crate::config::DEFAULT_CASES_FILE),
                message: "no case file, and require_cases is set".into(),
            });
        }
        return Ok((policies, 0));
    };
    let file = CaseFile::read(&cases_path)?;
    let report = cases::run_against(vocab, &policies, i64::from(config.anomaly_threshold), &file);
    if let Some(first) = report.results.iter().find(|r| !r.passed) {
        return Err(PolicyError::CasesFailed {
            failed: report.failed(),
            total: report.results.len(),
            first: format!(
                "{}: {}",
                first.name,
                first.failure.as_deref().unwrap_or("failed")
            ),
        });
    }
    Ok((policies, report.results.len()))
}

impl Authorizer for PolicyEngine {
    fn authorize(
        &self,
        principal: &Identity,
        action: &str,
        resource: &ResourceRef,
        context: &AuthzContext,
    ) -> Decision {
        self.evaluate(principal, action, resource, context).decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::read_policy_dir;
    use palisade_core::{DataClass, DestinationClass, IdentityKind, IdentityStatus};

    #[test]
    fn entity_memo_hits_across_contexts() {
        // The hot path relies on the memo: a new context for the same caller and model must
        // reuse the entities, and a different model must not.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
        let engine =
            PolicyEngine::from_sources(&read_policy_dir(&dir).unwrap(), PolicyConfig::default())
                .unwrap();
        let id = Identity {
            id: "spiffe://lab.example/research/a".parse().unwrap(),
            kind: IdentityKind::Agent,
            owner: "team".into(),
            segment: "research".into(),
            scopes: vec![],
            status: IdentityStatus::Active,
            attestation_kinds: vec!["join_token".into(), "sev_snp".into()],
            token_age_secs: 5,
        };
        let model = |name: &str| ResourceRef {
            name: name.into(),
            upstream: "vllm".into(),
            segment: "research".into(),
            destination: DestinationClass::Internal,
        };
        let mut ctx = AuthzContext {
            data_classes: vec![],
            anomaly_score: 1.0,
            stepped_down: false,
            token_age_secs: 5,
            request_bytes: 100,
            streaming: false,
            hour_of_day: 9,
        };
        let first = engine.evaluate(&id, "invoke_model", &model("research-llm"), &ctx);
        assert!(first.decision.is_allowed(), "{first:?}");
        ctx.request_bytes = 9_000;
        ctx.data_classes = vec![DataClass::Confidential];
        let second = engine.evaluate(&id, "invoke_model", &model("research-llm"), &ctx);
        assert!(second.decision.is_allowed(), "{second:?}");
        assert_eq!(
            engine.entities.len(),
            1,
            "same caller and model: one memo entry"
        );
        engine.evaluate(&id, "invoke_model", &model("other-llm"), &ctx);
        assert_eq!(engine.entities.len(), 2);
    }
}
