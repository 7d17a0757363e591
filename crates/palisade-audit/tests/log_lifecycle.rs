//! The live log: appends in both modes, group commit under concurrency, segment rotation,
//! reopen, checkpoints, decryption with the vault, proofs in text form, export, fail-closed.

mod common;

use zeroize::Zeroizing;

use common::*;
use palisade_audit::{
    export, verify, AuditLog, BodyCapture, ConsistencyProof, DurabilityMode, ExportFormat,
    InclusionProof, LogReader,
};
use palisade_core::AuditSink;
use std::sync::{mpsc, Arc};

#[test]
fn sync_appends_verify_and_rotate_segments() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 60);
    assert!(
        seg_files(dir.path()).len() > 2,
        "4 KiB segments must rotate"
    );
    let report = verify(dir.path(), None).unwrap();
    assert_eq!(report.entries, 60);
    assert_eq!(report.latest_checkpoint_size, Some(60));
    assert!(
        report.checkpoints >= 6,
        "every 10 entries and on close: {}",
        report.checkpoints
    );
    assert_eq!(report.segments, seg_files(dir.path()).len());
}

#[test]
fn reopen_continues_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 7);
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    assert_eq!(log.size(), 7);
    let old_root = log.root(7).unwrap();
    assert_eq!(log.append_blocking(event(7)).unwrap(), 7);
    let cp = log.flush().unwrap().unwrap();
    assert!(cp.contains("\n8\n"), "{cp}");
    assert_eq!(log.root(7).unwrap(), old_root);
    let p = log.consistency_proof(7, 8).unwrap();
    p.verify().unwrap();
    // Inclusion proofs of entries written before the reopen and of the live one, in both
    // tree sizes, verify and carry the roots the log reports.
    for size in [7, 8] {
        for i in 0..size {
            let p = log.inclusion_proof(i, size).unwrap();
            p.verify().unwrap();
            assert_eq!(p.root, log.root(size).unwrap());
        }
    }
    log.close().unwrap();
    assert_eq!(verify(dir.path(), None).unwrap().entries, 8);
}

#[test]
fn group_commit_serves_concurrent_appenders() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = Arc::new(AuditLog::open(dir.path(), &config(), &v).unwrap());
    let (tx, rx) = mpsc::channel();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let log = log.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let tx = tx.clone();
                    log.append(event(t * 100 + i), Box::new(move |r| tx.send(r).unwrap()));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut indices: Vec<u64> = (0..200).map(|_| rx.recv().unwrap().unwrap()).collect();
    indices.sort();
    assert_eq!(
        indices,
        (0..200).collect::<Vec<_>>(),
        "every append gets a unique index"
    );
    log.close().unwrap();
    assert_eq!(verify(dir.path(), None).unwrap().entries, 200);
}

#[test]
fn batch_mode_accepts_and_flush_makes_durable() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let cfg = palisade_audit::AuditConfig {
        mode: DurabilityMode::Batch,
        ..config()
    };
    let log = AuditLog::open(dir.path(), &cfg, &v).unwrap();
    let (tx, rx) = mpsc::channel();
    for i in 0..100 {
        let tx = tx.clone();
        log.append(event(i), Box::new(move |r| tx.send(r).unwrap()));
    }
    for _ in 0..100 {
        rx.recv().unwrap().unwrap();
    }
    assert!(log.flush().unwrap().unwrap().contains("\n100\n"));
    drop(log);
    assert_eq!(verify(dir.path(), None).unwrap().entries, 100);
}

#[test]
fn sealed_detail_and_capture_decrypt_only_with_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    let (tx, rx) = mpsc::channel();
    let capture = BodyCapture {
        request: b"{\"prompt\":\"hi\"}".to_vec(),
        response: b"ok".to_vec(),
    };
    log.append_with_capture(
        event(0),
        Some(capture),
        Box::new(move |r| tx.send(r).unwrap()),
    );
    rx.recv().unwrap().unwrap();
    log.close().unwrap();
    for seg in seg_files(dir.path()) {
        let raw = std::fs::read(seg).unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains(DETAIL_SECRET),
            "detail must be sealed at rest"
        );
        assert!(
            !String::from_utf8_lossy(&raw).contains("prompt"),
            "capture must be sealed at rest"
        );
    }
    let without = LogReader::open(dir.path(), None).unwrap().show(0).unwrap();
    assert!(without.sensitive.is_none() && without.entry.sealed.is_some());
    let with = LogReader::open(dir.path(), Some(&v))
        .unwrap()
        .show(0)
        .unwrap();
    let s = with.sensitive.unwrap();
    assert!(s.detail.unwrap().starts_with(DETAIL_SECRET));
    assert_eq!(s.request_body.as_deref(), Some("eyJwcm9tcHQiOiJoaSJ9"));
    let other = palisade_vault::Vault::open_with_master_key(
        &dir.path().join("v2"),
        zeroize::Zeroizing::new([1; 32]),
    )
    .unwrap();
    assert!(
        LogReader::open(dir.path(), Some(&other)).is_err(),
        "another vault cannot unwrap the data key"
    );
}

#[test]
fn proofs_round_trip_through_the_text_format() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 23);
    let r = LogReader::open(dir.path(), None).unwrap();
    let p = r.inclusion_proof(5, 23).unwrap();
    let text = p.to_text();
    assert!(text.starts_with("palisade-audit inclusion-proof v1\nindex 5\nsize 23\n"));
    let parsed = InclusionProof::parse_text(&text).unwrap();
    assert_eq!(parsed, p);
    parsed.verify().unwrap();
    let c = r.consistency_proof(10, 23).unwrap();
    let parsed = ConsistencyProof::parse_text(&c.to_text()).unwrap();
    parsed.verify().unwrap();
    let mut bad = parsed.clone();
    bad.path[0][0] ^= 1;
    assert!(bad.verify().is_err());
    assert!(r.inclusion_proof(23, 23).is_err());
    assert!(r.consistency_proof(0, 5).is_err());
}

#[test]
fn export_ocsf_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 6);
    let v = vault(dir.path());
    let r = LogReader::open(dir.path(), Some(&v)).unwrap();
    let mut out = Vec::new();
    assert_eq!(export(&r, ExportFormat::Ocsf, &mut out).unwrap(), 6);
    let lines: Vec<serde_json::Value> = out
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["class_uid"], 6003);
    assert_eq!(lines[0]["category_uid"], 6);
    assert_eq!(lines[0]["type_uid"], 600399);
    assert_eq!(lines[0]["status_id"], 2, "entry 0 is a denial");
    assert_eq!(lines[1]["status_id"], 1);
    assert_eq!(
        lines[1]["actor"]["user"]["uid"],
        "spiffe://palisade.test/agent/a"
    );
    assert_eq!(lines[1]["metadata"]["sequence"], 1);
    let mut jl = Vec::new();
    export(&r, ExportFormat::Jsonl, &mut jl).unwrap();
    let first: serde_json::Value =
        serde_json::from_slice(jl.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["index"], 0);
    assert!(first["event"]["detail"]
        .as_str()
        .unwrap()
        .starts_with(DETAIL_SECRET));
}

#[test]
fn write_error_fails_pending_and_future_appends() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    log.append_blocking(event(0)).unwrap();
    // Occupy every possible next-segment name with a directory: rotation must fail for real.
    for i in 1..200u64 {
        std::fs::create_dir(dir.path().join(format!("audit/seg-{i:020}.log"))).unwrap();
    }
    let mut failed_at = None;
    for i in 1..200 {
        if let Err(e) = log.append_blocking(event(i)) {
            failed_at = Some(i);
            assert!(e.to_string().contains("audit"), "{e}");
            break;
        }
    }
    assert!(
        failed_at.is_some(),
        "rotation into an occupied name must fail"
    );
    assert!(log.failure().is_some());
    assert!(
        log.append_blocking(event(999)).is_err(),
        "future appends fail closed"
    );
    assert!(log.flush().is_err());
}

#[test]
fn checkpoint_key_is_sealed_in_the_vault_and_never_in_clear_beside_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    let vkey = log.verifier_key();
    assert!(vkey.starts_with("palisade.test/audit+"));
    log.append_blocking(event(0)).unwrap();
    log.close().unwrap();
    drop(log);
    assert_eq!(
        palisade_audit::read_verifier_key(dir.path())
            .unwrap()
            .to_vkey(),
        vkey
    );
    let audit = dir.path().join("audit");
    assert!(!audit.join("checkpoint.key").exists(), "no clear key");
    let sealed = std::fs::read_to_string(audit.join("checkpoint.key.sealed")).unwrap();
    assert!(!sealed.contains("PRIVATE+KEY"), "{sealed}");
    // Nothing in the audit directory holds the seed in any encoding.
    let signer = palisade_audit::unseal_checkpoint_signer(dir.path(), &v).unwrap();
    let seed = signer.seed();
    for e in std::fs::read_dir(&audit).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        for needle in [seed.to_vec(), base64_of(&seed[..]).into_bytes()] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle));
        }
    }
    // Another master key cannot unseal it: the log refuses to open rather than make a new key.
    let other = palisade_vault::Vault::open_with_master_key(
        &dir.path().join("vault2"),
        Zeroizing::new([9u8; 32]),
    )
    .unwrap();
    let err = AuditLog::open(dir.path(), &config(), &other).unwrap_err();
    assert!(err.to_string().contains("cannot unseal"), "{err}");
    // Reopened with the right vault, the same key signs.
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    assert_eq!(log.verifier_key(), vkey);
}

#[test]
fn clear_checkpoint_key_of_an_older_version_is_sealed_and_removed_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let audit = dir.path().join("audit");
    std::fs::create_dir_all(&audit).unwrap();
    let legacy = palisade_audit::NoteSigner::generate("palisade.test/audit").unwrap();
    let clear = audit.join("checkpoint.key");
    std::fs::write(&clear, legacy.to_skey().as_bytes()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&clear, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            AuditLog::open(dir.path(), &config(), &v).is_err(),
            "a clear key readable by others is refused, not migrated"
        );
        std::fs::set_permissions(&clear, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    assert_eq!(
        log.verifier_key(),
        legacy.verifier().to_vkey(),
        "same key, now sealed"
    );
    assert!(!clear.exists(), "the clear key is removed");
    assert!(audit.join("checkpoint.key.sealed").exists());
    log.append_blocking(event(0)).unwrap();
    let note = log.flush().unwrap().unwrap();
    palisade_audit::Checkpoint::verify_note(&note, &legacy.verifier()).unwrap();
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn config_is_strict_with_defaults() {
    let c: palisade_audit::AuditConfig = serde_json::from_str(r#"{"mode":"batch"}"#).unwrap();
    assert_eq!(c.mode, DurabilityMode::Batch);
    assert_eq!(c.batch_interval_ms, 50);
    assert!(serde_json::from_str::<palisade_audit::AuditConfig>(r#"{"modee":"batch"}"#).is_err());
    assert!(palisade_audit::AuditConfig {
        origin: "has space".into(),
        ..c
    }
    .validate()
    .is_err());
}

#[test]
fn cli_handlers_render_what_the_binary_prints() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 12);
    let v = vault(dir.path());
    use palisade_audit::VerifyArgs;
    // Without outside trust: refused, unless self-consistency only is accepted, said loudly.
    assert!(palisade_audit::verify_cmd(dir.path(), &VerifyArgs::default()).is_err());
    let selfonly = VerifyArgs {
        self_consistency_only: true,
        ..VerifyArgs::default()
    };
    let out = palisade_audit::verify_cmd(dir.path(), &selfonly).unwrap();
    assert!(
        out.starts_with("WARNING: verified ONLY self-consistency"),
        "{out}"
    );
    assert!(out.contains("ok: 12 entries"), "{out}");
    let key = palisade_audit::key_cmd(dir.path()).unwrap();
    let trusted = dir.path().join("trusted.note");
    std::fs::copy(dir.path().join("audit/checkpoint.latest"), &trusted).unwrap();
    let with = |k: &str| VerifyArgs {
        trusted_checkpoints: vec![trusted.clone()],
        verifier_key: Some(k.to_string()),
        ..VerifyArgs::default()
    };
    let pinned = palisade_audit::verify_cmd(dir.path(), &with(key.trim())).unwrap();
    assert!(pinned.contains("outside checkpoint of size 12"), "{pinned}");
    assert!(pinned.contains("unwitnessed: 0 entries"), "{pinned}");
    let other = palisade_audit::NoteSigner::generate("palisade.test/audit")
        .unwrap()
        .verifier()
        .to_vkey();
    assert!(palisade_audit::verify_cmd(dir.path(), &with(&other)).is_err());
    let shown = palisade_audit::show_cmd(dir.path(), 10, Some(&v)).unwrap();
    assert!(
        shown.starts_with("#10 ") && shown.contains(DETAIL_SECRET),
        "{shown}"
    );
    let hidden = palisade_audit::show_cmd(dir.path(), 10, None).unwrap();
    assert!(!hidden.contains(DETAIL_SECRET) && hidden.contains("sealed part present"));
    assert_eq!(
        palisade_audit::tail_cmd(dir.path(), 3, None)
            .unwrap()
            .matches("\n#")
            .count()
            + 1,
        3
    );
    let p = palisade_audit::proof_inclusion_cmd(dir.path(), 4, None).unwrap();
    InclusionProof::parse_text(&p).unwrap().verify().unwrap();
    let c = palisade_audit::proof_consistency_cmd(dir.path(), 3, 12).unwrap();
    ConsistencyProof::parse_text(&c).unwrap().verify().unwrap();
}

#[test]
fn oversized_entry_fails_alone_and_the_log_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    let log = AuditLog::open(dir.path(), &config(), &v).unwrap();
    let (tx, rx) = mpsc::channel();
    let huge = BodyCapture {
        request: vec![b'x'; 13 * 1024 * 1024],
        response: Vec::new(),
    };
    log.append_with_capture(event(0), Some(huge), Box::new(move |r| tx.send(r).unwrap()));
    let err = rx.recv().unwrap().unwrap_err();
    assert!(err.to_string().contains("exceeds"), "{err}");
    assert_eq!(log.append_blocking(event(1)).unwrap(), 0);
    log.close().unwrap();
    assert_eq!(verify(dir.path(), None).unwrap().entries, 1);
}
