//! The binary's subcommands as a user runs them: config check on every shipped example and on a
//! broken file, and the vault round trip (put from stdin, list without values, rotate).

mod common;

use common::*;

use std::path::Path;

#[test]
fn config_check_accepts_every_example_and_names_the_bad_line() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut n = 0;
    for e in std::fs::read_dir(&examples).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let out = palisade()
                .args(["config", "check"])
                .arg(&p)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                p.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            n += 1;
        }
    }
    assert!(n >= 2);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[server]\nlisten = \"127.0.0.1:1\"\ndata_dir = \"d\"\nlisten_backlog = 5\n[auth]\nmode = \"none\"\n").unwrap();
    let out = palisade()
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:4") && err.contains("listen_backlog"),
        "{err}"
    );
}

#[test]
fn vault_put_list_rotate_never_prints_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "sk-cli-test-0123456789abcdef";
    let out = feed(
        palisade()
            .args(["vault", "put", "openai-key", "--data-dir"])
            .arg(dir.path()),
        format!("{secret}\n").as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = palisade()
        .args(["vault", "list", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.starts_with("openai-key\t"), "{text}");
    let rot = palisade()
        .args(["vault", "rotate-master", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(rot.status.success());
    assert!(String::from_utf8_lossy(&rot.stdout).contains("re-sealed 1"));
    for o in [&out, &list, &rot] {
        assert!(!String::from_utf8_lossy(&o.stdout).contains(secret));
        assert!(!String::from_utf8_lossy(&o.stderr).contains(secret));
    }
    // The sealed files do not hold the key in the clear.
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            assert!(
                !String::from_utf8_lossy(&std::fs::read(&p).unwrap()).contains(secret),
                "{}",
                p.display()
            );
        }
    }
}
