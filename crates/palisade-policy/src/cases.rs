//! Case files (`cases.toml`): named principals and resources plus cases with the expected
//! decision and policy ids. Run by `palisade policy test` and before every (re)load.

use crate::error::PolicyError;
use crate::evaluate::{evaluate, ShadowResult};
use crate::loader::CompiledPolicies;
use crate::request::build_call;
use crate::spec::{ContextSpec, PrincipalSpec, ResourceSpec};
use crate::vocab::Vocabulary;
use palisade_core::{Decision, Effect};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows.
    pub name: String,
    /// Key into `[principals]`.
    pub principal: String,
    /// Action name.
    pub action: String,
    /// Key into `[resources]`.
    pub resource: String,
    /// Context; defaults to a quiet call.
    #[serde(default)]
    pub context: ContextSpec,
    /// Expected enforced effect.
    pub expect: Effect,
    /// Expected deciding policy ids (any order); unchecked when absent.
    #[serde(default)]
    pub policy_ids: Option<Vec<String>>,
    /// Expected effect per shadow file; unchecked when absent.
    #[serde(default)]
    pub shadow: BTreeMap<String, Effect>,
}

/// A parsed case file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Named principals.
    #[serde(default)]
    pub principals: BTreeMap<String, PrincipalSpec>,
    /// Named resources.
    #[serde(default)]
    pub resources: BTreeMap<String, ResourceSpec>,
    /// The cases, in order.
    #[serde(default, rename = "case")]
    pub cases: Vec<Case>,
    /// Where it was read from.
    #[serde(skip)]
    pub path: PathBuf,
}

impl CaseFile {
    /// Reads and checks a case file.
    pub fn read(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and checks case-file text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PolicyError> {
        let err = |message: String| PolicyError::CaseFile {
            path: path.to_path_buf(),
            message,
        };
        let mut file: CaseFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        file.path = path.to_path_buf();
        if file.cases.is_empty() {
            return Err(err("no [[case]] entries".into()));
        }
        for c in &file.cases {
            if !file.principals.contains_key(&c.principal) {
                return Err(err(format!(
                    "case `{}`: unknown principal `{}`",
                    c.name, c.principal
                )));
            }
            if !file.resources.contains_key(&c.resource) {
                return Err(err(format!(
                    "case `{}`: unknown resource `{}`",
                    c.name, c.resource
                )));
            }
        }
        Ok(file)
    }
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// Whether everything expected held.
    pub passed: bool,
    /// Expected effect.
    pub expected: Effect,
    /// The actual enforced decision.
    pub actual: Decision,
    /// Shadow verdicts.
    pub shadow: Vec<ShadowResult>,
    /// Why it failed.
    pub failure: Option<String>,
}

/// The outcome of a case file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseReport {
    /// The case file.
    pub file: PathBuf,
    /// One result per case, in file order.
    pub results: Vec<CaseResult>,
}

impl CaseReport {
    /// Passed cases.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }
    /// Failed cases.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
    /// Process exit code for CI: 0 when every case passed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.failed() > 0)
    }
}

fn check(case: &Case, decision: &Decision, shadow: &[ShadowResult]) -> Option<String> {
    if decision.effect != case.expect {
        let why = if decision.errors.is_empty() {
            format!("policies {:?}", decision.policy_ids)
        } else {
            format!("errors {:?}", decision.errors)
        };
        return Some(format!(
            "expected {:?}, got {:?} ({why})",
            case.expect, decision.effect
        ));
    }
    if let Some(want) = &case.policy_ids {
        let mut want = want.clone();
        want.sort();
        if want != decision.policy_ids {
            return Some(format!(
                "expected policy ids {want:?}, got {:?}",
                decision.policy_ids
            ));
        }
    }
    for (file, effect) in &case.shadow {
        match shadow.iter().find(|s| &s.file == file) {
            None => return Some(format!("no shadow file `{file}` loaded")),
            Some(s) if s.decision.effect != *effect => {
                return Some(format!(
                    "shadow `{file}`: expected {effect:?}, got {:?} ({:?})",
                    s.decision.effect, s.decision.policy_ids
                ))
            }
            Some(_) => {}
        }
    }
    None
}

/// Runs every case of `file` against `policies`.
pub(crate) fn run_against(
    vocab: &Vocabulary,
    policies: &CompiledPolicies,
    anomaly_threshold: i64,
    file: &CaseFile,
) -> CaseReport {
    let results = file
        .cases
        .iter()
        .map(|case| {
            let outcome = (|| {
                let principal = file
                    .principals
                    .get(&case.principal)
                    .ok_or_else(|| format!("unknown principal `{}`", case.principal))?;
                let resource = file
                    .resources
                    .get(&case.resource)
                    .ok_or_else(|| format!("unknown resource `{}`", case.resource))?;
                let ctx = case.context.to_context().map_err(|e| e.to_string())?;
                let identity = principal.to_identity(ctx.token_age_secs);
                let call = build_call(
                    vocab,
                    &identity,
                    &case.action,
                    &resource.to_resource(),
                    &ctx,
                    anomaly_threshold,
                )
                .map_err(|e| e.to_string())?;
                Ok::<_, String>(evaluate(policies, &call, 0, true))
            })();
            let (actual, shadow, failure) = match outcome {
                Ok(eval) => {
                    let failure = check(case, &eval.decision, &eval.shadow);
                    (eval.decision, eval.shadow, failure)
                }
                // A case that cannot be built fails even if it expected a deny: it tests nothing.
                Err(e) => (Decision::deny(e.clone()), Vec::new(), Some(e)),
            };
            CaseResult {
                name: case.name.clone(),
                passed: failure.is_none(),
                expected: case.expect,
                actual,
                shadow,
                failure,
            }
        })
        .collect();
    CaseReport {
        file: file.path.clone(),
        results,
    }
}

/// Renders a report for a terminal: one line per case, failures with the reason, a summary.
pub fn render_case_report(report: &CaseReport) -> String {
    let mut out = String::new();
    for r in &report.results {
        let mark = if r.passed { "ok  " } else { "FAIL" };
        let _ = write!(out, "{mark} {} -> {:?}", r.name, r.actual.effect);
        if !r.actual.policy_ids.is_empty() {
            let _ = write!(out, " [{}]", r.actual.policy_ids.join(", "));
        }
        out.push('\n');
        if let Some(f) = &r.failure {
            let _ = writeln!(out, "     {f}");
        }
    }
    let _ = writeln!(
        out,
        "{}: {} passed, {} failed",
        report.file.display(),
        report.passed(),
        report.failed()
    );
    out
}
