//! The CLI handlers: `validate` locates every problem by file and line, `test` reports per case
//! with an exit code, `explain` names the deciding policies.

mod common;

use common::pack_dir;
use palisade_policy::{
    explain, render_case_report, render_error, render_explanation, render_validation_report,
    run_cases, validate_dir, PolicyError, RequestSpec,
};
use std::fs;

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(d.path().join(name), text).unwrap();
    }
    d
}

const GOOD: &str = r#"@id("ok")
permit (principal, action == Palisade::Action::"invoke_model", resource)
when { principal.segment == resource.segment };
"#;

#[test]
fn type_error_is_located_by_file_and_line() {
    let bad = r#"// a comment line

@id("typo")
permit (principal, action == Palisade::Action::"invoke_model", resource)
when { principal.segmnt == resource.segment };
"#;
    let d = dir_with(&[("a.cedar", GOOD), ("b.cedar", bad)]);
    let err = validate_dir(d.path()).unwrap_err();
    let p = err.problems();
    assert_eq!(p.len(), 1, "{err}");
    assert_eq!(p[0].file, "b.cedar");
    assert_eq!(p[0].line, Some(5));
    assert!(p[0].message.contains("typo"), "{}", p[0].message);
    assert!(
        render_error(&err).contains("b.cedar:5:"),
        "{}",
        render_error(&err)
    );
}

#[test]
fn parse_error_is_located() {
    let d = dir_with(&[(
        "x.cedar",
        "@id(\"x\")\npermit (principal, action, resource)\nwhen { 1 + };\n",
    )]);
    let err = validate_dir(d.path()).unwrap_err();
    let p = err.problems();
    assert!(!p.is_empty());
    assert_eq!(p[0].file, "x.cedar");
    assert_eq!(p[0].line, Some(3), "{err}");
}

#[test]
fn unknown_entity_type_and_context_field_refused_in_strict_mode() {
    let d = dir_with(&[(
        "x.cedar",
        "@id(\"a\")\nforbid (principal, action, resource) when { context.nope };\n@id(\"b\")\npermit (principal in Palisade::Team::\"x\", action, resource);\n",
    )]);
    let err = validate_dir(d.path()).unwrap_err();
    let lines: Vec<_> = err.problems().iter().map(|p| p.line).collect();
    assert!(
        lines.contains(&Some(2)) && lines.contains(&Some(4)),
        "{err}"
    );
}

#[test]
fn missing_and_duplicate_ids_refused() {
    let d = dir_with(&[
        ("a.cedar", GOOD),
        (
            "b.cedar",
            "// no id here\nforbid (principal, action, resource);\n",
        ),
        ("c.cedar", GOOD),
    ]);
    let err = validate_dir(d.path()).unwrap_err();
    let msgs: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("b.cedar:2:") && m.contains("no `@id")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.starts_with("c.cedar:2:")
            && m.contains("duplicate policy id `ok`")
            && m.contains("a.cedar:2")),
        "{msgs:?}"
    );
}

#[test]
fn empty_dir_refused() {
    let d = dir_with(&[("readme.txt", "x")]);
    assert!(matches!(
        validate_dir(d.path()),
        Err(PolicyError::NoPolicies(_))
    ));
}

#[test]
fn validate_report_renders() {
    let r = validate_dir(&pack_dir()).unwrap();
    let text = render_validation_report(&r);
    assert!(
        text.contains("50-injection.shadow.cedar: 1 policies (shadow)"),
        "{text}"
    );
    assert!(text.contains("valid ("), "{text}");
}

#[test]
fn failing_case_gives_nonzero_exit_and_reason() {
    let d = dir_with(&[("a.cedar", GOOD)]);
    let cases = d.path().join("cases.toml");
    fs::write(
        &cases,
        r#"
[principals.p]
id = "spiffe://lab.example/research/a"
kind = "agent"
attestation_kinds = ["sev_snp"]
[resources.r]
name = "m"
upstream = "u"
segment = "training"
destination = "internal"
[[case]]
name = "cross-segment wrongly expected to pass"
principal = "p"
action = "invoke_model"
resource = "r"
expect = "allow"
[[case]]
name = "cross-segment denied"
principal = "p"
action = "invoke_model"
resource = "r"
expect = "deny"
policy_ids = []
"#,
    )
    .unwrap();
    let report = run_cases(d.path(), &cases).unwrap();
    assert_eq!(report.passed(), 1);
    assert_eq!(report.failed(), 1);
    assert_eq!(report.exit_code(), 1);
    let text = render_case_report(&report);
    assert!(
        text.contains("FAIL cross-segment wrongly expected to pass"),
        "{text}"
    );
    assert!(text.contains("1 passed, 1 failed"), "{text}");
}

#[test]
fn case_file_with_unknown_principal_refused() {
    let d = dir_with(&[("a.cedar", GOOD)]);
    let cases = d.path().join("c.toml");
    fs::write(
        &cases,
        "[[case]]\nname='x'\nprincipal='ghost'\naction='embed'\nresource='r'\nexpect='deny'\n",
    )
    .unwrap();
    let err = run_cases(d.path(), &cases).unwrap_err();
    assert!(
        err.to_string().contains("unknown principal `ghost`"),
        "{err}"
    );
}

#[test]
fn explain_names_the_deciding_policy_with_file_and_line() {
    let req = RequestSpec::from_toml(
        r#"
action = "invoke_model"
[principal]
id = "spiffe://lab.example/labeling/cleaner-7"
kind = "vendor"
attestation_kinds = ["dsse_provenance"]
[resource]
name = "ckpt-70b"
upstream = "vllm-training"
segment = "training"
destination = "internal"
"#,
    )
    .unwrap();
    let x = explain(&pack_dir(), &req).unwrap();
    assert!(!x.evaluation.decision.is_allowed());
    assert_eq!(x.deciding.len(), 1);
    assert_eq!(x.deciding[0].id, "labeling-never-training");
    assert_eq!(x.deciding[0].file, "20-segment-guards.cedar");
    let text = render_explanation(&x);
    assert!(
        text.contains("Forbid labeling-never-training (20-segment-guards.cedar:"),
        "{text}"
    );
    assert!(
        text.contains("shadow 50-injection.shadow.cedar: would Deny"),
        "{text}"
    );
}

#[test]
fn explain_rejects_unknown_data_class() {
    let req = RequestSpec::from_toml(
        "action = \"embed\"\n[principal]\nid = \"spiffe://a/b/c\"\nkind = \"agent\"\n[resource]\nsegment = \"b\"\ndestination = \"internal\"\n[context]\ndata_classes = [\"top_secret\"]\n",
    )
    .unwrap();
    let err = explain(&pack_dir(), &req).unwrap_err();
    assert!(
        err.to_string().contains("unknown data class `top_secret`"),
        "{err}"
    );
}
