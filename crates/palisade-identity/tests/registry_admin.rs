//! Registry lifecycle, status history, cross-connection invalidation, CLI handlers, admin API.

mod common;
use common::*;
use palisade_identity::*;
use palisade_store::Store;
use serde_json::json;
use std::sync::Arc;

#[test]
fn lifecycle_transitions_and_history() {
    let h = H::new();
    let id = h.create("research/a");
    let r = &h.svc.registry;
    assert!(matches!(
        r.set_status(&id, StatusAction::Release, "x", "y"),
        Err(RegistryError::Transition { .. })
    ));
    r.set_status(&id, StatusAction::Suspend, "alice", "maintenance")
        .unwrap();
    r.set_status(&id, StatusAction::Quarantine, "behavior", "anomaly 97")
        .unwrap();
    r.set_status(&id, StatusAction::Release, "bob", "false positive")
        .unwrap();
    let rec = r
        .set_status(&id, StatusAction::Revoke, "alice", "decommissioned")
        .unwrap();
    assert_eq!(rec.status, palisade_core::IdentityStatus::Revoked);
    let who: Vec<&str> = rec.history.iter().map(|h| h.actor.as_str()).collect();
    assert_eq!(who, ["test", "alice", "behavior", "bob", "alice"]);
    assert!(matches!(
        r.set_status(&id, StatusAction::Release, "x", "y"),
        Err(RegistryError::Transition { .. })
    ));
    assert!(matches!(
        r.set_status(&id, StatusAction::Suspend, "x", " "),
        Err(RegistryError::Invalid(_))
    ));
}

#[test]
fn create_validates() {
    let h = H::new();
    h.create("research/a");
    let dup = NewIdentity {
        id: "spiffe://lab.example/research/a".parse().unwrap(),
        kind: palisade_core::IdentityKind::Agent,
        owner: "o".into(),
        scopes: vec![],
        max_ttl_secs: 60,
        requirements: vec!["join_token".into()],
        legacy_bearer: false,
    };
    assert!(matches!(
        h.svc.registry.create(dup.clone(), "t"),
        Err(RegistryError::Exists(_))
    ));
    let foreign = NewIdentity {
        id: "spiffe://other.example/research/b".parse().unwrap(),
        ..dup.clone()
    };
    assert!(matches!(
        h.svc.registry.create(foreign, "t"),
        Err(RegistryError::TrustDomain { .. })
    ));
    let noreq = NewIdentity {
        id: "spiffe://lab.example/research/c".parse().unwrap(),
        requirements: vec![],
        ..dup
    };
    assert!(matches!(
        h.svc.registry.create(noreq, "t"),
        Err(RegistryError::Invalid(_))
    ));
}

#[test]
fn status_change_by_another_connection_takes_effect_on_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let gw_store = Arc::new(Store::open(dir.path()).unwrap());
    let h = H::with_store(cfg(), gw_store);
    let id = h.create("research/a");
    let key = TestKey::es256();
    let tok = h.enroll(&id, &key).access_token;
    assert!(h.call(&tok, &key).is_ok(), "status now cached");
    // The CLI: a separate process/connection on the same database.
    let cli_store = Arc::new(Store::open(dir.path()).unwrap());
    let clock: palisade_core::SharedClock = h.clock.clone();
    let cli_reg = Registry::open(cli_store, "lab.example", clock).unwrap();
    cli::set_status(
        &cli_reg,
        "research/a",
        StatusAction::Quarantine,
        "alice",
        "incident 7",
    )
    .unwrap();
    assert_eq!(
        code(h.call(&tok, &key)),
        (403, "identity_quarantined".into())
    );
}

#[test]
fn cli_handlers_and_rendering() {
    let h = H::new();
    let reg = &h.svc.registry;
    let rec = cli::create(
        reg,
        cli::CreateArgs {
            name: "vendors/cleaner".into(),
            kind: palisade_core::IdentityKind::Vendor,
            owner: "data-team".into(),
            scopes: vec!["gpt-4o-mini".into()],
            max_ttl_secs: 900,
            requirements: vec![],
            legacy_bearer: false,
        },
        "alice",
    )
    .unwrap();
    assert_eq!(rec.id.to_string(), "spiffe://lab.example/vendors/cleaner");
    assert_eq!(rec.requirements, ["join_token"]);
    let table = cli::render_identities(&cli::list(reg).unwrap());
    assert!(table.starts_with("ID"));
    assert!(table.contains("spiffe://lab.example/vendors/cleaner  vendor  data-team  active"));
    cli::set_status(
        reg,
        "spiffe://lab.example/vendors/cleaner",
        StatusAction::Suspend,
        "alice",
        "audit",
    )
    .unwrap();
    let shown = cli::render_identity(&cli::show(reg, "vendors/cleaner").unwrap());
    assert!(shown.contains("status:        suspended"));
    assert!(shown.contains("audit"));
    cli::set_status(reg, "vendors/cleaner", StatusAction::Release, "alice", "ok").unwrap();
    let jt = cli::join_token(reg, "vendors/cleaner", 120).unwrap();
    assert!(jt.token.starts_with("pjt_"));
    assert!(!format!("{jt:?}").contains(&jt.token));
    assert!(cli::render_join_token(&jt).contains(&jt.token));
    assert!(cli::show(reg, "vendors/nobody").is_err());
}

#[test]
fn join_tokens_are_stored_hashed() {
    let h = H::new();
    let id = h.create("research/a");
    let jt = h.svc.registry.join_token(&id, 60).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let clock: palisade_core::SharedClock = h.clock.clone();
    let reg = Registry::open(Arc::new(store), "lab.example", clock).unwrap();
    let id2 = reg
        .create(
            NewIdentity {
                id: id.clone(),
                kind: palisade_core::IdentityKind::Agent,
                owner: "o".into(),
                scopes: vec![],
                max_ttl_secs: 60,
                requirements: vec!["join_token".into()],
                legacy_bearer: false,
            },
            "t",
        )
        .unwrap()
        .id;
    let jt2 = reg.join_token(&id2, 60).unwrap();
    drop(reg);
    let raw = std::fs::read(dir.path().join(palisade_store::DB_FILE)).unwrap();
    let wal = std::fs::read(dir.path().join(format!("{}-wal", palisade_store::DB_FILE)))
        .unwrap_or_default();
    for bytes in [&raw, &wal] {
        assert!(
            !bytes
                .windows(jt2.token.len())
                .any(|w| w == jt2.token.as_bytes()),
            "secret on disk"
        );
    }
    assert_ne!(jt.token, jt2.token);
}

#[test]
fn admin_api_requires_credential_and_manages_identities() {
    let h = H::new();
    let a = &h.svc.admin;
    let (s, v) = a.handle("GET", "/admin/v1/identities", b"", None);
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (401, "admin_unauthorized")
    );
    assert_eq!(
        a.handle("GET", "/admin/v1/identities", b"", Some("Bearer pak_wrong"))
            .0,
        401
    );
    let cred = Some("Bearer pak_test");
    let body = json!({"id": "spiffe://lab.example/research/bot", "kind": "agent", "owner": "ml", "scopes": ["gpt-4o"]});
    let (s, v) = a.handle(
        "POST",
        "/admin/v1/identities",
        body.to_string().as_bytes(),
        cred,
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "active");
    assert_eq!(
        a.handle(
            "POST",
            "/admin/v1/identities",
            body.to_string().as_bytes(),
            cred
        )
        .0,
        409
    );
    let (s, v) = a.handle("GET", "/admin/v1/identities", b"", cred);
    assert_eq!((s, v["identities"].as_array().unwrap().len()), (200, 1));
    let (s, v) = a.handle(
        "POST",
        "/admin/v1/identities/research/bot/quarantine",
        br#"{"reason":"anomaly"}"#,
        cred,
    );
    assert_eq!((s, v["status"].as_str().unwrap()), (200, "quarantined"));
    let (s, v) = a.handle(
        "POST",
        "/admin/v1/identities/research/bot/join-token",
        br#"{"ttl_secs":60}"#,
        cred,
    );
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (409, "invalid_transition")
    );
    a.handle(
        "POST",
        "/admin/v1/identities/research/bot/release",
        br#"{"reason":"ok","actor":"bob"}"#,
        cred,
    );
    let (s, v) = a.handle(
        "POST",
        "/admin/v1/identities/research/bot/join-token",
        br#"{"ttl_secs":60}"#,
        cred,
    );
    assert_eq!(s, 201);
    assert!(v["token"].as_str().unwrap().starts_with("pjt_"));
    let (s, v) = a.handle("GET", "/admin/v1/identities/research/bot", b"", cred);
    assert_eq!((s, v["history"].as_array().unwrap().len()), (200, 3));
    assert_eq!(v["history"][2]["actor"], "bob");
    assert_eq!(
        a.handle("GET", "/admin/v1/identities/research/nobody", b"", cred)
            .0,
        404
    );
    let old = h.svc.keys.current_kid();
    let (s, v) = a.handle("POST", "/admin/v1/keys/rotate", b"", cred);
    assert_eq!(s, 200);
    assert_ne!(v["kid"].as_str().unwrap(), old);
    assert_eq!(a.handle("DELETE", "/admin/v1/identities", b"", cred).0, 404);
}

#[test]
fn service_open_creates_private_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let clock: palisade_core::SharedClock = Arc::new(palisade_core::ManualClock::new(T0_MS));
    let svc = IdentityService::open(cfg(), store, dir.path(), [9u8; 32], clock).unwrap();
    let secret =
        std::fs::read_to_string(dir.path().join(admin_credential::ADMIN_CREDENTIAL_FILE)).unwrap();
    assert_eq!(
        svc.admin
            .handle("GET", "/admin/v1/identities", b"", Some(secret.trim()))
            .0,
        200
    );
    #[cfg(unix)]
    for f in [admin_credential::ADMIN_CREDENTIAL_FILE, keys::KEYS_FILE] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600,
            "{f}"
        );
    }
}
