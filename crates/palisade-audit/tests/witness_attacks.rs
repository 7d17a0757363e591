//! Attacks on the audit log that only a witness can stop (issue 14), each named after the
//! attack: the attacker holds the gateway's data directory (and in the fork case even the
//! unsealed checkpoint key), the witness holds its own key and state elsewhere. The witness is
//! the in-process state machine; the log's side is the real `Publisher`.

mod common;

use common::*;
use palisade_audit::trust::{verify_with_trust, OutsideTrust};
use palisade_audit::witness::AddCheckpoint;
use palisade_audit::{
    AddError, AuditConfig, AuditLog, Checkpoint, Cosigner, NoteSigner, PublishError, Publisher,
    Witness, WitnessEndpoint, WitnessTransport,
};
use std::collections::HashMap;
use std::path::Path;

const NOW: u64 = 1_790_000_000;

/// Routes a URL to an in-process witness and maps its refusals to the spec's statuses.
struct Local<'a>(HashMap<&'static str, &'a Witness>);

impl WitnessTransport for Local<'_> {
    fn add_checkpoint(&self, url: &str, body: &str) -> Result<(u16, String), String> {
        let w = self.0.get(url).ok_or("connection refused")?;
        match w.add_checkpoint(body, NOW) {
            Ok(line) => Ok((200, line)),
            Err(e) => Ok((e.status(), e.body())),
        }
    }
}

const URL_A: &str = "http://127.0.0.1:1/a";
const URL_B: &str = "http://127.0.0.1:2/b";

fn witness(dir: &Path, name: &str, logs: &[&AuditLog]) -> (Witness, String) {
    let key = Cosigner::generate(name).unwrap();
    let vkey = key.verifier().to_vkey();
    let verifiers = logs
        .iter()
        .map(|l| palisade_audit::NoteVerifier::parse(&l.verifier_key()).unwrap())
        .collect();
    (Witness::open(dir, key, verifiers).unwrap(), vkey)
}

fn with_witnesses(ws: &[(&str, &str)], quorum: Option<usize>) -> AuditConfig {
    AuditConfig {
        witnesses: ws
            .iter()
            .map(|(url, key)| WitnessEndpoint {
                url: url.to_string(),
                key: key.to_string(),
            })
            .collect(),
        witness_quorum: quorum,
        ..config()
    }
}

fn append(log: &AuditLog, from: u64, to: u64) -> String {
    for i in from..to {
        log.append_blocking(event(i)).unwrap();
    }
    log.flush().unwrap().unwrap()
}

fn copy_flat(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn rollback_detected_by_witness() {
    let d = tempfile::tempdir().unwrap();
    let wd = tempfile::tempdir().unwrap();
    let snapshot = tempfile::tempdir().unwrap();
    let v = vault(d.path());
    let log = AuditLog::open(d.path(), &config(), &v).unwrap();
    let (w, wkey) = witness(wd.path(), "witness.test/a", &[&log]);
    let cfg = with_witnesses(&[(URL_A, &wkey)], None);
    let t = Local(HashMap::from([(URL_A, &w)]));
    let mut publisher = Publisher::new(d.path(), &cfg).unwrap();
    let note10 = append(&log, 0, 10);
    assert!(publisher.publish(&log, &note10, &t).unwrap().published);
    log.close().unwrap();
    drop(log);
    // The attacker keeps a copy of the log at 10 entries ...
    copy_flat(&d.path().join("audit"), snapshot.path());
    let log = AuditLog::open(d.path(), &config(), &v).unwrap();
    let note20 = append(&log, 10, 20);
    assert!(publisher.publish(&log, &note20, &t).unwrap().published);
    log.close().unwrap();
    drop(log);
    // ... and puts it back: segments, index, checkpoints, latest note, no cosigned record.
    std::fs::remove_dir_all(d.path().join("audit")).unwrap();
    copy_flat(snapshot.path(), &d.path().join("audit"));
    std::fs::remove_file(d.path().join("audit/cosigned.latest")).unwrap();
    let log = AuditLog::open(d.path(), &config(), &v).unwrap();
    assert_eq!(log.size(), 10);
    // The restarted gateway submits its checkpoint: the witness answers 409 with 20.
    let mut restarted = Publisher::new(d.path(), &cfg).unwrap();
    let report = restarted
        .publish(&log, &log.latest_checkpoint().unwrap(), &t)
        .unwrap();
    assert!(!report.published);
    assert!(matches!(
        report.problems.as_slice(),
        [PublishError::Rollback {
            witness_size: 20,
            log_size: 10,
            ..
        }]
    ));
    log.close().unwrap();
    // The auditor with the witness's record and key sees the rollback; self-consistency passes.
    assert!(palisade_audit::verify(d.path(), None).is_ok());
    let record = w.latest("palisade.test/audit").unwrap().unwrap();
    let err = verify_with_trust(
        d.path(),
        &OutsideTrust {
            verifier_key: std::fs::read_to_string(d.path().join("audit/checkpoint.vkey"))
                .unwrap()
                .trim()
                .to_string(),
            checkpoints: vec![record],
            witnesses: vec![wkey],
            quorum: 1,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("20"), "{err}");
}

#[test]
fn resigned_log_not_accepted() {
    let d = tempfile::tempdir().unwrap();
    let wd = tempfile::tempdir().unwrap();
    let log = AuditLog::open(d.path(), &config(), &vault(d.path())).unwrap();
    let (w, _) = witness(wd.path(), "witness.test/a", &[&log]);
    let note = append(&log, 0, 10);
    w.add_checkpoint(&AddCheckpoint::to_body(0, &[], &note), NOW)
        .unwrap();
    // The attacker re-signs a rewritten checkpoint with a new key of the same origin.
    let text = palisade_audit::SignedNote::parse(&note)
        .unwrap()
        .text
        .to_string();
    let mut cp = Checkpoint::parse_text(&text).unwrap();
    cp.size = 11;
    cp.root[0] ^= 1;
    let forged = NoteSigner::generate("palisade.test/audit")
        .unwrap()
        .sign(&cp.to_text())
        .unwrap();
    let e = w
        .add_checkpoint(&AddCheckpoint::to_body(10, &[], &forged), NOW)
        .unwrap_err();
    assert!(matches!(e, AddError::Forbidden));
    assert_eq!(e.status(), 403);
    // A log the witness does not follow: 404.
    let other = NoteSigner::generate("other.test/audit")
        .unwrap()
        .sign(
            &cp.to_text()
                .replacen("palisade.test/audit", "other.test/audit", 1),
        )
        .unwrap();
    let e = w
        .add_checkpoint(&AddCheckpoint::to_body(0, &[], &other), NOW)
        .unwrap_err();
    assert_eq!(e.status(), 404);
}

#[test]
fn fork_resigned_with_the_real_key_is_named() {
    let d = tempfile::tempdir().unwrap();
    let wd = tempfile::tempdir().unwrap();
    let v = vault(d.path());
    let log = AuditLog::open(d.path(), &config(), &v).unwrap();
    let (w, wkey) = witness(wd.path(), "witness.test/a", &[&log]);
    let cfg = with_witnesses(&[(URL_A, &wkey)], None);
    let t = Local(HashMap::from([(URL_A, &w)]));
    let note = append(&log, 0, 10);
    let mut publisher = Publisher::new(d.path(), &cfg).unwrap();
    assert!(publisher.publish(&log, &note, &t).unwrap().published);
    // Everything on the disk, master key included: the attacker signs another root at 10.
    let signer = palisade_audit::unseal_checkpoint_signer(d.path(), &v).unwrap();
    let text = palisade_audit::SignedNote::parse(&note)
        .unwrap()
        .text
        .to_string();
    let mut cp = Checkpoint::parse_text(&text).unwrap();
    cp.root[5] ^= 0x40;
    let forked = signer.sign(&cp.to_text()).unwrap();
    let report = Publisher::new(d.path(), &cfg)
        .unwrap()
        .publish(&log, &forked, &t)
        .unwrap();
    assert!(matches!(
        report.problems.as_slice(),
        [PublishError::Fork { size: 10, .. }]
    ));
    assert!(report.problems[0].is_evidence());
    log.close().unwrap();
}

#[test]
fn stale_old_size_409() {
    let d = tempfile::tempdir().unwrap();
    let wd = tempfile::tempdir().unwrap();
    let log = AuditLog::open(d.path(), &config(), &vault(d.path())).unwrap();
    let (w, _) = witness(wd.path(), "witness.test/a", &[&log]);
    let note10 = append(&log, 0, 10);
    w.add_checkpoint(&AddCheckpoint::to_body(0, &[], &note10), NOW)
        .unwrap();
    let note20 = append(&log, 10, 20);
    // A client that believes the witness is still empty.
    let e = w
        .add_checkpoint(&AddCheckpoint::to_body(0, &[], &note20), NOW)
        .unwrap_err();
    assert_eq!(e.status(), 409);
    assert_eq!(e.body(), "10\n");
    // Retried from the size the 409 gave, with the proof 10 -> 20: cosigned.
    let proof = log.consistency_proof(10, 20).unwrap().path;
    w.add_checkpoint(&AddCheckpoint::to_body(10, &proof, &note20), NOW)
        .unwrap();
    log.close().unwrap();
}

#[test]
fn forged_consistency_proof_422() {
    let d = tempfile::tempdir().unwrap();
    let wd = tempfile::tempdir().unwrap();
    let log = AuditLog::open(d.path(), &config(), &vault(d.path())).unwrap();
    let (w, _) = witness(wd.path(), "witness.test/a", &[&log]);
    let note10 = append(&log, 0, 10);
    w.add_checkpoint(&AddCheckpoint::to_body(0, &[], &note10), NOW)
        .unwrap();
    let note20 = append(&log, 10, 20);
    let mut proof = log.consistency_proof(10, 20).unwrap().path;
    assert!(!proof.is_empty());
    for i in 0..proof.len() {
        let mut forged = proof.clone();
        forged[i][0] ^= 1;
        let e = w
            .add_checkpoint(&AddCheckpoint::to_body(10, &forged, &note20), NOW)
            .unwrap_err();
        assert_eq!(e.status(), 422, "line {i}: {e}");
    }
    proof.pop();
    let e = w
        .add_checkpoint(&AddCheckpoint::to_body(10, &proof, &note20), NOW)
        .unwrap_err();
    assert_eq!(e.status(), 422);
    // Nothing was stored by the refusals.
    let e = w
        .add_checkpoint(&AddCheckpoint::to_body(0, &[], &note20), NOW)
        .unwrap_err();
    assert_eq!(e.body(), "10\n");
    log.close().unwrap();
}

#[test]
fn witness_restart_keeps_state() {
    let d = tempfile::tempdir().unwrap();
    let wd = tempfile::tempdir().unwrap();
    let log = AuditLog::open(d.path(), &config(), &vault(d.path())).unwrap();
    let key = Cosigner::generate("witness.test/a").unwrap();
    let skey = key.to_skey();
    let logs = vec![palisade_audit::NoteVerifier::parse(&log.verifier_key()).unwrap()];
    let w = Witness::open(wd.path(), key, logs.clone()).unwrap();
    let note10 = append(&log, 0, 10);
    w.add_checkpoint(&AddCheckpoint::to_body(0, &[], &note10), NOW)
        .unwrap();
    drop(w);
    let w = Witness::open(wd.path(), Cosigner::parse(&skey).unwrap(), logs).unwrap();
    // After the restart the witness still knows size 10: a replay from 0 is refused.
    let e = w
        .add_checkpoint(&AddCheckpoint::to_body(0, &[], &note10), NOW)
        .unwrap_err();
    assert_eq!(e.body(), "10\n");
    let record = w.latest("palisade.test/audit").unwrap().unwrap();
    assert!(record.starts_with(&note10));
    // No temp file is left beside the state.
    let names: Vec<String> = std::fs::read_dir(wd.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    log.close().unwrap();
}

#[test]
fn quorum_not_met_not_published() {
    let d = tempfile::tempdir().unwrap();
    let (wa, wb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let log = AuditLog::open(d.path(), &config(), &vault(d.path())).unwrap();
    let (a, ka) = witness(wa.path(), "witness.test/a", &[&log]);
    // Witness b does not follow this log: it answers 404.
    let (b, kb) = witness(wb.path(), "witness.test/b", &[]);
    let cfg = with_witnesses(&[(URL_A, &ka), (URL_B, &kb)], Some(2));
    let note = append(&log, 0, 10);
    let t = Local(HashMap::from([(URL_A, &a), (URL_B, &b)]));
    let mut publisher = Publisher::new(d.path(), &cfg).unwrap();
    let report = publisher.publish(&log, &note, &t).unwrap();
    assert_eq!((report.cosigned, report.published), (1, false));
    assert!(!d.path().join("audit/cosigned.latest").exists());
    let lag = publisher.status().report(std::time::Instant::now());
    assert_eq!((lag.checkpoint_size, lag.witnessed_size), (10, 0));
    // A witness that returns a cosignature of another key does not count either.
    struct Liar<'a>(&'a Witness);
    impl WitnessTransport for Liar<'_> {
        fn add_checkpoint(&self, _: &str, body: &str) -> Result<(u16, String), String> {
            let text = body.split_once("\n\n").unwrap().1;
            let text = palisade_audit::SignedNote::parse(text)
                .unwrap()
                .text
                .to_string();
            let _ = self.0;
            Ok((
                200,
                Cosigner::generate("witness.test/a")
                    .unwrap()
                    .cosign(&text, NOW),
            ))
        }
    }
    let one = with_witnesses(&[(URL_A, &ka)], None);
    let report = Publisher::new(d.path(), &one)
        .unwrap()
        .publish(&log, &note, &Liar(&a))
        .unwrap();
    assert!(!report.published);
    // With both witnesses following the log the quorum is met and the record stored.
    let (b2, kb2) = witness(wb.path(), "witness.test/b2", &[&log]);
    let cfg = with_witnesses(&[(URL_A, &ka), (URL_B, &kb2)], Some(2));
    let t = Local(HashMap::from([(URL_A, &a), (URL_B, &b2)]));
    let report = Publisher::new(d.path(), &cfg)
        .unwrap()
        .publish(&log, &note, &t)
        .unwrap();
    assert!(report.published, "{report:?}");
    let stored = std::fs::read_to_string(d.path().join("audit/cosigned.latest")).unwrap();
    let ka = palisade_audit::CosignatureVerifier::parse(&ka).unwrap();
    let kb2 = palisade_audit::CosignatureVerifier::parse(&kb2).unwrap();
    assert!(palisade_audit::trust::quorum_met(&stored, &[ka, kb2], 2));
    log.close().unwrap();
}
