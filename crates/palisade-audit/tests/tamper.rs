//! Tamper evidence: each way of editing a closed log is its own case, and `verify` must fail
//! naming where. Several cases model a careful attacker who also recomputes the stored leaf
//! hashes and index files, so only the Merkle root and the signed checkpoints can tell.

mod common;

use common::*;
use palisade_audit::merkle::leaf_hash;
use palisade_audit::segment::{encode_index, encode_record, scan};
use palisade_audit::{
    verify, Checkpoint, EntryProblem, LogReader, NoteSigner, TrustedCheckpoint, VerifyError,
};
use std::path::Path;

/// Decodes a segment's entries, lets `edit` change them, and rewrites the segment and its
/// index consistently (correct trailers, offsets and index hashes).
fn rewrite_segment(seg: &Path, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let bytes = std::fs::read(seg).unwrap();
    let mut entries = Vec::new();
    scan::<()>(&bytes, |r| {
        entries.push(r.entry.to_vec());
        Ok(())
    })
    .unwrap();
    edit(&mut entries);
    let (mut log, mut idx) = (Vec::new(), Vec::new());
    for e in &entries {
        let leaf = leaf_hash(e);
        encode_index(log.len() as u64, &leaf, &mut idx);
        encode_record(e, &leaf, &mut log);
    }
    std::fs::write(seg, log).unwrap();
    std::fs::write(seg.with_extension("idx"), idx).unwrap();
}

fn first_index_of(seg: &Path) -> u64 {
    let name = seg.file_name().unwrap().to_str().unwrap();
    name["seg-".len().."seg-".len() + 20].parse().unwrap()
}

fn checkpoint_notes(dir: &Path) -> Vec<String> {
    let bytes = std::fs::read(dir.join("audit/checkpoints.log")).unwrap();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        out.push(String::from_utf8(bytes[pos + 4..pos + 4 + len].to_vec()).unwrap());
        pos += 4 + len;
    }
    out
}

fn write_checkpoint_notes(dir: &Path, notes: &[String]) {
    let mut bytes = Vec::new();
    for n in notes {
        bytes.extend_from_slice(&(n.len() as u32).to_be_bytes());
        bytes.extend_from_slice(n.as_bytes());
    }
    std::fs::write(dir.join("audit/checkpoints.log"), bytes).unwrap();
}

fn logged(n: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), n);
    verify(dir.path(), None).expect("the untouched log verifies");
    dir
}

#[test]
fn flipped_byte_in_an_entry_is_named() {
    let dir = logged(30);
    let seg = &seg_files(dir.path())[1];
    let first = first_index_of(seg);
    let mut bytes = std::fs::read(seg).unwrap();
    bytes[40] ^= 0x01;
    std::fs::write(seg, bytes).unwrap();
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(err, VerifyError::Entry { index, problem: EntryProblem::HashMismatch } if index == first),
        "{err}"
    );
    assert_eq!(err.first_bad_index(), Some(first));
}

#[test]
fn rewritten_entry_with_recomputed_hashes_is_caught_by_the_checkpoint_root() {
    let dir = logged(30);
    let seg = &seg_files(dir.path())[1];
    let first = first_index_of(seg);
    rewrite_segment(seg, |e| {
        let s = String::from_utf8(e[0].clone())
            .unwrap()
            .replace("\"status\":200", "\"status\":201")
            .replace("\"status\":403", "\"status\":404");
        assert_ne!(s.as_bytes(), e[0].as_slice());
        e[0] = s.into_bytes();
    });
    let err = verify(dir.path(), None).unwrap_err();
    match &err {
        VerifyError::Checkpoint {
            first_bad_index: Some(lo),
            size: Some(hi),
            problem,
            ..
        } => {
            assert!(
                *lo <= first && first < *hi,
                "range [{lo},{hi}) must contain {first}"
            );
            assert!(problem.contains("root does not match"), "{problem}");
        }
        other => panic!("expected a checkpoint root failure, got {other}"),
    }
}

#[test]
fn deleted_entry_is_named() {
    let dir = logged(30);
    let seg = &seg_files(dir.path())[1];
    let first = first_index_of(seg);
    rewrite_segment(seg, |e| {
        e.remove(1);
    });
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(err, VerifyError::Entry { index, problem: EntryProblem::WrongPosition { claims } } if index == first + 1 && claims == first + 2),
        "{err}"
    );
}

#[test]
fn reordered_entries_are_named() {
    let dir = logged(30);
    let seg = &seg_files(dir.path())[0];
    rewrite_segment(seg, |e| e.swap(2, 3));
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Entry {
                index: 2,
                problem: EntryProblem::WrongPosition { claims: 3 }
            }
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with("entry 2: entry claims index 3"));
}

#[test]
fn truncated_tail_is_named() {
    let dir = logged(30);
    let last = seg_files(dir.path()).pop().unwrap();
    let first = first_index_of(&last);
    rewrite_segment(&last, |e| e.truncate(1));
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, VerifyError::Checkpoint { first_bad_index: Some(i), size: Some(30), .. } if *i == first + 1),
        "{err}"
    );
    assert!(err.to_string().contains("truncated"));
}

#[test]
fn replaced_checkpoint_fails_its_signature() {
    let dir = logged(30);
    let mut notes = checkpoint_notes(dir.path());
    let lines: Vec<&str> = notes[1].split('\n').collect();
    let replaced = notes[1].replacen(lines[2], &base64_of(&[0u8; 32]), 1);
    notes[1] = replaced;
    write_checkpoint_notes(dir.path(), &notes);
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, VerifyError::Checkpoint { number: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("invalid signature"), "{err}");
}

#[test]
fn checkpoint_forged_with_another_key_is_refused() {
    let dir = logged(30);
    let reader = LogReader::open(dir.path(), None).unwrap();
    // Correct origin, size and root: only the key is wrong.
    let cp = Checkpoint {
        origin: "palisade.test/audit".into(),
        size: 30,
        root: reader.tree().root(30).unwrap(),
    };
    let forger = NoteSigner::generate("palisade.test/audit").unwrap();
    let mut notes = checkpoint_notes(dir.path());
    let last = notes.len() - 1;
    notes[last] = forger.sign(&cp.to_text()).unwrap();
    write_checkpoint_notes(dir.path(), &notes);
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, VerifyError::Checkpoint { number, .. } if *number == last),
        "{err}"
    );
    assert!(
        err.to_string().contains("no signature from a known key"),
        "{err}"
    );
}

#[test]
fn rollback_to_an_older_log_fails_against_a_later_trusted_checkpoint() {
    let dir = logged(15);
    let old_copy = tempfile::tempdir().unwrap();
    copy_dir(&dir.path().join("audit"), &old_copy.path().join("audit"));
    let v = vault(dir.path());
    let log = palisade_audit::AuditLog::open(dir.path(), &config(), &v).unwrap();
    for i in 15..30 {
        log.append_blocking(event(i)).unwrap();
    }
    let trusted = TrustedCheckpoint {
        note: log.flush().unwrap().unwrap(),
        verifier_key: log.verifier_key(),
    };
    log.close().unwrap();
    assert_eq!(
        verify(dir.path(), Some(&trusted)).unwrap().trusted_size,
        Some(30)
    );
    std::fs::remove_dir_all(dir.path().join("audit")).unwrap();
    copy_dir(&old_copy.path().join("audit"), &dir.path().join("audit"));
    verify(dir.path(), None).expect("the old log is self-consistent");
    let err = verify(dir.path(), Some(&trusted)).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Rollback {
                log_size: 15,
                trusted_size: 30
            }
        ),
        "{err}"
    );
    assert_eq!(err.first_bad_index(), Some(15));
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn checkpoints_out_of_size_order_are_refused() {
    let dir = logged(30);
    let mut notes = checkpoint_notes(dir.path());
    assert!(notes.len() >= 3, "{} checkpoints", notes.len());
    notes.swap(0, 1);
    write_checkpoint_notes(dir.path(), &notes);
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::Checkpoint {
                number: 1,
                size: Some(10),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("size goes backwards from 20"),
        "{err}"
    );
}

#[test]
fn torn_checkpoint_file_is_reported_before_an_earlier_bad_checkpoint() {
    let dir = logged(30);
    let mut notes = checkpoint_notes(dir.path());
    let lines: Vec<&str> = notes[1].split('\n').collect();
    notes[1] = notes[1].replacen(lines[2], &base64_of(&[0u8; 32]), 1);
    write_checkpoint_notes(dir.path(), &notes);
    assert!(verify(dir.path(), None)
        .unwrap_err()
        .to_string()
        .contains("invalid signature"));
    // A record cut short at the end of the file: the file's own problem is named first.
    let path = dir.path().join("audit/checkpoints.log");
    let good_len = std::fs::metadata(&path).unwrap().len();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&50u32.to_be_bytes());
    bytes.extend_from_slice(b"cut");
    std::fs::write(&path, bytes).unwrap();
    let err = verify(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, VerifyError::Checkpoint { number, size: None, .. } if *number == notes.len()),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&format!("torn checkpoint record at byte {good_len}")),
        "{err}"
    );
}

#[test]
fn trusted_checkpoint_inside_the_log_is_checked_as_the_leaves_pass_it() {
    let dir = logged(17);
    let note17 = std::fs::read_to_string(dir.path().join("audit/checkpoint.latest")).unwrap();
    let v = vault(dir.path());
    let log = palisade_audit::AuditLog::open(dir.path(), &config(), &v).unwrap();
    for i in 17..30 {
        log.append_blocking(event(i)).unwrap();
    }
    let trusted = TrustedCheckpoint {
        note: note17,
        verifier_key: log.verifier_key(),
    };
    log.close().unwrap();
    drop(log);
    let report = verify(dir.path(), Some(&trusted)).unwrap();
    assert_eq!((report.entries, report.trusted_size), (30, Some(17)));
    // A trusted note at size 17 signed by the log's key but with another root: the history
    // the verifier trusted was rewritten.
    let signer = palisade_audit::unseal_checkpoint_signer(dir.path(), &v).unwrap();
    let other = Checkpoint {
        origin: "palisade.test/audit".into(),
        size: 17,
        root: [7u8; 32],
    };
    let rewritten = TrustedCheckpoint {
        note: signer.sign(&other.to_text()).unwrap(),
        ..trusted
    };
    let err = verify(dir.path(), Some(&rewritten)).unwrap_err();
    assert!(
        err.to_string()
            .contains("fork: the trusted checkpoint of size 17 has another root"),
        "{err}"
    );
}
