//! C2SP signed-note conformance with the published examples, and our own checkpoints.

use palisade_audit::note::{key_id, NoteError, NoteSigner, NoteVerifier};
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
