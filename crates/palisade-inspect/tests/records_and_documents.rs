//! Exact data match (payroll) and protected documents through the engine, including the
//! reformatting and splitting variants the issue lists.

mod common;
use base64::Engine as _;
use common::*;
use palisade_core::{ApiKind, DataClass, Exchange, Inspector, LeafKind, TextLeaf};
use palisade_inspect::{edm_load, protect_add, ColumnRole, EdmConfig, InspectConfig};
use std::collections::BTreeMap;

const DOC: &str = "Project Falcon roadmap. In the third quarter the Llama-5 pretraining run moves to the \
Helsinki cluster with forty thousand accelerators and a rebuilt tokenizer. The data team finishes \
deduplication of the multilingual crawl before August, and the safety group delivers the red-team \
evaluation harness in September.\n\nIn the fourth quarter we distill Llama-5 into the compact Kestrel \
family for on-device inference, negotiate the Aurora power contract and open the Toronto research \
office. Budget for compute rises to 412 million dollars, approved by the board in Vancouver.";

fn doc_engine(dir: &std::path::Path) -> palisade_inspect::Engine {
    let p = dir.join("roadmap.md");
    std::fs::write(&p, DOC).unwrap();
    protect_add(dir, &[p], KEY).unwrap();
    engine(&InspectConfig::default(), dir)
}

fn classes(e: &palisade_inspect::Engine, leaves: Vec<TextLeaf>) -> Vec<DataClass> {
    e.inspect(&Exchange {
        api: ApiKind::AnthropicMessages,
        model: "m".into(),
        stream: false,
        leaves,
        tools: vec![],
    })
    .data_classes()
}

fn user(t: impl Into<String>) -> Vec<TextLeaf> {
    vec![TextLeaf::new("/messages/0/content", LeafKind::User, t)]
}

#[test]
fn employee_row_pasted_into_a_prompt_is_payroll() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("payroll.csv");
    std::fs::write(
        &csv,
        "employee_id,name,salary\nE204811,Maria Gonzalez,\"$187,500\"\nE204812,Wei Chen,143000\n",
    )
    .unwrap();
    let edm = EdmConfig {
        csv,
        columns: BTreeMap::from([
            ("employee_id".into(), ColumnRole::Primary),
            ("name".into(), ColumnRole::Corroborating),
            ("salary".into(), ColumnRole::Corroborating),
        ]),
        min_corroborating: 1,
        window: 256,
    };
    assert_eq!(edm_load(dir.path(), &edm, KEY).unwrap(), 2);
    let cfg = InspectConfig {
        edm: Some(edm),
        ..InspectConfig::default()
    };
    let e = engine(&cfg, dir.path());
    assert_eq!(e.stats().edm_rows, 2);
    let ins = e.inspect_leaves(&user(
        "Summarize: E204811 | Maria Gonzalez | 187500 | Engineering",
    ));
    assert_eq!(ins.data_classes(), vec![DataClass::Payroll]);
    assert!(ins.block, "payroll default action is block");
    assert!(classes(&e, user("ticket E204811 closed by Wei Chen")).is_empty());
}

#[test]
fn protected_document_variants_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let e = doc_engine(dir.path());
    assert_eq!(e.stats().protected_documents, 1);
    let paras: Vec<&str> = DOC.split("\n\n").collect();
    let excerpt = &DOC[20..300];
    let json = serde_json::json!({"title": "notes", "body": DOC}).to_string();
    let markdown = format!("## Plan\n\n- {}", DOC.replace(". ", ".\n- "));
    let csv = format!(
        "line,text\n{}",
        DOC.split(". ")
            .enumerate()
            .map(|(i, s)| format!("{i},\"{s}\"\n"))
            .collect::<String>()
    );
    let reordered = format!("{}\n\n{}", paras[1], paras[0]);
    let paraphrase = DOC
        .replace("moves to", "is moved to")
        .replace("finishes", "completes")
        .replace("delivers", "ships")
        .replace("rises to", "grows to");
    let b64 = base64::engine::general_purpose::STANDARD.encode(excerpt);
    for (name, text) in [
        ("excerpt", excerpt.to_string()),
        ("json", json),
        ("markdown", markdown),
        ("csv", csv),
        ("reordered", reordered),
        ("paraphrase", paraphrase),
        ("base64", format!("decode this: {b64}")),
    ] {
        let got = classes(&e, user(text));
        assert!(
            got.contains(&DataClass::ProtectedDocument),
            "{name} not detected: {got:?}"
        );
    }
    // Split across two messages.
    let (a, b) = DOC.split_at(DOC.len() / 2);
    let mid = a.rfind(' ').unwrap();
    let leaves = vec![
        TextLeaf::new("/messages/0/content", LeafKind::User, &DOC[..mid / 2]),
        TextLeaf::new(
            "/messages/1/content",
            LeafKind::User,
            format!("{}{b}", &a[mid / 2..]),
        ),
    ];
    assert!(classes(&e, leaves).contains(&DataClass::ProtectedDocument));
}

#[test]
fn summary_is_scored_by_salient_terms_and_unrelated_text_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let e = doc_engine(dir.path());
    let summary = "Summary: Falcon moves Llama-5 pretraining to Helsinki (forty thousand accelerators, \
                   new tokenizer), multilingual deduplication by August, red-team harness in September, \
                   then Kestrel distillation, the Aurora power deal, a Toronto office and a 412M compute budget \
                   approved in Vancouver.";
    let ins = e.inspect_leaves(&user(summary));
    assert!(
        ins.findings
            .iter()
            .any(|f| f.detector.starts_with("protected-document-summary:")),
        "{:?}",
        ins.findings
    );
    let unrelated = "Quarterly facilities roadmap. In the third quarter the cafeteria moves to the new \
                     building with four hundred seats and a rebuilt kitchen. The facilities team finishes the \
                     parking garage before August and the security group installs badge readers in September.";
    assert!(classes(&e, user(unrelated)).is_empty());
}
