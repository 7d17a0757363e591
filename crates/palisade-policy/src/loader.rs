//! Reads a policy directory, parses each `.cedar` file, enforces `@id` annotations, validates the
//! whole set in strict mode against the shipped schema and compiles it into the sets the
//! evaluator needs: the enforced set plus one set per shadow file.

use crate::context_use::ContextUse;
use crate::error::{line_col, PolicyError, SourceProblem};
use crate::slice::Sliced;
use crate::vocab::Vocabulary;
use cedar_policy::{Effect as CedarEffect, Policy, PolicyId, PolicySet, ValidationMode, Validator};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

/// File-name suffix of shadow policy files: evaluated and reported, never enforced.
pub const SHADOW_SUFFIX: &str = ".shadow.cedar";

/// One policy file's text and the name it is reported under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    /// File name (relative to the policy directory).
    pub name: String,
    /// Cedar policy text.
    pub text: String,
}

impl PolicySource {
    /// Builds a source from a name and text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Whether the file is a shadow file (`*.shadow.cedar`).
    pub fn is_shadow(&self) -> bool {
        self.name.ends_with(SHADOW_SUFFIX)
    }
}

/// Reads every `*.cedar` file directly in `dir`, sorted by name so loads are reproducible.
pub fn read_policy_dir(dir: &Path) -> Result<Vec<PolicySource>, PolicyError> {
    let io = |e| PolicyError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".cedar") || !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| PolicyError::Io {
            path: path.clone(),
            source: e,
        })?;
        out.push(PolicySource::new(name, text));
    }
    if out.is_empty() {
        return Err(PolicyError::NoPolicies(dir.to_path_buf()));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Effect of a policy, as reported in explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyEffect {
    /// A `permit` policy.
    Permit,
    /// A `forbid` policy.
    Forbid,
}

/// What the engine knows about one loaded policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyInfo {
    /// The `@id` annotation (also the Cedar policy id).
    pub id: String,
    /// File it came from.
    pub file: String,
    /// 1-based line of its `permit`/`forbid` keyword, when found.
    pub line: Option<usize>,
    /// Permit or forbid.
    pub effect: PolicyEffect,
    /// Its `@description` annotation, if any.
    pub description: Option<String>,
    /// Whether it comes from a shadow file.
    pub shadow: bool,
}

/// A shadow file's own policies. Its verdict is what the enforced set would decide if the file
/// were promoted: the evaluator merges this file's outcome with the enforced one, which equals
/// evaluating the union because a set's outcome is the union of its policies' outcomes.
#[derive(Debug, Clone)]
pub(crate) struct ShadowSet {
    pub(crate) file: String,
    pub(crate) only: Sliced,
}

/// A validated, compiled policy set. Immutable once built; the engine swaps whole values.
#[derive(Debug, Clone)]
pub struct CompiledPolicies {
    pub(crate) enforced: PolicySet,
    pub(crate) sliced: Sliced,
    pub(crate) shadows: Vec<ShadowSet>,
    pub(crate) index: HashMap<String, PolicyInfo>,
    pub(crate) warnings: Vec<SourceProblem>,
    pub(crate) files: Vec<(String, usize, bool)>,
}

impl CompiledPolicies {
    /// Every loaded policy, sorted by file then line.
    pub fn policies(&self) -> Vec<&PolicyInfo> {
        let mut v: Vec<&PolicyInfo> = self.index.values().collect();
        v.sort_by(|a, b| (&a.file, a.line, &a.id).cmp(&(&b.file, b.line, &b.id)));
        v
    }
    /// Info about one policy id.
    pub fn policy(&self, id: &str) -> Option<&PolicyInfo> {
        self.index.get(id)
    }
    /// The context attributes a call needs: those read by the enforced set, and by the shadow
    /// files too when their verdicts are computed.
    pub(crate) fn context_reads(&self, with_shadow: bool) -> ContextUse {
        let shadows = self.shadows.iter().filter(|_| with_shadow);
        shadows.fold(self.sliced.reads, |acc, s| acc.union(s.only.reads))
    }

    /// Number of enforced policies.
    pub fn enforced_count(&self) -> usize {
        self.enforced.policies().count()
    }
    /// Names of the shadow files.
    pub fn shadow_files(&self) -> impl Iterator<Item = &str> {
        self.shadows.iter().map(|s| s.file.as_str())
    }
}

fn labels_problem(
    file: &str,
    text: Option<&str>,
    diag: &dyn miette::Diagnostic,
    msg: String,
) -> SourceProblem {
    let offset = diag.labels().and_then(|mut l| l.next()).map(|l| l.offset());
    let (line, column) = match (offset, text) {
        (Some(o), Some(t)) => {
            let (l, c) = line_col(t, o);
            (Some(l), Some(c))
        }
        _ => (None, None),
    };
    let message = match diag.help() {
        Some(h) => format!("{msg} (help: {h})"),
        None => msg,
    };
    SourceProblem {
        file: file.to_owned(),
        line,
        column,
        message,
    }
}

/// 1-based lines of the `permit`/`forbid` keywords that start policies, in order. Cedar assigns
/// `policyN` ids in source order, so the N-th keyword locates the N-th policy.
fn effect_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim_start();
            let starts = |kw: &str| {
                t.strip_prefix(kw)
                    .is_some_and(|r| r.starts_with(|c: char| c == '(' || c.is_whitespace()))
            };
            (starts("permit") || starts("forbid")).then_some(i + 1)
        })
        .collect()
}

fn ordinal(id: &PolicyId) -> usize {
    id.to_string()
        .strip_prefix("policy")
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// Parses, annotates and strictly validates `sources`. All problems are collected, not just the
/// first, so one `validate` run shows everything to fix.
pub fn compile(
    vocab: &Vocabulary,
    sources: &[PolicySource],
) -> Result<CompiledPolicies, PolicyError> {
    let mut problems = Vec::new();
    let mut index: HashMap<String, PolicyInfo> = HashMap::new();
    let mut per_file: Vec<(String, bool, Vec<Policy>)> = Vec::new();

    for src in sources {
        let parsed = match PolicySet::from_str(&src.text) {
            Ok(p) => p,
            Err(errs) => {
                for e in errs.iter() {
                    problems.push(labels_problem(&src.name, Some(&src.text), e, e.to_string()));
                }
                continue;
            }
        };
        if parsed.templates().next().is_some() {
            problems.push(SourceProblem {
                file: src.name.clone(),
                line: None,
                column: None,
                message: "policy templates are not supported: write static policies".into(),
            });
        }
        let lines = effect_lines(&src.text);
        let mut policies: Vec<&Policy> = parsed.policies().collect();
        policies.sort_by_key(|p| ordinal(p.id()));
        let mut renamed = Vec::with_capacity(policies.len());
        for p in policies {
            let line = lines.get(ordinal(p.id())).copied();
            let Some(id) = p.annotation("id").filter(|s| !s.trim().is_empty()) else {
                problems.push(SourceProblem {
                    file: src.name.clone(),
                    line,
                    column: None,
                    message: "policy has no `@id(\"...\")` annotation: every policy needs a stable id for decisions and audit".into(),
                });
                continue;
            };
            if let Some(prev) = index.get(id) {
                problems.push(SourceProblem {
                    file: src.name.clone(),
                    line,
                    column: None,
                    message: format!(
                        "duplicate policy id `{id}` (first defined in {}{})",
                        prev.file,
                        prev.line.map(|l| format!(":{l}")).unwrap_or_default()
                    ),
                });
                continue;
            }
            let effect = match p.effect() {
                CedarEffect::Permit => PolicyEffect::Permit,
                CedarEffect::Forbid => PolicyEffect::Forbid,
            };
            index.insert(
                id.to_owned(),
                PolicyInfo {
                    id: id.to_owned(),
                    file: src.name.clone(),
                    line,
                    effect,
                    description: p.annotation("description").map(str::to_owned),
                    shadow: src.is_shadow(),
                },
            );
            renamed.push(p.new_id(PolicyId::new(id)));
        }
        per_file.push((src.name.clone(), src.is_shadow(), renamed));
    }

    let mut all = PolicySet::new();
    let mut enforced = PolicySet::new();
    for (_, shadow, policies) in &per_file {
        for p in policies {
            // Ids are unique by construction above, so `add` cannot fail on duplicates.
            let add = |set: &mut PolicySet| set.add(p.clone()).map_err(|e| e.to_string());
            if let Err(m) =
                add(&mut all).and_then(|()| if *shadow { Ok(()) } else { add(&mut enforced) })
            {
                problems.push(SourceProblem {
                    file: "<set>".into(),
                    line: None,
                    column: None,
                    message: m,
                });
            }
        }
    }

    let text_of = |file: &str| {
        sources
            .iter()
            .find(|s| s.name == file)
            .map(|s| s.text.as_str())
    };
    let file_of = |id: &PolicyId| {
        index
            .get(&id.to_string())
            .map(|i| i.file.clone())
            .unwrap_or_else(|| "<unknown>".into())
    };
    let result = Validator::new(vocab.schema.clone()).validate(&all, ValidationMode::Strict);
    for e in result.validation_errors() {
        let file = file_of(e.policy_id());
        problems.push(labels_problem(
            &file,
            text_of(&file),
            e,
            format!("policy `{}`: {e}", e.policy_id()),
        ));
    }
    let warnings = result
        .validation_warnings()
        .map(|w| {
            let file = file_of(w.policy_id());
            labels_problem(
                &file,
                text_of(&file),
                w,
                format!("policy `{}`: {w}", w.policy_id()),
            )
        })
        .collect();

    if !problems.is_empty() {
        return Err(PolicyError::Invalid(problems));
    }

    let invalid = |file: &str, message: String| {
        PolicyError::Invalid(vec![SourceProblem {
            file: file.to_owned(),
            line: None,
            column: None,
            message,
        }])
    };
    let sliced = Sliced::build(enforced.policies()).map_err(|m| invalid("<set>", m))?;
    let mut shadows = Vec::new();
    let mut files = Vec::new();
    for (file, shadow, policies) in per_file {
        files.push((file.clone(), policies.len(), shadow));
        if !shadow {
            continue;
        }
        let only = Sliced::build(policies.iter()).map_err(|m| invalid(&file, m))?;
        shadows.push(ShadowSet { file, only });
    }
    Ok(CompiledPolicies {
        enforced,
        sliced,
        shadows,
        index,
        warnings,
        files,
    })
}
