//! Evaluates one call against a compiled policy set: the enforced decision with its reasons
//! (policy ids from Cedar diagnostics), fail-closed handling of evaluation errors, and the
//! verdict of every shadow file.

use crate::loader::CompiledPolicies;
use crate::request::CedarCall;
use cedar_policy::{Authorizer as CedarAuthorizer, Decision as CedarDecision, PolicySet, Response};
use palisade_core::{Decision, Effect};

/// What a shadow file would have decided had it been enforced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShadowResult {
    /// The shadow file name.
    pub file: String,
    /// The decision of enforced set + this file.
    pub decision: Decision,
    /// Whether it differs from the enforced decision's effect.
    pub differs: bool,
}

/// The full result of one evaluation; [`Evaluation::decision`] is what is enforced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evaluation {
    /// The enforced decision.
    pub decision: Decision,
    /// No policy permitted and none forbade: the deny-by-default case.
    pub default_deny: bool,
    /// Shadow verdicts (not enforced), one per shadow file.
    pub shadow: Vec<ShadowResult>,
    /// Generation of the policy set that decided (increments on every successful reload).
    pub generation: u64,
}

impl Evaluation {
    /// A fail-closed deny for a request that could not even be built.
    pub(crate) fn failed(reason: String, generation: u64) -> Self {
        Self {
            decision: Decision::deny(reason),
            default_deny: false,
            shadow: Vec::new(),
            generation,
        }
    }
}

fn sorted_reasons(resp: &Response) -> Vec<String> {
    let mut ids: Vec<String> = resp
        .diagnostics()
        .reason()
        .map(ToString::to_string)
        .collect();
    ids.sort();
    ids
}

/// Cedar skips a policy whose condition errors, which for a `forbid` would turn a refusal into
/// an allow. Any error therefore denies here, whatever Cedar concluded.
fn to_decision(resp: &Response) -> (Decision, bool) {
    let errors: Vec<String> = resp
        .diagnostics()
        .errors()
        .map(ToString::to_string)
        .collect();
    let reasons = sorted_reasons(resp);
    match resp.decision() {
        CedarDecision::Allow if errors.is_empty() => (
            Decision {
                effect: Effect::Allow,
                policy_ids: reasons,
                errors,
            },
            false,
        ),
        CedarDecision::Allow => (
            Decision {
                effect: Effect::Deny,
                policy_ids: Vec::new(),
                errors,
            },
            false,
        ),
        CedarDecision::Deny => {
            let default = reasons.is_empty() && errors.is_empty();
            (
                Decision {
                    effect: Effect::Deny,
                    policy_ids: reasons,
                    errors,
                },
                default,
            )
        }
    }
}

fn decide(set: &PolicySet, call: &CedarCall) -> Response {
    CedarAuthorizer::new().is_authorized(&call.request, set, &call.entities)
}

/// Evaluates `call` against `policies`, including every shadow file.
pub(crate) fn evaluate(
    policies: &CompiledPolicies,
    call: &CedarCall,
    generation: u64,
) -> Evaluation {
    let (decision, default_deny) = to_decision(&decide(&policies.enforced, call));
    let shadow = policies
        .shadows
        .iter()
        .map(|s| {
            let (d, _) = to_decision(&decide(&s.combined, call));
            ShadowResult {
                file: s.file.clone(),
                differs: d.effect != decision.effect,
                decision: d,
            }
        })
        .collect();
    Evaluation {
        decision,
        default_deny,
        shadow,
        generation,
    }
}

/// Evaluates only the enforced set (shadow evaluation switched off in config).
pub(crate) fn evaluate_enforced(
    policies: &CompiledPolicies,
    call: &CedarCall,
    generation: u64,
) -> Evaluation {
    let (decision, default_deny) = to_decision(&decide(&policies.enforced, call));
    Evaluation {
        decision,
        default_deny,
        shadow: Vec::new(),
        generation,
    }
}
