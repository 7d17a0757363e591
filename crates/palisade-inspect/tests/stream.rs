//! The streaming scanner: secrets split across chunks are still caught and redacted in flight,
//! blocked classes cut the stream, and no byte of a secret is ever released.

mod common;
use common::*;
use palisade_core::{ContentAction, DataClass, Inspector, StreamScanner};
use palisade_inspect::{canary_mint, InspectConfig};

fn run(s: &mut dyn StreamScanner, chunks: &[&str]) -> (String, Vec<String>, bool) {
    let mut out = String::new();
    let mut dets = Vec::new();
    let mut cut = false;
    for c in chunks {
        let r = s.push(c);
        out.push_str(&r.text);
        dets.extend(r.findings.into_iter().map(|f| f.detector));
        cut |= r.cut;
    }
    let r = s.finish();
    out.push_str(&r.text);
    dets.extend(r.findings.into_iter().map(|f| f.detector));
    (out, dets, cut || r.cut)
}

#[test]
fn secret_split_across_two_chunks_is_redacted_at_every_split_point() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(&InspectConfig::default(), dir.path());
    let pat = github_pat();
    let text = format!("Here is the token you asked for: {pat} -- keep it safe.");
    let at = text.find(&pat).unwrap();
    for split in at..=at + pat.len() {
        let mut s = e.stream_scanner("/choices/0/delta/content");
        let (out, dets, cut) = run(s.as_mut(), &[&text[..split], &text[split..]]);
        assert_eq!(
            out, "Here is the token you asked for: [REDACTED:github-pat] -- keep it safe.",
            "split at {split}"
        );
        assert_eq!(dets, vec!["github-pat".to_string()]);
        assert!(!cut);
    }
}

#[test]
fn many_tiny_chunks_and_long_streams_keep_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(&InspectConfig::default(), dir.path());
    let filler = "lorem ipsum dolor sit amet ".repeat(80);
    let text = format!("{filler}key {} {filler}", aws_key());
    let chunks: Vec<String> = text
        .as_bytes()
        .chunks(7)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let mut s = e.stream_scanner("/c");
    let mut released = String::new();
    let mut findings = Vec::new();
    for c in &refs {
        let r = s.push(c);
        assert!(!released.contains(&aws_key()[..12]) || released.contains("[REDACTED"));
        released.push_str(&r.text);
        findings.extend(r.findings);
    }
    let r = s.finish();
    released.push_str(&r.text);
    findings.extend(r.findings);
    assert_eq!(
        released,
        text.replace(&aws_key(), "[REDACTED:aws-access-key-id]")
    );
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(
        &text[f.start..f.end],
        aws_key(),
        "stream offsets are absolute"
    );
}

#[test]
fn blocked_class_cuts_the_stream_before_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = InspectConfig::default();
    cfg.actions.insert(DataClass::Secret, ContentAction::Block);
    let e = engine(&cfg, dir.path());
    let pat = github_pat();
    let mut s = e.stream_scanner("/c");
    let (out, dets, cut) = run(
        s.as_mut(),
        &["prefix text ", &pat[..10], &pat[10..], " and more"],
    );
    assert!(cut);
    assert_eq!(out, "prefix text ");
    assert_eq!(dets, vec!["github-pat".to_string()]);
    assert!(s.push("later").cut);
}

#[test]
fn canary_split_across_chunks_in_a_response_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let c = canary_mint(dir.path(), "aws-key", "vendor env", "https://s.corp/x/").unwrap();
    let e = engine(&InspectConfig::default(), dir.path());
    let tok = &c.tokens[1];
    let mut s = e.stream_scanner("/c");
    let (out, dets, cut) = run(s.as_mut(), &["the secret is ", &tok[..20], &tok[20..], "."]);
    assert!(cut);
    assert!(!out.contains(&tok[..20]));
    assert!(dets.contains(&format!("canary:{}", c.id)));
}

#[test]
fn pem_key_longer_than_the_window_is_held_until_complete() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(&InspectConfig::default(), dir.path());
    let body: String = (0..20)
        .map(|i| {
            format!(
                "{}\n",
                "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Vx".replacen(
                    'V',
                    &i.to_string(),
                    1
                )
            )
        })
        .collect();
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----");
    let text = format!("key:\n{pem}\nbye");
    let chunks: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let mut s = e.stream_scanner("/c");
    let (out, dets, _) = run(s.as_mut(), &chunks);
    assert_eq!(out, "key:\n[REDACTED:private-key-pkcs8]\nbye");
    assert_eq!(dets, vec!["private-key-pkcs8".to_string()]);
}
