//! Handlers behind `palisade policy validate|test|explain`: they take parsed arguments, return
//! typed reports, and leave printing to the binary (through the `render_*` helpers here).

use crate::cases::{run_against, CaseFile, CaseReport};
use crate::config::PolicyConfig;
use crate::context_use::ContextUse;
use crate::error::{PolicyError, SourceProblem};
use crate::evaluate::{evaluate, Evaluation};
use crate::loader::{compile, read_policy_dir, CompiledPolicies, PolicyInfo};
use crate::request::{build_call_checked, CallParts};
use crate::spec::RequestSpec;
use crate::vocab::Vocabulary;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One policy file in a validation report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    /// File name.
    pub file: String,
    /// Policies in it.
    pub policies: usize,
    /// Whether it is a shadow file.
    pub shadow: bool,
}

/// A valid directory: what it holds and any validator warnings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValidationReport {
    /// The directory.
    pub dir: PathBuf,
    /// Files in load order.
    pub files: Vec<FileReport>,
    /// Every policy, by file and line.
    pub policies: Vec<PolicyInfo>,
    /// Non-fatal validator warnings (e.g. a policy that can never apply).
    pub warnings: Vec<SourceProblem>,
}

fn load_dir(dir: &Path) -> Result<(Vocabulary, CompiledPolicies), PolicyError> {
    let vocab = Vocabulary::new()?;
    let sources = read_policy_dir(dir)?;
    let compiled = compile(&vocab, &sources)?;
    Ok((vocab, compiled))
}

/// `palisade policy validate DIR`: parse, `@id` checks and strict schema validation.
/// Errors are [`PolicyError::Invalid`] with every problem located by file and line.
pub fn validate_dir(dir: &Path) -> Result<ValidationReport, PolicyError> {
    let (_, compiled) = load_dir(dir)?;
    Ok(ValidationReport {
        dir: dir.to_path_buf(),
        files: compiled
            .files
            .iter()
            .map(|(file, policies, shadow)| FileReport {
                file: file.clone(),
                policies: *policies,
                shadow: *shadow,
            })
            .collect(),
        policies: compiled.policies().into_iter().cloned().collect(),
        warnings: compiled.warnings.clone(),
    })
}

/// `palisade policy test DIR CASES.toml` with default settings (anomaly threshold 80).
pub fn run_cases(dir: &Path, cases_file: &Path) -> Result<CaseReport, PolicyError> {
    run_cases_with(dir, cases_file, &PolicyConfig::for_dir(dir))
}

/// `palisade policy test CASES.toml`: runs the case file against the policy directory that
/// holds it (the layout of `examples/policies`).
pub fn run_case_file(cases_file: &Path) -> Result<CaseReport, PolicyError> {
    let dir = cases_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    run_cases(dir, cases_file)
}

/// Runs a case file against `dir` with the gateway's policy settings (anomaly threshold).
pub fn run_cases_with(
    dir: &Path,
    cases_file: &Path,
    config: &PolicyConfig,
) -> Result<CaseReport, PolicyError> {
    config.validate()?;
    let (vocab, compiled) = load_dir(dir)?;
    let file = CaseFile::read(cases_file)?;
    Ok(run_against(
        &vocab,
        &compiled,
        i64::from(config.anomaly_threshold),
        &file,
    ))
}

/// The answer to `palisade policy explain`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    /// The request as given.
    pub request: RequestSpec,
    /// The evaluation (enforced decision and shadow verdicts).
    pub evaluation: Evaluation,
    /// The policies that decided, with file, line and description.
    pub deciding: Vec<PolicyInfo>,
}

/// `palisade policy explain DIR --request FILE`: decides one request and says why. The request
/// is also checked against the schema, so a malformed request is reported rather than denied.
pub fn explain(dir: &Path, request: &RequestSpec) -> Result<Explanation, PolicyError> {
    explain_with(dir, request, &PolicyConfig::for_dir(dir))
}

/// [`explain`] with the gateway's policy settings.
pub fn explain_with(
    dir: &Path,
    request: &RequestSpec,
    config: &PolicyConfig,
) -> Result<Explanation, PolicyError> {
    config.validate()?;
    let (vocab, compiled) = load_dir(dir)?;
    let ctx = request.context.to_context()?;
    let identity = request.principal.to_identity(ctx.token_age_secs);
    let resource = request.resource.to_resource();
    let parts = CallParts {
        principal: &identity,
        action: &request.action,
        resource: &resource,
        ctx: &ctx,
        anomaly_threshold: i64::from(config.anomaly_threshold),
    };
    let call = build_call_checked(&vocab, &parts, ContextUse::ALL, Some(vocab.schema()), None)?;
    let evaluation = evaluate(&compiled, &call, 0, true);
    let deciding = evaluation
        .decision
        .policy_ids
        .iter()
        .filter_map(|id| compiled.policy(id).cloned())
        .collect();
    Ok(Explanation {
        request: request.clone(),
        evaluation,
        deciding,
    })
}

/// Renders a validation report.
pub fn render_validation_report(r: &ValidationReport) -> String {
    let mut out = String::new();
    for f in &r.files {
        let tag = if f.shadow { " (shadow)" } else { "" };
        let _ = writeln!(out, "{}: {} policies{tag}", f.file, f.policies);
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let _ = writeln!(
        out,
        "{}: valid ({} policies in {} files)",
        r.dir.display(),
        r.policies.len(),
        r.files.len()
    );
    out
}

/// Renders a policy error with one located problem per line (`file:line:col: message`).
pub fn render_error(e: &PolicyError) -> String {
    let problems = e.problems();
    if problems.is_empty() {
        return format!("error: {e}\n");
    }
    let mut out = String::new();
    for p in problems {
        let _ = writeln!(out, "error: {p}");
    }
    let _ = writeln!(out, "{} problem(s); policy set refused", problems.len());
    out
}

/// Renders an explanation for a terminal.
pub fn render_explanation(x: &Explanation) -> String {
    let mut out = String::new();
    let d = &x.evaluation.decision;
    let _ = writeln!(
        out,
        "{} {} on {} ({}, segment {}, {}): {:?}",
        x.request.principal.id,
        x.request.action,
        x.request.resource.name,
        x.request.resource.upstream,
        x.request.resource.segment,
        x.request.resource.destination,
        d.effect
    );
    if x.evaluation.default_deny {
        let _ = writeln!(out, "  no policy permits this call (deny by default)");
    }
    for p in &x.deciding {
        let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:?} {} ({}{line}){}",
            p.effect,
            p.id,
            p.file,
            p.description
                .as_deref()
                .map(|s| format!(": {s}"))
                .unwrap_or_default()
        );
    }
    for e in &d.errors {
        let _ = writeln!(out, "  error: {e}");
    }
    for s in &x.evaluation.shadow {
        let _ = writeln!(
            out,
            "  shadow {}: would {:?}{} [{}]",
            s.file,
            s.decision.effect,
            if s.differs { " (differs)" } else { "" },
            s.decision.policy_ids.join(", ")
        );
    }
    out
}
