//! Secret rules, family table: Generic `key = value` credential assignments, gated by entropy and an allowlist of placeholders.
//! Generated once from a rule sheet; each row carries a true- and a false-positive example that
//! the table-driven test in `rules::tests` checks.

use super::{Family::*, SecretRule as R, Validator as V};
use palisade_core::{Confidence as C, Severity as S};

#[rustfmt::skip]
pub(super) const RULES: &[R] = &[
    R::new(Generic, "generic-api-key", &[r#"api_key"#, r#"apikey"#, r#"api-key"#, r#"secret"#, r#"token"#, r#"passw"#, r#"pwd"#, r#"credential"#, r#"auth_key"#, r#"access_key"#, r#"private_key"#, r#"client_secret"#],
        r#"(?i:(?:api[_.-]?key|apikey|secret|token|passw(?:or)?d|passwd|pwd|credential|auth[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret)[\w.-]{0,20})["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]([^\s"'`]{16,200})["'`]"#,
        r#"config.api_key = "ca7t0wmDOK9QrC0I8vOVwDdDoitw5l4M""#,
        r#"api_key = "this_is_not_a_real_key_value""#)
        .entropy(0).check(V::Generic).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Generic, "generic-password", &[r#"passw"#, r#"pwd"#],
        r#"(?i:passw(?:or)?d|passwd|pwd)["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]([^\s"'`]{8,64})["'`]"#,
        r#""password": "Tr0ub4dor&3x!""#,
        r#"password: "password""#)
        .entropy(0).check(V::GenericPassword).conf(C::Low).sev(S::High).window(16, 320),
    R::new(Generic, "generic-env-secret", &[r#"api_key"#, r#"secret"#, r#"token"#, r#"password"#, r#"passwd"#, r#"access_key"#, r#"private_key"#, r#"client_secret"#],
        r#"(?:API_KEY|SECRET|TOKEN|PASSWORD|PASSWD|ACCESS_KEY|PRIVATE_KEY|CLIENT_SECRET)[A-Z0-9_]{0,20}=([^\s"'#]{16,200})[ \t]*(?:\r?\n|$)"#,
        r#"SERVICE_API_KEY=S3sNN8GBlRzfTRIAe9wVjvwJABDokX75"#,
        r#"SERVICE_API_KEY=${VAULT_SERVICE_API_KEY}"#)
        .entropy(0).check(V::Generic).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Generic, "generic-bearer-token", &[r#"bearer"#],
        r#"(?i:authorization)["']?\s*[:=]\s*["']?(?i:bearer)\s+([A-Za-z0-9._~+/-]{20,}=*)"#,
        r#"Authorization: Bearer SHx318e1lh2LhhSOdUyGOoN1iHcZr4A1cGPTt3uI"#,
        r#"Authorization: Bearer <token>"#)
        .entropy(0).check(V::Generic).conf(C::Medium).sev(S::High).window(40, 320),
    R::new(Generic, "generic-basic-auth", &[r#"basic"#],
        r#"(?i:authorization)["']?\s*[:=]\s*["']?(?i:basic)\s+([A-Za-z0-9+/]{12,}={0,2})"#,
        r#"Authorization: Basic ZGVwbG95OjhNZk1xUDVaVlF5bVRSQjFVVg=="#,
        r#"Authorization: Basic <credentials>"#)
        .entropy(0).check(V::BasicAuth).conf(C::Medium).sev(S::High).window(40, 320),
    R::new(Generic, "curl-user-password", &[r#"curl"#],
        r#"\bcurl\b[^\n]{0,200}\s(?:-u|--user)\s+["']?[^\s:"']{1,64}:([^\s"']{6,64})"#,
        r#"curl -u deploy:3xYt9Id30Q6CIgfK https://api.corp.net/v1"#,
        r#"curl -u "$USER:$PASS" https://api.corp.net"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(0, 400),
];
