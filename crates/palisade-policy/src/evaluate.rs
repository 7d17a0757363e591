//! Evaluates one call against a compiled policy set: the enforced decision with its reasons
//! (policy ids from Cedar diagnostics), fail-closed handling of evaluation errors, and the
//! verdict of every shadow file. Context-free policies are evaluated once per (principal,
//! resource, action, policy set) and memoized with the entities.

use crate::loader::CompiledPolicies;
use crate::request::CedarCall;
use crate::slice::Sliced;
use cedar_policy::{
    Authorizer as CedarAuthorizer, Context, Decision as CedarDecision, PolicySet, Request,
};
use palisade_core::{Decision, Effect};
use std::sync::{Arc, RwLock};

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

/// Satisfied permits and forbids and evaluation errors, as policy ids and messages.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    permits: Vec<String>,
    forbids: Vec<String>,
    errors: Vec<String>,
}

impl Outcome {
    fn absorb(&mut self, call: &CedarCall, request: &Request, set: &PolicySet) {
        let resp = CedarAuthorizer::new().is_authorized(request, set, &call.slice.entities);
        self.errors
            .extend(resp.diagnostics().errors().map(ToString::to_string));
        let reasons = resp.diagnostics().reason().map(ToString::to_string);
        match resp.decision() {
            // On allow Cedar's reasons are the satisfied permits, on deny the satisfied forbids.
            CedarDecision::Allow => self.permits.extend(reasons),
            CedarDecision::Deny => self.forbids.extend(reasons),
        }
    }

    /// Combines as Cedar would over the whole set: any satisfied forbid denies, else any
    /// satisfied permit allows, else deny by default. Cedar skips a policy whose condition
    /// errors, which for a `forbid` would turn a refusal into an allow, so any error denies
    /// here whatever the policies concluded. The flag is the deny-by-default case.
    /// The outcome of the union of both sets.
    fn merge(mut self, other: Self) -> Self {
        self.permits.extend(other.permits);
        self.forbids.extend(other.forbids);
        self.errors.extend(other.errors);
        self
    }

    fn into_decision(mut self) -> (Decision, bool) {
        self.permits.sort();
        self.forbids.sort();
        self.errors.sort();
        let deny = |policy_ids, errors| Decision {
            effect: Effect::Deny,
            policy_ids,
            errors,
        };
        if !self.errors.is_empty() || !self.forbids.is_empty() {
            (deny(self.forbids, self.errors), false)
        } else if !self.permits.is_empty() {
            (
                Decision {
                    effect: Effect::Allow,
                    policy_ids: self.permits,
                    errors: self.errors,
                },
                false,
            )
        } else {
            (deny(Vec::new(), self.errors), true)
        }
    }
}

/// Memoized outcomes of the context-free policies for one (principal, resource) pair, keyed by
/// policy set ([`Sliced::id`]) and action. Lives in the memoized entity slice, so its key
/// already covers every principal and resource input.
#[derive(Debug, Default)]
pub(crate) struct FixedOutcomes(RwLock<Vec<(u64, &'static str, Arc<Outcome>)>>);

/// Entries kept per pair before the list is cleared: (enforced + shadow files) × actions of a
/// few generations; reloads leave stale ids behind that this bound sweeps away.
const FIXED_CAPACITY: usize = 64;

impl FixedOutcomes {
    fn get_or_eval(&self, sliced: &Sliced, call: &CedarCall) -> Result<Arc<Outcome>, String> {
        let key = (sliced.id, call.action);
        // A poisoned lock only means a panic elsewhere; the list itself is always consistent.
        let read = self.0.read().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, hit)) = read.iter().find(|(id, a, _)| (*id, *a) == key) {
            return Ok(Arc::clone(hit));
        }
        drop(read);
        // The same request without context: these policies cannot tell the difference.
        let request = Request::new(
            call.slice.principal.clone(),
            call.action_uid.clone(),
            call.slice.resource.clone(),
            Context::empty(),
            None,
        )
        .map_err(|e| e.to_string())?;
        let mut outcome = Outcome::default();
        for bucket in sliced.buckets_for(call) {
            if !bucket.fixed.is_empty() {
                outcome.absorb(call, &request, &bucket.fixed);
            }
        }
        let outcome = Arc::new(outcome);
        let mut write = self.0.write().unwrap_or_else(|p| p.into_inner());
        if write.len() >= FIXED_CAPACITY {
            write.clear();
        }
        write.push((key.0, key.1, Arc::clone(&outcome)));
        Ok(outcome)
    }
}

/// The outcome of one policy set for `call`: the memoized context-free outcome plus the
/// context-reading policies of the call's buckets.
fn outcome(sliced: &Sliced, call: &CedarCall) -> Result<Outcome, String> {
    let mut outcome = (*call.slice.fixed.get_or_eval(sliced, call)?).clone();
    for bucket in sliced.buckets_for(call) {
        if !bucket.varying.is_empty() {
            outcome.absorb(call, &call.request, &bucket.varying);
        }
    }
    Ok(outcome)
}

/// Evaluates `call` against `policies`, with the verdict of every shadow file when `shadow`.
pub(crate) fn evaluate(
    policies: &CompiledPolicies,
    call: &CedarCall,
    generation: u64,
    shadow: bool,
) -> Evaluation {
    let enforced = match outcome(&policies.sliced, call) {
        Ok(o) => o,
        Err(e) => return Evaluation::failed(e, generation),
    };
    let shadows = policies.shadows.iter().filter(|_| shadow);
    let verdicts: Vec<(String, Decision)> = shadows
        .map(|s| {
            let d = match outcome(&s.only, call) {
                Ok(only) => enforced.clone().merge(only).into_decision().0,
                Err(e) => Decision::deny(e),
            };
            (s.file.clone(), d)
        })
        .collect();
    let (decision, default_deny) = enforced.into_decision();
    let shadow = verdicts
        .into_iter()
        .map(|(file, d)| ShadowResult {
            file,
            differs: d.effect != decision.effect,
            decision: d,
        })
        .collect();
    Evaluation {
        decision,
        default_deny,
        shadow,
        generation,
    }
}
