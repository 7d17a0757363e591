//! C2SP signed-note conformance with the published examples, and our own checkpoints.

use palisade_audit::note::{key_id, NoteError, NoteSigner, NoteVerifier, SignedNote};
use palisade_audit::Checkpoint;
use palisade_core::fixtures::fixture;

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).unwrap()
}

#[test]
fn published_notes_verify_with_their_keys() {
    for name in ["example.com-foo", "PeterNeumann"] {
        let v =
            NoteVerifier::parse(&read(&format!("rfc6962/c2sp-signed-note/{name}.vkey"))).unwrap();
        let note = read(&format!("rfc6962/c2sp-signed-note/{name}.note"));
        let text = v.verify(&note).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(note.starts_with(text) && text.ends_with('\n'));
        assert_eq!(
            v.to_vkey(),
            read(&format!("rfc6962/c2sp-signed-note/{name}.vkey")).trim()
        );
    }
}

#[test]
fn tampered_note_text_fails() {
    let v = NoteVerifier::parse(&read("rfc6962/c2sp-signed-note/example.com-foo.vkey")).unwrap();
    let note = read("rfc6962/c2sp-signed-note/example.com-foo.note")
        .replace("example message", "exemple message");
    assert!(matches!(v.verify(&note), Err(NoteError::BadSignature(_))));
}

#[test]
fn spec_example_checkpoint_is_rejected_for_unknown_key() {
    let note = read("rfc6962/c2sp-signed-note/tlog-checkpoint-spec-example.note");
    let ours = NoteSigner::generate("example.com/behind-the-sofa")
        .unwrap()
        .verifier();
    assert!(matches!(
        Checkpoint::verify_note(&note, &ours),
        Err(NoteError::UnknownKey(_))
    ));
    // Its body is still a well-formed checkpoint.
    let body = &note[..note.find("\n\n").unwrap() + 1];
    let cp = Checkpoint::parse_text(body).unwrap();
    assert_eq!(
        (cp.origin.as_str(), cp.size),
        ("example.com/behind-the-sofa", 20852163)
    );
}

#[test]
fn key_id_matches_the_published_rule() {
    let v = NoteVerifier::parse(&read("rfc6962/c2sp-signed-note/example.com-foo.vkey")).unwrap();
    let vkey = v.to_vkey();
    let parts: Vec<&str> = vkey.split('+').collect();
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(parts[2])
        .unwrap();
    assert_eq!(
        hex::encode(key_id("example.com/foo", raw[1..].try_into().unwrap())),
        "530d903a"
    );
    let mut wrong_id = vkey.clone();
    wrong_id.replace_range(16..24, "00000000");
    assert!(NoteVerifier::parse(&wrong_id).is_err());
}

#[test]
fn our_checkpoints_round_trip_and_other_keys_are_refused() {
    let signer = NoteSigner::generate("palisade.test/audit").unwrap();
    let cp = Checkpoint {
        origin: "palisade.test/audit".into(),
        size: 42,
        root: [7u8; 32],
    };
    let note = signer.sign(&cp.to_text()).unwrap();
    assert_eq!(
        Checkpoint::verify_note(&note, &signer.verifier()).unwrap(),
        cp
    );
    let reparsed = NoteSigner::parse(&signer.to_skey()).unwrap();
    assert_eq!(reparsed.verifier(), signer.verifier());
    assert!(!format!("{signer:?}").contains(signer.to_skey().as_str()));
    let other = NoteSigner::generate("palisade.test/audit").unwrap();
    assert!(
        Checkpoint::verify_note(&other.sign(&cp.to_text()).unwrap(), &signer.verifier()).is_err()
    );
    assert!(
        Checkpoint::parse_text("o\n012\nAAAA\n").is_err(),
        "leading zero refused"
    );
}

#[test]
fn real_rekor_v2_checkpoint_and_inclusion_proof_verify() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
    let dir = "rfc6962/sigstore-rekor-checkpoints/DERIVED-rekor-v2-staging-log2025-alpha1";
    let v = NoteVerifier::parse(&read(&format!("{dir}.vkey"))).unwrap();
    let cp = Checkpoint::verify_note(&read(&format!("{dir}.checkpoint.note")), &v).unwrap();
    assert_eq!(
        (cp.origin.as_str(), cp.size),
        ("log2025-alpha1.rekor.sigstage.dev", 736)
    );
    let j: serde_json::Value =
        serde_json::from_str(&read(&format!("{dir}.inclusion.json"))).unwrap();
    let leaf =
        palisade_audit::merkle::leaf_hash(&b64(j["canonicalized_body_b64"].as_str().unwrap()));
    assert_eq!(hex::encode(leaf), j["leaf_hash_hex"].as_str().unwrap());
    let proof: Vec<Vec<u8>> = j["proof_hashes_b64"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| b64(h.as_str().unwrap()))
        .collect();
    palisade_audit::merkle::verify_inclusion(735, 736, &leaf, &proof, &cp.root).unwrap();
    let mut bad = proof.clone();
    bad[0][0] ^= 1;
    assert!(palisade_audit::merkle::verify_inclusion(735, 736, &leaf, &bad, &cp.root).is_err());
}

#[test]
fn note_parser_splits_text_and_signature_lines_without_verifying() {
    let note = read("rfc6962/c2sp-signed-note/example.com-foo.note");
    let parsed = SignedNote::parse(&note).unwrap();
    assert_eq!(parsed.text, "This is an example message.\n");
    assert_eq!(parsed.signatures.len(), 1);
    let sig = &parsed.signatures[0];
    assert_eq!(sig.name, "example.com/foo");
    let v = NoteVerifier::parse(&read("rfc6962/c2sp-signed-note/example.com-foo.vkey")).unwrap();
    // The hint on the line is the C2SP key id of the published key; the rest is 64 bytes.
    assert!(v
        .to_vkey()
        .contains(&format!("+{}+", hex::encode(sig.key_hint))));
    assert_eq!(sig.signature.len(), 64);

    // A well-formed line with a tampered signature still parses: checking is the verifier's job.
    let flipped = note.replace("Uw2QOkn8", "Uw2QOkn9");
    assert_eq!(SignedNote::parse(&flipped).unwrap().text, parsed.text);

    for bad in [
        "text\n\n\u{2014} name AAA=\n",   // shorter than the 4-byte hint
        "text\n\n- name AAAAAAAA\n",      // no em dash
        "text\n\n\u{2014} name !!!\n",    // not base64
        "text\n\u{2014} name AAAAAAAA\n", // no blank line
        "text\n\n\u{2014} name AAAAAAAA", // no final newline
    ] {
        assert!(
            matches!(SignedNote::parse(bad), Err(NoteError::Malformed(_))),
            "{bad:?}"
        );
    }
}
