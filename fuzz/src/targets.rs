//! One function per parser of untrusted bytes. The cargo-fuzz targets (fuzz_targets/*.rs) call
//! these; `crates/palisade/tests/fuzz_corpus.rs` includes this file and feeds every file of
//! fuzz/corpus/<target>/ to the same function on stable, so CI replays the corpus.
//!
//! Each function must not panic on any input; the ones with an oracle assert it (inspection
//! spans inside the input). Parsers returning `Err` is the expected outcome for most inputs.

use std::path::Path;

/// The targets by name: the fuzz target file, the corpus folder and the replay use these names.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("jws_compact", jws_compact),
    ("dpop_proof", dpop_proof),
    ("snp_report", snp_report),
    ("snp_certs", snp_certs),
    ("dsse_intoto", dsse_intoto),
    ("sigstore_bundle", sigstore_bundle),
    ("x509_sct", x509_sct),
    ("signed_note", signed_note),
    ("audit_segment", audit_segment),
    ("config_toml", config_toml),
    ("scan_lockfile", scan_lockfile),
    ("scan_pth_record", scan_pth_record),
    ("inspect_engine", inspect_engine),
    ("request_adapters", request_adapters),
    ("sse_framer", sse_framer),
    ("stream_filter", stream_filter),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Compact JWS (access tokens, DPoP proofs, join tokens), its header's JWK and the access-token
/// claims it may carry.
pub fn jws_compact(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(jws) = palisade_identity::jose::CompactJws::parse(s) {
        let _ = serde_json::from_slice::<palisade_identity::AccessClaims>(&jws.payload);
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(s) {
        if let Ok(jwk) = palisade_identity::jose::PublicJwk::from_json(&v) {
            let _ = jwk.thumbprint();
        }
    }
}

/// A DPoP proof through the full verifier (structure, JWK, signature, claims, replay cache).
pub fn dpop_proof(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let v = palisade_identity::DpopVerifier::new(300, false);
    let ctx = palisade_identity::ProofContext {
        method: "POST",
        url: Some("https://gateway.example/v1/chat/completions"),
        access_token: Some("token"),
        now_s: 1_780_000_000,
    };
    let _ = v.verify(s, &ctx);
}

/// An AMD SEV-SNP attestation report (1184 bytes).
pub fn snp_report(data: &[u8]) {
    let _ = palisade_attest::snp::Report::parse(data);
}

/// AMD certificate chains (ARK/ASK PEM) and a VCEK in DER.
pub fn snp_certs(data: &[u8]) {
    if let Some(s) = text(data) {
        let _ =
            palisade_attest::snp::ProductRoots::from_pem(palisade_attest::snp::Product::Milan, s);
    }
    if let Ok(cert) = palisade_attest::x509::from_der(data, "fuzz") {
        let _ = palisade_attest::snp::certs::leaf_key(&cert);
    }
}

/// A DSSE envelope and the in-toto statement in its payload.
pub fn dsse_intoto(data: &[u8]) {
    if let Ok(env) = serde_json::from_slice::<palisade_core::dsse::Envelope>(data) {
        if let Ok(payload) = env.payload_bytes() {
            let _ = palisade_attest::provenance::statement::Statement::parse(&payload);
        }
    }
    let _ = palisade_attest::provenance::statement::Statement::parse(data);
}

/// A Sigstore bundle (v0.1-v0.3 JSON).
pub fn sigstore_bundle(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = palisade_attest::sigstore::Bundle::from_value(&v);
    }
}

/// X.509 certificates (DER and PEM chains) and RFC 6962 SCT lists.
pub fn x509_sct(data: &[u8]) {
    let _ = palisade_attest::x509::from_der(data, "fuzz");
    if let Some(s) = text(data) {
        let _ = palisade_attest::x509::from_pem_chain(s, "fuzz");
    }
    let _ = palisade_attest::sigstore::sct::parse_sct_list(data);
}

/// C2SP signed notes, checkpoints and verifier keys.
pub fn signed_note(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let _ = palisade_audit::SignedNote::parse(s);
    let _ = palisade_audit::Checkpoint::parse_text(s);
    let _ = palisade_audit::NoteVerifier::parse(s);
}

/// Audit segment files as recovery reads them: records, their entries, and the index.
pub fn audit_segment(data: &[u8]) {
    let mut i = 0u64;
    let _ = palisade_audit::segment::scan(data, |r| {
        let _ = palisade_audit::entry::decode_entry(i, r.entry);
        i += 1;
        Ok::<(), ()>(())
    });
    let _ = palisade_audit::segment::decode_index(data);
}

/// The gateway's TOML config (raw parse and validation). Relative paths resolve under a
/// directory that does not exist, so nothing on the machine is read through them.
pub fn config_toml(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let _ = palisade_config::parse(s, "fuzz.toml", Path::new("/nonexistent/palisade-fuzz"));
}

/// Every lockfile parser; the first byte picks the kind.
pub fn scan_lockfile(data: &[u8]) {
    use palisade_scan::lockfiles::{analyze, LockKind};
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let kinds = [
        LockKind::Requirements,
        LockKind::Poetry,
        LockKind::Uv,
        LockKind::Pylock,
        LockKind::Pipfile,
        LockKind::PackageLock,
        LockKind::Pnpm,
        LockKind::Yarn,
        LockKind::Cargo,
    ];
    let kind = kinds[usize::from(*first) % kinds.len()];
    let text = String::from_utf8_lossy(rest);
    let (mut packages, mut findings) = (Vec::new(), Vec::new());
    analyze(kind, "lockfile", &text, &mut packages, &mut findings);
}

/// `.pth` analysis, and METADATA + RECORD of an installed distribution (split at the first NUL).
pub fn scan_pth_record(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut findings = Vec::new();
    palisade_scan::pth::analyze("site-packages/x.pth", &text, &mut findings);
    let (meta, record) = text.split_once('\0').unwrap_or((&text, ""));
    let site = Path::new("/nonexistent/site-packages");
    let mut dist =
        palisade_scan::python_dist::parse_metadata(meta, &site.join("x-1.dist-info/METADATA"));
    palisade_scan::python_dist::parse_record(
        &mut dist,
        record,
        &site.join("x-1.dist-info/RECORD"),
        site,
    );
}

/// The inspection engine with its default rules: no panic, and every finding's span is a
/// char-boundary range inside the inspected text.
pub fn inspect_engine(data: &[u8]) {
    use std::sync::OnceLock;
    static ENGINE: OnceLock<palisade_inspect::Engine> = OnceLock::new();
    let Some(s) = text(data) else { return };
    let engine = ENGINE.get_or_init(|| {
        let cfg = palisade_inspect::InspectConfig::default();
        palisade_inspect::Engine::load(&cfg, Path::new("/nonexistent/palisade-fuzz"), [7u8; 32])
            .expect("the default inspection config loads")
    });
    for f in engine.scan_document(
        "/messages/0/content",
        palisade_core::exchange::LeafKind::User,
        s,
    ) {
        assert!(
            f.start <= f.end && f.end <= s.len(),
            "finding {} span {}..{} outside a {}-byte input",
            f.detector,
            f.start,
            f.end,
            s.len()
        );
        assert!(
            s.is_char_boundary(f.start) && s.is_char_boundary(f.end),
            "finding {} span {}..{} splits a character",
            f.detector,
            f.start,
            f.end
        );
    }
}

/// The four request adapters and the request walker (issue 13): no panic on any body.
pub fn request_adapters(data: &[u8]) {
    use palisade_core::ApiKind;
    for api in [
        ApiKind::OpenAiChat,
        ApiKind::OpenAiResponses,
        ApiKind::OpenAiEmbeddings,
        ApiKind::AnthropicMessages,
    ] {
        let _ = palisade_gateway::protocol::parse_request(api, data);
    }
}

/// The WHATWG SSE framer; differential: any chunking frames like the whole body.
pub fn sse_framer(data: &[u8]) {
    palisade_gateway::stream::fuzzing::sse_framer(data);
}

/// The response stream filter; differential: any chunking gives the whole body's output, and
/// a planted provider key never leaves.
pub fn stream_filter(data: &[u8]) {
    palisade_gateway::stream::fuzzing::stream_filter(data);
}
