//! Evaluates one call against a compiled policy set: the enforced decision with its reasons
//! (policy ids from Cedar diagnostics), fail-closed handling of evaluation errors, and the
//! verdict of every shadow file.

use crate::loader::CompiledPolicies;
use crate::request::CedarCall;
use crate::slice::Sliced;
use cedar_policy::{Authorizer as CedarAuthorizer, Decision as CedarDecision};
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

/// Evaluates the slices of one policy path and combines them as Cedar would over the whole set:
/// any satisfied forbid denies, else any satisfied permit allows, else deny by default. Cedar
/// skips a policy whose condition errors, which for a `forbid` would turn a refusal into an
/// allow, so any error denies here whatever the policies concluded.
fn decide(sliced: &Sliced, call: &CedarCall) -> (Decision, bool) {
    let mut permits: Vec<String> = Vec::new();
    let mut forbids: Vec<String> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let authorizer = CedarAuthorizer::new();
    for set in sliced.sets_for(call) {
        let resp = authorizer.is_authorized(&call.request, set, &call.slice.entities);
        errors.extend(resp.diagnostics().errors().map(ToString::to_string));
        let reasons = resp.diagnostics().reason().map(ToString::to_string);
        match resp.decision() {
            // On allow Cedar's reasons are the satisfied permits, on deny the satisfied forbids.
            CedarDecision::Allow => permits.extend(reasons),
            CedarDecision::Deny => forbids.extend(reasons),
        }
    }
    permits.sort();
    forbids.sort();
    errors.sort();
    let deny = |policy_ids, errors| Decision {
        effect: Effect::Deny,
        policy_ids,
        errors,
    };
    // Errors deny even when no forbid was satisfied (fail closed).
    if !errors.is_empty() || !forbids.is_empty() {
        (deny(forbids, errors), false)
    } else if !permits.is_empty() {
        (
            Decision {
                effect: Effect::Allow,
                policy_ids: permits,
                errors,
            },
            false,
        )
    } else {
        (deny(Vec::new(), errors), true)
    }
}

/// Evaluates `call` against `policies`, including every shadow file.
pub(crate) fn evaluate(
    policies: &CompiledPolicies,
    call: &CedarCall,
    generation: u64,
) -> Evaluation {
    let (decision, default_deny) = decide(&policies.sliced, call);
    let shadow = policies
        .shadows
        .iter()
        .map(|s| {
            let (d, _) = decide(&s.combined, call);
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
    let (decision, default_deny) = decide(&policies.sliced, call);
    Evaluation {
        decision,
        default_deny,
        shadow: Vec::new(),
        generation,
    }
}
