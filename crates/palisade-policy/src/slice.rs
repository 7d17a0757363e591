//! Policy slicing: Cedar's authorizer evaluates every policy of a set, so 1,000 policies cost
//! 1,000 evaluations. At load we bucket policies by their scope: by action, then by the most
//! selective of `resource == X`, `resource in Segment::"s"`, `principal in Segment::"s"`. A call
//! evaluates only the buckets its scope can match. In the entities this crate builds, a model or
//! tool has exactly one parent (its segment), a segment resource has none, and an identity has
//! exactly one parent (its segment), so `in Segment::"s"` holds iff that segment is `s`. Excluded policies have a scope that is false for the call, and Cedar evaluates the
//! scope before `when`/`unless`, so they can neither be satisfied nor error: the combined
//! result is exactly the full set's (pinned by the `sliced_equals_unsliced` property test).
//!
//! Each bucket is further split by whether a policy reads the request context: the outcome of
//! the context-free part depends only on the principal, action and resource, so the evaluator
//! memoizes it with the entities and evaluates only the context-reading part per call.

use crate::context_use::ContextUse;
use crate::request::CedarCall;
use crate::vocab::ACTIONS;
use cedar_policy::{
    ActionConstraint, EntityUid, Policy, PolicySet, PrincipalConstraint, ResourceConstraint,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// The policies of one scope bucket, split by whether they read the request context.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bucket {
    /// Policies that read no context attribute: same outcome for every context.
    pub(crate) fixed: PolicySet,
    /// Policies that read the context: evaluated on every call.
    pub(crate) varying: PolicySet,
}

impl Bucket {
    fn add(&mut self, p: &Policy, reads: ContextUse) -> Result<(), String> {
        let set = if reads.is_none() {
            &mut self.fixed
        } else {
            &mut self.varying
        };
        set.add(p.clone()).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, Default)]
struct ActionSlice {
    generic: Bucket,
    by_resource: HashMap<EntityUid, Bucket>,
    by_resource_segment: HashMap<EntityUid, Bucket>,
    by_principal_segment: HashMap<EntityUid, Bucket>,
}

/// Which bucket a policy goes in within its action slice.
enum Key {
    Resource(EntityUid),
    ResourceSegment(EntityUid),
    PrincipalSegment(EntityUid),
    Generic,
}

fn is_segment(uid: &EntityUid) -> bool {
    uid.type_name().to_string() == "Palisade::Segment"
}

fn key_of(p: &Policy) -> Key {
    match p.resource_constraint() {
        ResourceConstraint::Eq(uid) => return Key::Resource(uid),
        ResourceConstraint::In(uid) | ResourceConstraint::IsIn(_, uid) if is_segment(&uid) => {
            return Key::ResourceSegment(uid)
        }
        _ => {}
    }
    match p.principal_constraint() {
        PrincipalConstraint::In(uid) | PrincipalConstraint::IsIn(_, uid) if is_segment(&uid) => {
            Key::PrincipalSegment(uid)
        }
        _ => Key::Generic,
    }
}

/// A policy set split by scope for one evaluation path (enforced, or enforced + one shadow file).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sliced {
    by_action: HashMap<&'static str, ActionSlice>,
    /// Unique per build, so memoized context-free outcomes never outlive their policies.
    pub(crate) id: u64,
    /// The context attributes any policy of this set reads.
    pub(crate) reads: ContextUse,
}

/// Source of [`Sliced::id`]; starts at 1 so that 0 never names a real set.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The concrete actions a policy's action scope can match. Our schema has no action groups, so
/// `action in [A, B]` matches exactly A and B; anything unexpected widens to every action.
fn actions_of(p: &Policy) -> Vec<&'static str> {
    let named = |uid: &EntityUid| {
        let id = uid.id().unescaped().to_owned();
        ACTIONS.iter().copied().find(|a| *a == id)
    };
    match p.action_constraint() {
        ActionConstraint::Any => ACTIONS.to_vec(),
        ActionConstraint::Eq(uid) => named(&uid).map_or_else(|| ACTIONS.to_vec(), |a| vec![a]),
        ActionConstraint::In(uids) => {
            let found: Option<Vec<&'static str>> = uids.iter().map(named).collect();
            found.unwrap_or_else(|| ACTIONS.to_vec())
        }
    }
}

impl Sliced {
    /// Buckets `policies`. Errors only if Cedar refuses a policy it already accepted once.
    pub(crate) fn build<'a>(
        policies: impl IntoIterator<Item = &'a Policy>,
    ) -> Result<Self, String> {
        let mut by_action: HashMap<&'static str, ActionSlice> = HashMap::new();
        let mut all_reads = ContextUse::NONE;
        for p in policies {
            let key = key_of(p);
            let reads = ContextUse::of(p);
            all_reads = all_reads.union(reads);
            for a in actions_of(p) {
                let slice = by_action.entry(a).or_default();
                let set = match &key {
                    Key::Resource(uid) => slice.by_resource.entry(uid.clone()).or_default(),
                    Key::ResourceSegment(uid) => {
                        slice.by_resource_segment.entry(uid.clone()).or_default()
                    }
                    Key::PrincipalSegment(uid) => {
                        slice.by_principal_segment.entry(uid.clone()).or_default()
                    }
                    Key::Generic => &mut slice.generic,
                };
                set.add(p, reads)?;
            }
        }
        Ok(Self {
            by_action,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            reads: all_reads,
        })
    }

    /// The buckets a call must be evaluated against. They depend only on the action and the
    /// entity slice, never on the context.
    pub(crate) fn buckets_for<'s>(&'s self, call: &CedarCall) -> impl Iterator<Item = &'s Bucket> {
        let slice = self.by_action.get(call.action);
        let generic = slice.map(|s| &s.generic);
        let pinned = slice.and_then(|s| s.by_resource.get(&call.slice.resource));
        let rseg = slice.and_then(|s| s.by_resource_segment.get(&call.slice.resource_segment));
        let pseg = slice.and_then(|s| s.by_principal_segment.get(&call.slice.principal_segment));
        generic.into_iter().chain(pinned).chain(rseg).chain(pseg)
    }
}

#[cfg(test)]
mod tests {
    use crate::evaluate::evaluate;
    use crate::loader::{compile, read_policy_dir, CompiledPolicies, PolicySource};
    use crate::request::build_call;
    use crate::vocab::{Vocabulary, ACTIONS};
    use cedar_policy::{Authorizer, Decision as CedarDecision};
    use palisade_core::{
        AuthzContext, DataClass, DestinationClass, Effect, Identity, IdentityKind, IdentityStatus,
        ResourceRef,
    };
    use proptest::prelude::*;
    use std::path::PathBuf;
    use std::sync::OnceLock;

    const SEGS: [&str; 4] = ["research", "training", "labeling", "shared"];

    /// Default pack plus pinned-resource permits and forbids, and a forbid that can error.
    fn sources() -> Vec<PolicySource> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
        let mut s = read_policy_dir(&dir).unwrap();
        let mut extra = String::new();
        for i in 0..6 {
            let seg = SEGS[i % 4];
            extra.push_str(&format!(
                "@id(\"pin-permit-{i}\")\npermit (principal in Palisade::Segment::\"{seg}\", action in [Palisade::Action::\"invoke_model\", Palisade::Action::\"call_tool\"], resource == Palisade::Model::\"m{i}\");\n\
                 @id(\"pin-forbid-{i}\")\nforbid (principal, action == Palisade::Action::\"embed\", resource == Palisade::Model::\"m{i}\") when {{ context.hour_of_day > {i} }};\n"
            ));
        }
        extra.push_str("@id(\"is-in\")\nforbid (principal, action, resource is Palisade::Model in Palisade::Segment::\"shared\") when { context.hour_of_day == 3 };\n");
        extra.push_str("@id(\"principal-is-in\")\npermit (principal is Palisade::Identity in Palisade::Segment::\"labeling\", action == Palisade::Action::\"embed\", resource);\n");
        // Context-free and always erroring: memoized with the entities, and must still deny.
        extra.push_str("@id(\"fixed-overflow\")\nforbid (principal, action == Palisade::Action::\"list_models\", resource in Palisade::Segment::\"training\") when { principal.scopes.isEmpty() && 9223372036854775807 + 1 > 0 };\n");
        extra.push_str("@id(\"may-overflow\")\nforbid (principal, action, resource) when { context.request_bytes * 4611686018427387904 > 1 };\n");
        s.push(PolicySource::new("extra.cedar", extra));
        s.push(PolicySource::new("zz.shadow.cedar", SHADOW));
        s
    }

    /// A shadow file with a context-reading permit, a context-free forbid and a scoped
    /// context-reading forbid.
    const SHADOW: &str = "@id(\"sh-permit-streaming\")\npermit (principal, action, resource) when { context.streaming };\n\
        @id(\"sh-forbid-shared\")\nforbid (principal in Palisade::Segment::\"shared\", action, resource);\n\
        @id(\"sh-forbid-big\")\nforbid (principal, action, resource in Palisade::Segment::\"research\") when { context.request_bytes > 1 };\n";

    /// The same sources with the shadow file promoted: what its verdict must equal.
    fn promoted() -> &'static CompiledPolicies {
        static ONCE: OnceLock<CompiledPolicies> = OnceLock::new();
        ONCE.get_or_init(|| {
            let mut s = sources();
            s.retain(|src| !src.is_shadow());
            s.push(PolicySource::new("zz-promoted.cedar", SHADOW));
            compile(&compiled().0, &s).unwrap()
        })
    }

    fn compiled() -> &'static (Vocabulary, CompiledPolicies) {
        static ONCE: OnceLock<(Vocabulary, CompiledPolicies)> = OnceLock::new();
        ONCE.get_or_init(|| {
            let vocab = Vocabulary::new().unwrap();
            let compiled = compile(&vocab, &sources()).unwrap();
            (vocab, compiled)
        })
    }

    prop_compose! {
        fn call()(pseg in prop::sample::select(SEGS.to_vec()),
                  rseg in prop::sample::select(SEGS.to_vec()),
                  m in 0usize..8,
                  action in prop::sample::select(ACTIONS.to_vec()),
                  dest in prop::sample::select(vec![DestinationClass::Internal, DestinationClass::External]),
                  classes in prop::sample::subsequence(DataClass::ALL.to_vec(), 0..=2),
                  bytes in prop::sample::select(vec![0u64, 1, 2, 100]),
                  hour in 0u8..24,
                  active in prop::bool::weighted(0.9))
                  -> (Identity, &'static str, ResourceRef, AuthzContext) {
            let id = Identity {
                id: format!("spiffe://t/{pseg}/w").parse().unwrap(),
                kind: IdentityKind::Agent,
                owner: "o".into(),
                segment: pseg.into(),
                scopes: vec![],
                status: if active { IdentityStatus::Active } else { IdentityStatus::Revoked },
                attestation_kinds: vec!["sev_snp".into()],
                token_age_secs: 1,
            };
            let r = ResourceRef { name: format!("m{m}"), upstream: "u".into(), segment: rseg.into(), destination: dest };
            let ctx = AuthzContext { data_classes: classes, anomaly_score: 1.0, stepped_down: false,
                token_age_secs: 1, request_bytes: bytes, streaming: false, hour_of_day: hour };
            (id, action, r, ctx)
        }
    }

    /// What one Cedar call over the whole enforced set decides, with Palisade's fail-closed
    /// reading of errors: (effect, policy ids, errored).
    fn unsliced(compiled: &CompiledPolicies, c: &crate::CedarCall) -> (Effect, Vec<String>, bool) {
        let full =
            Authorizer::new().is_authorized(&c.request, &compiled.enforced, &c.slice.entities);
        let errored = full.diagnostics().errors().next().is_some();
        let mut reasons: Vec<String> = full
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        reasons.sort();
        match (full.decision(), errored) {
            (CedarDecision::Allow, false) => (Effect::Allow, reasons, false),
            (CedarDecision::Allow, true) => (Effect::Deny, vec![], true),
            (CedarDecision::Deny, _) => (Effect::Deny, reasons, errored),
        }
    }

    fn engine() -> &'static crate::PolicyEngine {
        static ONCE: OnceLock<crate::PolicyEngine> = OnceLock::new();
        ONCE.get_or_init(|| {
            // The default config: shadow verdicts on.
            crate::PolicyEngine::from_sources(&sources(), crate::PolicyConfig::default()).unwrap()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn sliced_equals_unsliced((id, action, r, ctx) in call()) {
            let (vocab, compiled) = compiled();
            let c = build_call(vocab, &id, action, &r, &ctx, 80).unwrap();
            let got = evaluate(compiled, &c, 0, false).decision;
            let (effect, ids, errored) = unsliced(compiled, &c);
            prop_assert_eq!(got.effect, effect);
            prop_assert_eq!(got.policy_ids, ids);
            prop_assert_eq!(!got.errors.is_empty(), errored);
        }

        /// Through the engine: entities and context-free outcomes memoized across calls, a
        /// context holding only the attributes the policies read, and the shadow file's verdict
        /// (its own outcome merged with the enforced one) against the promoted set. Each pair is
        /// decided under two contexts, so the second call always takes the memoized path.
        #[test]
        fn memoized_equals_unsliced((id, action, r, ctx) in call(), hour in 0u8..24, bytes in 0u64..3) {
            let (vocab, compiled) = compiled();
            let other = AuthzContext { hour_of_day: hour, request_bytes: bytes, ..ctx.clone() };
            for ctx in [ctx, other] {
                let eval = engine().evaluate(&id, action, &r, &ctx);
                let c = build_call(vocab, &id, action, &r, &ctx, 80).unwrap();
                prop_assert_eq!(eval.shadow.len(), 2);
                prop_assert_eq!(&eval.shadow[1].file, "zz.shadow.cedar");
                for (got, full) in [(&eval.decision, compiled), (&eval.shadow[1].decision, promoted())] {
                    let (effect, ids, errored) = unsliced(full, &c);
                    prop_assert_eq!(got.effect, effect);
                    prop_assert_eq!(&got.policy_ids, &ids);
                    prop_assert_eq!(!got.errors.is_empty(), errored);
                }
            }
        }
    }
}
