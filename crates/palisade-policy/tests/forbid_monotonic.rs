//! Property: adding a `forbid` policy never turns a deny into an allow (and never turns any
//! decision into an allow), whatever the request and whatever the forbid's condition.

mod common;

use common::*;
use palisade_core::{
    AuthzContext, DataClass, DestinationClass, Effect, IdentityKind, IdentityStatus,
};
use palisade_policy::{read_policy_dir, PolicyConfig, PolicyEngine, PolicySource, ACTIONS};
use proptest::prelude::*;

const SEGMENTS: [&str; 5] = ["research", "training", "labeling", "shared", "platform"];

fn forbid_condition() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_owned()),
        prop::sample::select(SEGMENTS.to_vec())
            .prop_map(|s| format!("principal.segment == \"{s}\"")),
        prop::sample::select(DataClass::ALL.to_vec())
            .prop_map(|c| format!("context.data_classes.contains(\"{}\")", c.as_str())),
        (0i64..=100).prop_map(|n| format!("context.anomaly_score > {n}")),
        (0i64..=23).prop_map(|h| format!("context.hour_of_day == {h}")),
        Just("context.streaming".to_owned()),
        Just("principal.kind == \"agent\"".to_owned()),
    ]
}

fn request() -> impl Strategy<
    Value = (
        palisade_core::Identity,
        &'static str,
        palisade_core::ResourceRef,
        AuthzContext,
    ),
> {
    (
        prop::sample::select(SEGMENTS.to_vec()),
        prop::sample::select(vec![
            IdentityKind::Agent,
            IdentityKind::Workload,
            IdentityKind::Vendor,
        ]),
        prop::sample::select(vec![
            IdentityStatus::Active,
            IdentityStatus::Active,
            IdentityStatus::Quarantined,
        ]),
        prop::sample::subsequence(vec!["join_token", "dsse_provenance", "sev_snp"], 0..=3),
        prop::sample::select(ACTIONS.to_vec()),
        prop::sample::select(SEGMENTS.to_vec()),
        prop::sample::select(vec![
            DestinationClass::Internal,
            DestinationClass::External,
            DestinationClass::Vendor,
        ]),
        prop::sample::subsequence(DataClass::ALL.to_vec(), 0..=3),
        0.0f64..100.0,
        any::<bool>(),
        any::<bool>(),
        0u8..24,
    )
        .prop_map(
            |(
                pseg,
                kind,
                status,
                att,
                action,
                rseg,
                dest,
                classes,
                score,
                stepped,
                streaming,
                hour,
            )| {
                let mut id = who(pseg, "w", kind, &att);
                id.status = status;
                let ctx = AuthzContext {
                    data_classes: classes,
                    anomaly_score: score,
                    stepped_down: stepped,
                    streaming,
                    hour_of_day: hour,
                    ..quiet()
                };
                (id, action, model("m", rseg, dest), ctx)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn adding_a_forbid_never_allows_more(cond in forbid_condition(), reqs in prop::collection::vec(request(), 1..8)) {
        let base_sources = read_policy_dir(&pack_dir()).unwrap();
        let mut extended = base_sources.clone();
        extended.push(PolicySource::new(
            "zz-extra.cedar",
            format!("@id(\"extra-forbid\")\nforbid (principal, action, resource) when {{ {cond} }};\n"),
        ));
        let base = PolicyEngine::from_sources(&base_sources, PolicyConfig::default()).unwrap();
        let more = PolicyEngine::from_sources(&extended, PolicyConfig::default()).unwrap();
        for (id, action, res, ctx) in &reqs {
            let b = base.evaluate(id, action, res, ctx).decision;
            let m = more.evaluate(id, action, res, ctx).decision;
            if b.effect == Effect::Deny {
                prop_assert_eq!(m.effect, Effect::Deny, "forbid `{}` turned a deny into an allow", cond);
            }
            if m.effect == Effect::Allow {
                prop_assert_eq!(b.effect, Effect::Allow);
                prop_assert_eq!(&m.policy_ids, &b.policy_ids);
            }
        }
    }
}

#[test]
fn a_forbid_that_errors_at_runtime_still_denies() {
    // Cedar skips a policy whose condition errors; for a forbid that would silently allow.
    // Overflow passes strict validation but errors at runtime: the engine must deny.
    let mut sources = read_policy_dir(&pack_dir()).unwrap();
    sources.push(PolicySource::new(
        "zz-overflow.cedar",
        "@id(\"overflowing-forbid\")\nforbid (principal, action, resource)\nwhen { context.request_bytes * 9223372036854775807 > 0 };\n",
    ));
    let e = PolicyEngine::from_sources(&sources, PolicyConfig::default()).unwrap();
    let ev = e.evaluate(
        &research_agent(),
        "invoke_model",
        &model("research-llm", "research", DestinationClass::Internal),
        &quiet(),
    );
    assert_eq!(ev.decision.effect, Effect::Deny);
    assert!(ev.decision.policy_ids.is_empty());
    assert!(
        ev.decision
            .errors
            .iter()
            .any(|m| m.contains("overflowing-forbid")),
        "{:?}",
        ev.decision.errors
    );
    assert_eq!(e.metrics().evaluation_errors, 1);
}
