//! `palisade identity ...` round trips on a temp data dir: create, list, quarantine, release
//! (which also lifts a behaviour quarantine offline), revoke, join tokens, baselines, and the
//! trust domain taken from a config's `[identity]` section.

mod common;

use common::*;

use palisade_behavior::persist;
use palisade_behavior::state::{encode, IdentityState, Quarantine};
use palisade_core::IdentityKind;
use palisade_store::Store;
use std::path::Path;

fn ok(args: &[&str], dir: &Path) -> String {
    let out = run_in(args, dir);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn status_of(dir: &Path, name: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["identity", "show", name, "--json"], dir)).unwrap();
    v["status"].as_str().unwrap().to_owned()
}

/// The arguments of `identity create NAME --kind KIND --owner OWNER`.
fn create<'a>(name: &'a str, kind: &'a str, owner: &'a str) -> [&'a str; 7] {
    ["identity", "create", name, "--kind", kind, "--owner", owner]
}

const ID: &str = "spiffe://palisade.local/research/agent-a";

#[test]
fn create_list_quarantine_release_revoke_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ok(
        &[
            "identity",
            "create",
            "research/agent-a",
            "--kind",
            "agent",
            "--owner",
            "team-r",
            "--scope",
            "gpt-4o",
            "--max-ttl",
            "15m",
        ],
        d,
    );
    assert!(out.contains(ID) && out.contains("900 s"), "{out}");
    let list = ok(&["identity", "list"], d);
    assert!(list.contains(ID) && list.contains("active"), "{list}");

    let dup = run_in(&create("research/agent-a", "agent", "x"), d);
    assert_eq!(dup.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));

    ok(
        &[
            "identity",
            "quarantine",
            "research/agent-a",
            "--reason",
            "bulk reads",
        ],
        d,
    );
    assert_eq!(status_of(d, "research/agent-a"), "quarantined");
    let list = ok(&["identity", "list", "--json"], d);
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(v[0]["status"], "quarantined");

    let released = ok(
        &[
            "identity",
            "release",
            "research/agent-a",
            "--reason",
            "reviewed",
        ],
        d,
    );
    assert!(
        released.contains("no behaviour baseline recorded"),
        "{released}"
    );
    assert_eq!(status_of(d, "research/agent-a"), "active");
    let shown = ok(&["identity", "show", ID], d);
    assert!(
        shown.contains("bulk reads") && shown.contains("reviewed"),
        "history: {shown}"
    );

    ok(
        &["identity", "revoke", "research/agent-a", "--reason", "left"],
        d,
    );
    assert_eq!(status_of(d, "research/agent-a"), "revoked");
    let again = run_in(
        &["identity", "release", "research/agent-a", "--reason", "x"],
        d,
    );
    assert_eq!(again.status.code(), Some(2), "revoked is terminal");
    assert!(String::from_utf8_lossy(&again.stderr).contains("cannot release"));

    let missing = run_in(&["identity", "show", "research/nobody"], d);
    assert_eq!(missing.status.code(), Some(2));
    let bad_kind = run_in(&create("research/b", "robot", "x"), d);
    assert_eq!(bad_kind.status.code(), Some(2), "usage error");
}

#[test]
fn join_token_is_single_use_and_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&create("labeling/cleaner", "vendor", "acme"), d);
    let t1 = ok(
        &["identity", "join-token", "labeling/cleaner", "--ttl", "10m"],
        d,
    );
    let t2 = ok(
        &["identity", "join-token", "labeling/cleaner", "--ttl", "10m"],
        d,
    );
    let token = |s: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix("join token: "))
            .unwrap()
            .to_owned()
    };
    assert_ne!(token(&t1), token(&t2));
    assert!(t1.contains("single use"));
    let bad = run_in(
        &[
            "identity",
            "join-token",
            "labeling/cleaner",
            "--ttl",
            "soon",
        ],
        d,
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn release_lifts_a_behaviour_quarantine_offline_and_baseline_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&create("research/agent-a", "agent", "team-r"), d);
    ok(
        &[
            "identity",
            "quarantine",
            "research/agent-a",
            "--reason",
            "behaviour",
        ],
        d,
    );
    // What the gateway's baselines would have stored after quarantining the identity.
    {
        let store = Store::open(d).unwrap();
        persist::migrate(&store).unwrap();
        let mut s = IdentityState::new(IdentityKind::Agent, 1_700_000_000_000);
        s.quarantine = Some(Quarantine {
            since_ms: 1_700_000_000_000,
            reason: "bulk reads of protected documents".into(),
        });
        persist::write(&store, &[(ID.into(), encode(ID, &s).unwrap())], &[], 1).unwrap();
    }
    let base = ok(&["identity", "baseline", "research/agent-a", "--json"], d);
    let v: serde_json::Value = serde_json::from_str(&base).unwrap();
    assert!(base.contains("agent-a"), "{v}");
    let table = ok(&["identity", "baseline", "agent-a"], d);
    assert!(!table.trim().is_empty());

    let out = ok(
        &[
            "identity",
            "release",
            "research/agent-a",
            "--reason",
            "reviewed",
        ],
        d,
    );
    assert!(out.contains("behaviour quarantine lifted"), "{out}");
    let store = Store::open(d).unwrap();
    let loaded = persist::load(&store).unwrap();
    let (_, state) = loaded
        .identities
        .into_iter()
        .find(|(k, _)| k == ID)
        .unwrap();
    assert!(state.quarantine.is_none());
}

#[test]
fn trust_domain_comes_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("palisade.toml");
    std::fs::write(
        &cfg,
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[auth]\nmode = \"none\"\n\n\
         [identity]\ntrust_domain = \"corp.test\"\n",
    )
    .unwrap();
    let out = palisade()
        .args([
            "identity",
            "create",
            "research/a",
            "--kind",
            "agent",
            "--owner",
            "o",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("spiffe://corp.test/research/a"));
    assert!(
        dir.path().join("data/palisade.db").is_file(),
        "config's data dir used"
    );
}
