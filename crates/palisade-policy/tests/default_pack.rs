//! Tests of the shipped default pack (examples/policies): one per rule, the incident chain, and
//! the pack's own case file.

mod common;

use common::*;
use palisade_core::{
    Authorizer, DataClass, DestinationClass, Effect, IdentityKind, IdentityStatus,
};
use palisade_policy::{run_cases, validate_dir, ACTIONS};

fn ids(d: &palisade_core::Decision) -> Vec<&str> {
    d.policy_ids.iter().map(String::as_str).collect()
}

#[test]
fn pack_validates_in_strict_mode_with_ids_and_shadow_file() {
    let r = validate_dir(&pack_dir()).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(r
        .files
        .iter()
        .any(|f| f.shadow && f.file == "50-injection.shadow.cedar"));
    assert!(r.policies.len() >= 15);
    assert!(r
        .policies
        .iter()
        .all(|p| p.line.is_some() && p.description.is_some()));
}

#[test]
fn pack_case_file_passes() {
    let report = run_cases(&pack_dir(), &pack_dir().join("cases.toml")).unwrap();
    let failures: Vec<_> = report.results.iter().filter(|r| !r.passed).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(report.results.len() >= 20);
    assert_eq!(report.exit_code(), 0);
    let same = palisade_policy::run_case_file(&pack_dir().join("cases.toml")).unwrap();
    assert_eq!(same.passed(), report.passed());
}

#[test]
fn incident_labeling_identity_to_training_model_denied() {
    let d = engine().authorize(
        &labeling_vendor(),
        "invoke_model",
        &model("ckpt-70b", "training", DestinationClass::Internal),
        &quiet(),
    );
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(ids(&d), ["labeling-never-training"]);
}

#[test]
fn labeling_never_research_even_for_enroll() {
    let e = engine();
    for action in ["invoke_model", "embed", "list_models"] {
        let d = e.authorize(
            &labeling_vendor(),
            action,
            &model("r", "research", DestinationClass::Internal),
            &quiet(),
        );
        assert_eq!(ids(&d), ["labeling-never-research"], "{action}");
        assert!(!d.is_allowed());
    }
    let d = e.authorize(
        &labeling_vendor(),
        "enroll",
        &model("", "research", DestinationClass::Internal),
        &quiet(),
    );
    assert_eq!(ids(&d), ["labeling-never-research"]);
}

#[test]
fn incident_confidential_to_external_denied_but_internal_passes() {
    let e = engine();
    let ctx = with_classes(&[DataClass::Confidential]);
    let ext = e.authorize(
        &research_agent(),
        "invoke_model",
        &model("gpt-4o", "shared", DestinationClass::External),
        &ctx,
    );
    assert_eq!(ext.effect, Effect::Deny);
    assert_eq!(ids(&ext), ["egress-no-confidential-outside"]);
    let int = e.authorize(
        &research_agent(),
        "invoke_model",
        &model("research-llm", "research", DestinationClass::Internal),
        &ctx,
    );
    assert_eq!(int.effect, Effect::Allow);
    assert_eq!(ids(&int), ["own-segment"]);
}

#[test]
fn quarantined_identity_denied_everything() {
    let e = engine();
    let resources = [
        model("research-llm", "research", DestinationClass::Internal),
        model("gpt-4o", "shared", DestinationClass::External),
        model("v", "research", DestinationClass::Vendor),
    ];
    for status in [
        IdentityStatus::Quarantined,
        IdentityStatus::Suspended,
        IdentityStatus::Revoked,
    ] {
        let mut id = research_agent();
        id.status = status;
        for action in ACTIONS {
            for r in &resources {
                let d = e.authorize(&id, action, r, &quiet());
                assert_eq!(d.effect, Effect::Deny, "{status:?} {action} {r:?}");
                assert!(ids(&d).contains(&"principal-must-be-active"), "{d:?}");
            }
        }
    }
}

#[test]
fn unattested_and_unproven_vendor_denied() {
    let e = engine();
    let r = model("labeling-small", "labeling", DestinationClass::Internal);
    let bare = who("labeling", "x", IdentityKind::Agent, &[]);
    assert_eq!(
        ids(&e.authorize(&bare, "invoke_model", &r, &quiet())),
        ["principal-must-be-attested"]
    );
    let join_only = who("labeling", "x", IdentityKind::Vendor, &["join_token"]);
    assert_eq!(
        ids(&e.authorize(&join_only, "invoke_model", &r, &quiet())),
        ["vendor-needs-provenance"]
    );
    // The same join-token-only credential is fine for an internal agent.
    let agent = who("labeling", "x", IdentityKind::Agent, &["join_token"]);
    assert!(e
        .authorize(&agent, "invoke_model", &r, &quiet())
        .is_allowed());
}

#[test]
fn cross_segment_only_named_flows() {
    let e = engine();
    let training = who("training", "t", IdentityKind::Workload, &["sev_snp"]);
    let ckpt = model("ckpt", "training", DestinationClass::Internal);
    let research_llm = model("research-llm", "research", DestinationClass::Internal);
    let d = e.authorize(&research_agent(), "invoke_model", &ckpt, &quiet());
    assert_eq!(ids(&d), ["flow-research-to-training"]);
    assert!(d.is_allowed());
    // The reverse flow is not named: default deny, with no deciding policy.
    let ev = e.evaluate(&training, "invoke_model", &research_llm, &quiet());
    assert!(!ev.decision.is_allowed());
    assert!(ev.default_deny);
    assert!(ev.decision.policy_ids.is_empty() && ev.decision.errors.is_empty());
    // Research may not call training-tier tools (the named flow covers models only).
    let tool = model("trainer-ctl", "training", DestinationClass::Internal);
    assert!(!e
        .authorize(&research_agent(), "call_tool", &tool, &quiet())
        .is_allowed());
}

#[test]
fn every_sensitive_class_stays_inside() {
    let e = engine();
    let cases = [
        (DataClass::Secret, "egress-no-secrets-outside"),
        (DataClass::Pii, "egress-no-personal-data-outside"),
        (DataClass::Payroll, "egress-no-personal-data-outside"),
        (DataClass::Confidential, "egress-no-confidential-outside"),
        (
            DataClass::ProtectedDocument,
            "egress-no-confidential-outside",
        ),
        (DataClass::Canary, "egress-no-canary-outside"),
    ];
    for (class, rule) in cases {
        for dest in [DestinationClass::External, DestinationClass::Vendor] {
            let d = e.authorize(
                &research_agent(),
                "invoke_model",
                &model("m", "shared", dest),
                &with_classes(&[class]),
            );
            assert_eq!(ids(&d), [rule], "{class} -> {dest}");
        }
        let d = e.authorize(
            &research_agent(),
            "invoke_model",
            &model("m", "research", DestinationClass::Internal),
            &with_classes(&[class]),
        );
        assert!(d.is_allowed(), "{class} internal");
    }
    // Injection is not an egress class: it stays allowed (its rule is in shadow).
    let d = e.authorize(
        &research_agent(),
        "invoke_model",
        &model("m", "shared", DestinationClass::External),
        &with_classes(&[DataClass::Injection]),
    );
    assert!(d.is_allowed());
}

#[test]
fn step_down_and_anomaly_threshold() {
    let e = engine();
    let mut ctx = quiet();
    ctx.stepped_down = true;
    let ext = model("gpt-4o", "shared", DestinationClass::External);
    let int = model("research-llm", "research", DestinationClass::Internal);
    assert_eq!(
        ids(&e.authorize(&research_agent(), "invoke_model", &ext, &ctx)),
        ["step-down-internal-only"]
    );
    assert!(e
        .authorize(&research_agent(), "invoke_model", &int, &ctx)
        .is_allowed());

    let mut ctx = quiet();
    ctx.anomaly_score = 80.0;
    assert_eq!(
        ids(&e.authorize(&research_agent(), "invoke_model", &int, &ctx)),
        ["anomaly-over-threshold"]
    );
    ctx.anomaly_score = 79.0;
    assert!(e
        .authorize(&research_agent(), "invoke_model", &int, &ctx)
        .is_allowed());
    ctx.anomaly_score = f64::NAN;
    assert!(!e
        .authorize(&research_agent(), "invoke_model", &int, &ctx)
        .is_allowed());
}

#[test]
fn anomaly_threshold_comes_from_config() {
    let cfg = palisade_policy::PolicyConfig {
        anomaly_threshold: 50,
        ..palisade_policy::PolicyConfig::for_dir(pack_dir())
    };
    // The pack's case file pins the default threshold (79.4 passes), so loading the directory
    // with threshold 50 is refused by its own cases: the gate works.
    let err = palisade_policy::PolicyEngine::load(&cfg).unwrap_err();
    assert!(
        matches!(
            err,
            palisade_policy::PolicyError::CasesFailed { failed: 1, .. }
        ),
        "{err}"
    );
    // In-memory load of the same policies (no case file) honours the configured threshold.
    let sources = palisade_policy::read_policy_dir(&pack_dir()).unwrap();
    let e = palisade_policy::PolicyEngine::from_sources(&sources, cfg).unwrap();
    let mut ctx = quiet();
    ctx.anomaly_score = 55.0;
    let int = model("research-llm", "research", DestinationClass::Internal);
    assert_eq!(
        ids(&e.authorize(&research_agent(), "invoke_model", &int, &ctx)),
        ["anomaly-over-threshold"]
    );
    assert!(engine()
        .authorize(&research_agent(), "invoke_model", &int, &ctx)
        .is_allowed());
}

#[test]
fn enroll_and_admin() {
    let e = engine();
    let seg = |s: &str| model("", s, DestinationClass::Internal);
    assert_eq!(
        ids(&e.authorize(&research_agent(), "enroll", &seg("research"), &quiet())),
        ["enroll-own-segment"]
    );
    let training = who("training", "t", IdentityKind::Workload, &["sev_snp"]);
    assert!(!e
        .authorize(&training, "enroll", &seg("research"), &quiet())
        .is_allowed());
    let admin = who("platform", "op", IdentityKind::Workload, &["sev_snp"]);
    assert_eq!(
        ids(&e.authorize(&admin, "admin", &seg("training"), &quiet())),
        ["admin-platform-workloads"]
    );
    let platform_agent = who("platform", "bot", IdentityKind::Agent, &["sev_snp"]);
    assert!(!e
        .authorize(&platform_agent, "admin", &seg("training"), &quiet())
        .is_allowed());
}

#[test]
fn shadow_file_reports_without_enforcing() {
    let e = engine();
    let tool = model("paper-search", "research", DestinationClass::Internal);
    let ev = e.evaluate(
        &research_agent(),
        "call_tool",
        &tool,
        &with_classes(&[DataClass::Injection]),
    );
    assert!(ev.decision.is_allowed(), "shadow rules must not enforce");
    assert_eq!(ev.shadow.len(), 1);
    let s = &ev.shadow[0];
    assert_eq!(s.file, "50-injection.shadow.cedar");
    assert_eq!(s.decision.effect, Effect::Deny);
    assert_eq!(
        s.decision.policy_ids,
        ["shadow-no-tool-calls-after-injection"]
    );
    assert!(s.differs);
    assert_eq!(e.metrics().shadow_disagreements, 1);
    // Without injection the shadow agrees.
    let ev = e.evaluate(&research_agent(), "call_tool", &tool, &quiet());
    assert!(!ev.shadow[0].differs);
}

#[test]
fn unknown_action_fails_closed_with_error() {
    let e = engine();
    let d = e.authorize(
        &research_agent(),
        "delete_model",
        &model("research-llm", "research", DestinationClass::Internal),
        &quiet(),
    );
    assert_eq!(d.effect, Effect::Deny);
    assert!(
        d.errors
            .iter()
            .any(|m| m.contains("unknown action `delete_model`")),
        "{d:?}"
    );
    assert_eq!(e.metrics().evaluation_errors, 1);
}

#[test]
fn permitted_wraps_only_allowed_values() {
    let e = engine();
    let int = model("research-llm", "research", DestinationClass::Internal);
    let ok = e
        .permit("payload", &research_agent(), "invoke_model", &int, &quiet())
        .unwrap();
    assert_eq!(*ok.get(), "payload");
    assert_eq!(ok.decision().policy_ids, ["own-segment"]);
    let denied = e
        .permit(
            "payload",
            &labeling_vendor(),
            "invoke_model",
            &int,
            &quiet(),
        )
        .unwrap_err();
    assert_eq!(denied.decision.policy_ids, ["labeling-never-research"]);
}

#[test]
fn status_change_between_calls_is_seen_despite_entity_memo() {
    // Entities are memoized per (principal, resource); a quarantine must still deny at once.
    let e = engine();
    let r = model("research-llm", "research", DestinationClass::Internal);
    let mut id = research_agent();
    assert!(e.authorize(&id, "invoke_model", &r, &quiet()).is_allowed());
    id.status = IdentityStatus::Quarantined;
    assert_eq!(
        ids(&e.authorize(&id, "invoke_model", &r, &quiet())),
        ["principal-must-be-active"]
    );
    id.status = IdentityStatus::Active;
    id.attestation_kinds.clear();
    assert_eq!(
        ids(&e.authorize(&id, "invoke_model", &r, &quiet())),
        ["principal-must-be-attested"]
    );
}
