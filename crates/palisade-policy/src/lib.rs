//! Cedar authorization for Palisade (stage 7 of the request path): a shipped schema validated in
//! strict mode, policy sets loaded from a directory with `@id` on every policy, decisions with
//! the ids of the policies that decided, fail-closed evaluation, atomic hot reload gated by a
//! case file, shadow files that are evaluated but not enforced, and the handlers behind
//! `palisade policy validate|test|explain`.
//!
//! Entry points: [`PolicyEngine::load`] with a [`PolicyConfig`], then
//! [`palisade_core::Authorizer::authorize`] (or [`PolicyEngine::evaluate`] for shadow verdicts,
//! or [`PolicyEngine::permit`] for a [`Permitted`] value).

mod cases;
mod cli;
mod config;
mod context_use;
mod engine;
mod entity_cache;
mod error;
mod evaluate;
mod loader;
mod metrics;
mod permitted;
mod request;
mod slice;
mod spec;
mod vocab;
mod watch;

pub use cases::{render_case_report, Case, CaseFile, CaseReport, CaseResult};
pub use cli::{
    explain, explain_with, render_error, render_explanation, render_validation_report,
    run_case_file, run_cases, run_cases_with, validate_dir, Explanation, FileReport,
    ValidationReport,
};
pub use config::{PolicyConfig, DEFAULT_CASES_FILE};
pub use engine::{LoadedPolicies, PolicyEngine, ReloadOutcome};
pub use error::{PolicyError, SourceProblem};
pub use evaluate::{Evaluation, ShadowResult};
pub use loader::{
    compile, read_policy_dir, CompiledPolicies, PolicyEffect, PolicyInfo, PolicySource,
    SHADOW_SUFFIX,
};
pub use metrics::{PolicyMetrics, PolicyMetricsSnapshot};
pub use permitted::Permitted;
pub use request::{build_call, policy_score, CedarCall};
pub use spec::{ContextSpec, PrincipalSpec, RequestSpec, ResourceSpec};
pub use vocab::{Vocabulary, ACTIONS, SCHEMA_SRC};
pub use watch::{watch, PolicyWatcher};
