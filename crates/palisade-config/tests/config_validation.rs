//! Strictness and validation of config files: unknown fields, lines in errors, loopback rule,
//! cross references, defaults, and every shipped example under `examples/`.

use palisade_config::{parse, AuthMode, ConfigError, UpstreamKind};
use std::path::Path;

const BASE: &str = r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[[upstreams]]
name = "local"
kind = "openai-compatible"
base_url = "http://127.0.0.1:9000/"
destination = "internal"
segment = "research"

[[models]]
name = "m"
upstream = "local"
rename = "m-upstream"

[auth]
mode = "none"
"#;

fn check(text: &str) -> Result<palisade_config::Config, ConfigError> {
    parse(text, "test.toml", Path::new("/etc/palisade"))
}

#[test]
fn minimal_config_gets_defaults() {
    let c = check(BASE).unwrap();
    assert_eq!(c.server.body_limit_bytes, 4 * 1024 * 1024);
    assert_eq!(c.server.data_dir, Path::new("/etc/palisade/data"));
    assert_eq!(c.server.header_timeout.as_secs(), 10);
    assert_eq!(c.upstreams[0].base_url, "http://127.0.0.1:9000");
    assert_eq!(c.upstreams[0].kind, UpstreamKind::OpenAiCompatible);
    assert_eq!(c.model("m").unwrap().upstream_model, "m-upstream");
    assert_eq!(c.auth.mode, AuthMode::None);
    assert!(c.identity.is_none());
}

#[test]
fn unknown_field_is_rejected_with_its_name_and_line() {
    let text = BASE.replace(
        "segment = \"research\"",
        "segment = \"research\"\nsegmnet = \"x\"",
    );
    let err = check(&text).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("segmnet"), "{msg}");
    assert_eq!(err.line(), Some(12), "{msg}");
}

#[test]
fn unknown_field_in_placeholder_section_is_rejected() {
    let err = check(&format!("{BASE}\n[policy]\nfoo = 1\n")).unwrap_err();
    assert!(err.to_string().contains("foo"), "{err}");
    assert!(check(&format!("{BASE}\n[policy]\n"))
        .unwrap()
        .policy
        .is_some());
}

#[test]
fn plain_http_to_non_loopback_is_refused() {
    let text = BASE.replace("http://127.0.0.1:9000/", "http://api.example.com");
    let err = check(&text).unwrap_err();
    assert_eq!(err.field(), Some("upstreams[0].base_url"));
    assert_eq!(err.line(), Some(9));
    assert!(err.to_string().contains("loopback"), "{err}");
    assert!(check(&BASE.replace("http://127.0.0.1:9000/", "http://localhost:1")).is_ok());
    assert!(check(&BASE.replace("http://127.0.0.1:9000/", "http://[::1]:1")).is_ok());
    assert!(check(&BASE.replace("http://127.0.0.1:9000/", "https://api.example.com")).is_ok());
    assert!(check(&BASE.replace("http://127.0.0.1:9000/", "ftp://x")).is_err());
    assert!(check(&BASE.replace("http://127.0.0.1:9000/", "https://u:p@x")).is_err());
}

#[test]
fn model_pointing_at_missing_upstream_is_refused() {
    let err = check(&BASE.replace("upstream = \"local\"", "upstream = \"nope\"")).unwrap_err();
    assert_eq!(err.field(), Some("models[0].upstream"));
    assert_eq!(err.line(), Some(15));
}

#[test]
fn auth_section_is_mandatory_and_mode_known() {
    let err = check(&BASE.replace("[auth]\nmode = \"none\"", "")).unwrap_err();
    assert!(err.to_string().contains("auth"), "{err}");
    let err = check(&BASE.replace("mode = \"none\"", "mode = \"open\"")).unwrap_err();
    assert_eq!(err.field(), Some("auth.mode"));
}

#[test]
fn bad_listen_and_enum_values_are_named() {
    let err = check(&BASE.replace("127.0.0.1:0", "localhost")).unwrap_err();
    assert_eq!(err.field(), Some("server.listen"));
    let err =
        check(&BASE.replace("kind = \"openai-compatible\"", "kind = \"gemini\"")).unwrap_err();
    assert_eq!(err.field(), Some("upstreams[0].kind"));
    let err =
        check(&BASE.replace("destination = \"internal\"", "destination = \"mars\"")).unwrap_err();
    assert_eq!(err.field(), Some("upstreams[0].destination"));
}

#[test]
fn duplicate_names_are_refused() {
    let dup = format!("{BASE}\n[[models]]\nname = \"m\"\nupstream = \"local\"\n");
    // Tables after [auth] still parse as array entries of the root.
    let err = check(&dup).unwrap_err();
    assert!(err.to_string().contains("duplicate model"), "{err}");
}

#[test]
fn every_example_config_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            palisade_config::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 2, "expected example configs in {}", dir.display());
}

#[test]
fn audit_witness_keys_are_validated() {
    let w = palisade_audit::Cosigner::generate("witness.test/a")
        .unwrap()
        .verifier()
        .to_vkey();
    let with = |audit: &str| check(&format!("{BASE}\n[audit]\n{audit}\n"));
    let one = format!("witnesses = [{{ url = \"http://127.0.0.1:7380\", key = \"{w}\" }}]");
    let cfg = with(&format!("{one}\nmax_witness_lag = \"5s\"")).unwrap();
    let audit = cfg.audit.unwrap();
    assert_eq!(audit.quorum(), 1);
    assert_eq!(audit.max_witness_lag, std::time::Duration::from_secs(5));
    assert!(audit.witness_lag_fail_closed);
    for bad in [
        format!("{one}\nwitness_quorum = 2"),
        format!("{one}\nwitness_quorum = 0"),
        "witness_quorum = 1".to_string(),
        format!("witnesses = [{{ url = \"http://witness.example\", key = \"{w}\" }}]"),
        "witnesses = [{ url = \"https://w.example\", key = \"not-a-key\" }]".to_string(),
        format!("witnesses = [{{ url = \"https://w.example\", key = \"{w}\", extra = 1 }}]"),
        format!(
            "witnesses = [{{ url = \"https://a.example\", key = \"{w}\" }}, {{ url = \"https://b.example\", key = \"{w}\" }}]"
        ),
    ] {
        assert!(with(&bad).is_err(), "accepted: {bad}");
    }
}

const MCP: &str = r#"
[[mcp_servers]]
name = "docs"
url = "http://127.0.0.1:9100/mcp"
destination = "internal"
segment = "research"
credential = "docs-token"
auto_approve = true
timeout = "3s"
"#;

#[test]
fn mcp_server_parsed_with_defaults() {
    let c = check(&format!("{BASE}{MCP}")).unwrap();
    let m = &c.mcp_servers[0];
    assert_eq!(
        (m.name.as_str(), m.url.as_str(), m.credential.as_deref()),
        ("docs", "http://127.0.0.1:9100/mcp", Some("docs-token"))
    );
    assert!(m.auto_approve);
    assert_eq!((m.timeout.as_secs(), m.connect_timeout.as_secs()), (3, 5));
    assert!(check(BASE).unwrap().mcp_servers.is_empty());
}

#[test]
fn mcp_server_mistakes_are_named() {
    for (from, to, field) in [
        (
            "http://127.0.0.1:9100/mcp",
            "http://tools.example/mcp",
            "mcp_servers[0].url",
        ),
        (
            "name = \"docs\"",
            "name = \"Docs_x\"",
            "mcp_servers[0].name",
        ),
        (
            "destination = \"internal\"",
            "destination = \"moon\"",
            "mcp_servers[0].destination",
        ),
        (
            "credential = \"docs-token\"",
            "credential = \" \"",
            "mcp_servers[0].credential",
        ),
        (
            "timeout = \"3s\"",
            "timeout = \"0s\"",
            "mcp_servers[0].timeout",
        ),
        (
            "auto_approve = true",
            "auto_approve = true\ncommand = \"x\"",
            "unknown field `command`",
        ),
    ] {
        let text = format!("{BASE}{}", MCP.replace(from, to));
        let err = check(&text).unwrap_err().to_string();
        assert!(err.contains(field), "{to}: {err}");
    }
    let twice = format!("{BASE}{MCP}{MCP}");
    assert!(check(&twice)
        .unwrap_err()
        .to_string()
        .contains("duplicate MCP server name"));
}
