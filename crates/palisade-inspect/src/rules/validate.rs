//! Checks that run after a rule's regex matched: Shannon entropy, structural validators (JWT
//! structure, Kubernetes issuer, PEM body, HTTP basic credentials, generic assignments) and the
//! allowlist of placeholders that documentation and templates use instead of real secrets.

use base64::Engine as _;

/// A structural check on the matched value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// No check beyond entropy and the allowlist.
    None,
    /// Must contain upper case, lower case and a digit (random base64, not a path).
    MixedB64,
    /// A JWT: base64url JSON header with `alg`, JSON payload.
    Jwt,
    /// A JWT issued to a Kubernetes service account.
    JwtK8s,
    /// A PEM block with a body (not just a header mentioned in prose).
    PemBody,
    /// Base64 of `user:password`.
    BasicAuth,
    /// A generic assignment: entropy above the configured floor, letters and digits, not code.
    Generic,
    /// A generic password: mixed character classes, not a dictionary placeholder.
    GenericPassword,
    /// A quoted value assigned to a password-named key: anything but a placeholder, a type or
    /// keyword, a label-like word (`Passwort`) or a reference to other code.
    QuotedPassword,
    /// An unquoted value of a password-named key (env, INI, YAML, flags, `login .. password ..`):
    /// as `QuotedPassword`, and it must carry a digit or a symbol (bare words are code).
    BarePassword,
    /// A value of a token/secret/key-named key or of a service-context match: credential-shaped
    /// (length, character classes, entropy scaled by length), not words joined by dashes.
    TokenValue,
    /// The password of a URI or `user:pass` pair: anything but a placeholder or the literal
    /// word `password` (a short real password such as `secret` counts).
    UriPassword,
    /// A `Password=` value of a connection string: as `UriPassword`, and not a reference to
    /// code (`getpass.getpass()`, `os.environ[..]`), since the same key appears in programs.
    ConnPassword,
    /// The value of a password flag of a known tool (`-p`, `/user:x pw`): as `BarePassword`,
    /// but a long mixed-case word without digits counts too (generated passwords often are).
    CliPassword,
}

/// Shannon entropy in bits per byte.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

const PLACEHOLDERS: &[&str] = &[
    "example",
    "xxxxx",
    "*****",
    "placeholder",
    "changeme",
    "change_me",
    "redacted",
    "your_",
    "your-",
    "yourkey",
    "insert",
    "replace",
    "dummy",
    "sample",
    "${",
    "{{",
    "$(",
    "todo",
    "fixme",
    "0000000000",
    "1234567890",
    "abcdefgh",
];

/// Whether a value is a documentation placeholder rather than a secret.
pub fn is_placeholder(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    if PLACEHOLDERS
        .iter()
        .any(|p| memchr::memmem::find(&lower, p.as_bytes()).is_some())
    {
        return true;
    }
    // `<YOUR_KEY>`, `<password>`: a template slot opens with `<` or closes with `>` around
    // a name. A `<` or `%s` in the middle of a random password is part of it, not a slot.
    let slot = v.first() == Some(&b'<')
        || v.last() == Some(&b'>')
        || memchr::memchr(b'<', v)
            .zip(memchr::memrchr(b'>', v))
            .is_some_and(|(a, b)| {
                b > a + 1
                    && v.get(a + 1..b).is_some_and(|n| {
                        n.iter()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b' '))
                    })
            });
    if slot || lower == b"%s" || lower == b"%v" {
        return true;
    }
    // A run of one repeated character is filler, not key material ('A' runs are base64 of
    // zero bytes, which real formats such as Twitter bearer tokens contain).
    v.windows(8)
        .any(|w| w.first() != Some(&b'A') && w.iter().all(|c| Some(c) == w.first()))
}

fn b64url_json(seg: &[u8]) -> Option<serde_json::Value> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(seg)
        .ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(serde_json::Value::is_object)
}

fn jwt_payload(v: &[u8]) -> Option<serde_json::Value> {
    let mut parts = v.split(|b| *b == b'.');
    let header = b64url_json(parts.next()?)?;
    header.get("alg")?;
    b64url_json(parts.next()?)
}

fn is_k8s(payload: &serde_json::Value) -> bool {
    let iss = payload.get("iss").and_then(|v| v.as_str()).unwrap_or("");
    iss == "kubernetes/serviceaccount"
        || payload.get("kubernetes.io").is_some()
        || payload.as_object().is_some_and(|o| {
            o.keys()
                .any(|k| k.starts_with("kubernetes.io/serviceaccount"))
        })
}

fn basic_auth(v: &[u8]) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(v) else {
        return false;
    };
    let Ok(s) = std::str::from_utf8(&bytes) else {
        return false;
    };
    match s.split_once(':') {
        Some((user, pass)) => {
            !user.is_empty()
                && pass.len() >= 4
                && s.chars().all(|c| !c.is_control())
                && !is_placeholder(pass.as_bytes())
                && !matches!(pass, "pass" | "password" | "secret")
        }
        None => false,
    }
}

/// Values that name a type, a keyword or an empty state rather than hold a secret.
const NON_SECRET_WORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "none",
    "nil",
    "undefined",
    "required",
    "optional",
    "string",
    "str",
    "bool",
    "boolean",
    "integer",
    "number",
    "object",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "hidden",
    "text",
    "empty",
    "default",
    "disabled",
    "enabled",
    "yes",
    "no",
    "n/a",
    "pass",
    "pwd",
    "your_password",
    "mypassword",
    "yourpassword",
    "notset",
    "unset",
    "masked",
    "secure",
    "value",
    "blank",
    "bearer",
    "basic",
    "changeit",
    "prompt",
    "stdin",
];

/// Literal placeholders inside URIs and `user:pass` pairs.
const URI_PLACEHOLDERS: &[&str] = &[
    "password",
    "pass",
    "passwd",
    "pwd",
    "pw",
    "secret_password",
    "yourpassword",
    "mypassword",
];

/// A label-like word: letters only, lower case or capitalised, short (i18n strings, enum names).
fn word_like(v: &[u8]) -> bool {
    if !v.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let rest_lower = v.iter().skip(1).all(u8::is_ascii_lowercase);
    let all_upper = v.iter().all(u8::is_ascii_uppercase);
    (v.len() < 12 && rest_lower) || all_upper
}

/// A reference to other data, not a value: `${VAR}`, `%(x)s`, `$VAR`, `@Value`, `env:`.
fn reference(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    matches!(
        v.first(),
        Some(b'$' | b'%' | b'@' | b'&' | b'*' | b'!' | b'|' | b'#' | b':')
    ) || lower.starts_with(b"env:")
        || lower.starts_with(b"env(")
        || lower.starts_with(b"vault:")
        || lower.starts_with(b"secret:")
        || lower.starts_with(b"process.env")
        || lower.starts_with(b"os.environ")
        || lower.starts_with(b"http://")
        || lower.starts_with(b"https://")
}

/// A call, an index or a dotted path of identifiers (`os.environ["X"]`, `cfg.db.pw`).
fn code_reference(v: &[u8]) -> bool {
    let dotted = v.split(|b| *b == b'.').count() > 1
        && v.split(|b| *b == b'.').all(|p| {
            p.len() >= 2
                && p.first().is_some_and(u8::is_ascii_alphabetic)
                && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        });
    dotted || v.contains(&b'(') || v.contains(&b'[') || reference(v)
}

/// Words joined by separators (`my-app-secret-v2`, `default_token_name`): most of the value is
/// lower-case dictionary-like segments of three or more letters.
fn joined_words(v: &[u8]) -> bool {
    let wordy: usize = v
        .split(|b| matches!(b, b'-' | b'_' | b'.' | b' '))
        .filter(|seg| seg.len() >= 3 && seg.iter().all(u8::is_ascii_lowercase))
        .map(<[u8]>::len)
        .sum();
    wordy * 10 >= v.len() * 6
}

/// Common to every password-like value.
fn password_value(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    v.len() >= 3
        && !v
            .iter()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        && !NON_SECRET_WORDS.iter().any(|w| lower == w.as_bytes())
        && !is_placeholder(v)
        && !reference(v)
        && !word_like(v)
        && !looks_like_code(v)
        && !(v.iter().all(u8::is_ascii_digit) && v.len() < 6)
}

fn classes(v: &[u8]) -> usize {
    [
        v.iter().any(u8::is_ascii_lowercase),
        v.iter().any(u8::is_ascii_uppercase),
        v.iter().any(u8::is_ascii_digit),
        v.iter().any(|b| b.is_ascii_punctuation()),
    ]
    .iter()
    .filter(|x| **x)
    .count()
}

/// Credential-shaped: at least 10 bytes, two character classes including a digit (or three
/// classes), entropy at least 0.8 bits short of the maximum a random string of this length
/// over its alphabet reaches (capped by the generic floor), and not a sentence of words.
fn token_value(v: &[u8], floor: f64) -> bool {
    let n = v.len();
    // A long high-entropy value with dots is a token (JWT segments), not a dotted identifier.
    let code = looks_like_code(v) && !(n >= 30 && entropy(v) >= 4.0);
    if n < 10 || is_placeholder(v) || reference(v) || code || joined_words(v) {
        return false;
    }
    if v.iter()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return false;
    }
    let has_digit = v.iter().any(u8::is_ascii_digit);
    let has_alpha = v.iter().any(u8::is_ascii_alphabetic);
    let c = classes(v);
    if !(has_alpha && (has_digit || c >= 3)) {
        return false;
    }
    // Hex and UUID-shaped keys draw from 16 symbols, so they cannot reach the floor meant for
    // base62/base64 values: hold them to what random hex reaches (about 3.7 bits at 32).
    let hexish = v.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
    let cap = if hexish { floor.min(3.2) } else { floor };
    let want = ((n as f64).log2() - 0.8).min(cap).max(2.8);
    entropy(v) >= want
}

fn looks_like_code(v: &[u8]) -> bool {
    let s = std::str::from_utf8(v).unwrap_or("");
    // Dotted identifiers (`self.config.token`), calls and references are code, not values.
    let dotted = s.split('.').count() > 1
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && p.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        });
    let ident = s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        || s.bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-');
    // `a::b` is a path in Rust, C++ and PHP, not a value.
    dotted
        || ident
        || s.contains('(')
        || s.contains("::")
        || s.starts_with('$')
        || s.starts_with('/')
}

/// Turns escaped line breaks at any JSON escaping depth (`\n`, `\\n`, `\\\\n`, `\r`) into
/// newlines and drops other backslashes.
fn unescape_lines(v: &[u8]) -> String {
    let mut out = String::with_capacity(v.len());
    let mut i = 0;
    while let Some(&b) = v.get(i) {
        if b == b'\\' {
            let mut j = i;
            while v.get(j) == Some(&b'\\') {
                j += 1;
            }
            match v.get(j) {
                Some(b'n' | b'r') => {
                    out.push('\n');
                    i = j + 1;
                }
                _ => i = j,
            }
            continue;
        }
        out.push(char::from(b));
        i += 1;
    }
    out
}

/// Base64 characters in body lines of a PEM block: lines (split on newlines or escaped
/// `\n` at any depth) of at least 16 characters made only of base64 characters. Prose after a
/// header does not count, so a header quoted in documentation is not a key.
fn pem_body_chars(v: &[u8]) -> usize {
    let s = unescape_lines(v);
    s.lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| {
            l.len() >= 16
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        })
        .map(str::len)
        .sum()
}

impl Validator {
    /// Runs the check; `generic_floor` is the configured entropy floor for generic rules.
    pub fn accepts(self, v: &[u8], generic_floor: f64) -> bool {
        match self {
            Validator::None => true,
            Validator::MixedB64 => {
                v.iter().any(u8::is_ascii_uppercase)
                    && v.iter().any(u8::is_ascii_lowercase)
                    && v.iter().any(u8::is_ascii_digit)
            }
            Validator::Jwt => jwt_payload(v).is_some(),
            Validator::JwtK8s => jwt_payload(v).is_some_and(|p| is_k8s(&p)),
            Validator::PemBody => pem_body_chars(v) >= 64,
            Validator::BasicAuth => basic_auth(v),
            Validator::Generic => {
                entropy(v) >= generic_floor
                    && v.iter().any(u8::is_ascii_digit)
                    && v.iter().any(u8::is_ascii_alphabetic)
                    && !looks_like_code(v)
            }
            Validator::GenericPassword => {
                let classes = [
                    v.iter().any(u8::is_ascii_lowercase),
                    v.iter().any(u8::is_ascii_uppercase),
                    v.iter().any(u8::is_ascii_digit),
                    v.iter().any(|b| b.is_ascii_punctuation()),
                ]
                .iter()
                .filter(|x| **x)
                .count();
                classes >= 3 && entropy(v) >= 2.8 && !looks_like_code(v)
            }
            Validator::QuotedPassword => v.len() >= 4 && password_value(v),
            Validator::BarePassword => {
                v.len() >= 4
                    && password_value(v)
                    && v.iter()
                        .any(|b| b.is_ascii_digit() || b.is_ascii_punctuation())
                    && !v
                        .iter()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_punctuation())
                    && (v.len() >= 6 || classes(v) >= 3)
            }
            Validator::TokenValue => token_value(v, generic_floor),
            Validator::ConnPassword => {
                Validator::UriPassword.accepts(v, generic_floor) && !code_reference(v)
            }
            Validator::CliPassword => {
                Validator::BarePassword.accepts(v, generic_floor)
                    || (v.len() >= 10 && classes(v) >= 2 && password_value(v))
            }
            Validator::UriPassword => {
                let lower = v.to_ascii_lowercase();
                !v.is_empty()
                    && !URI_PLACEHOLDERS.iter().any(|w| lower == w.as_bytes())
                    && !is_placeholder(v)
                    && !matches!(v.first(), Some(b'$' | b'%' | b'{'))
                    && !v
                        .iter()
                        .all(|b| matches!(b, b'*' | b'x' | b'X' | b'.' | b'#' | b'?'))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_and_placeholders() {
        assert!(entropy(b"aaaaaaaa") < 0.01);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(is_placeholder(b"sk_live_xxxxxxxxxxxx"));
        assert!(is_placeholder(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(!is_placeholder(b"q8Zr2LmP0vX7wKcT"));
        assert!(Validator::Generic.accepts(b"q8Zr2LmP0vX7wKcTf3Hs", 3.5));
        assert!(!Validator::Generic.accepts(b"self.config.api_token", 3.5));
        assert!(!Validator::GenericPassword.accepts(b"password", 3.5));
        assert!(Validator::GenericPassword.accepts(b"Tr0ub4dor&3x!", 3.5));
        assert!(is_placeholder(b"<YOUR_API_KEY>"));
        assert!(is_placeholder(b"key-<your key>"));
        assert!(!is_placeholder(b"PNKKlUpc2%sYRq*b!H68"));
        assert!(!is_placeholder(b"a<b9#Qz>x"));
        assert!(Validator::UriPassword.accepts(b"secret", 3.5));
        assert!(!Validator::ConnPassword.accepts(b"getpass.getpass()", 3.5));
        assert!(!Validator::ConnPassword.accepts(b"os.environ", 3.5));
        assert!(Validator::ConnPassword.accepts(b"sQl!2024x", 3.5));
        assert!(Validator::CliPassword.accepts(b"plROoDuDXInDCiamfACl", 3.5));
        assert!(!Validator::CliPassword.accepts(b"mydb", 3.5));
        // Random hex and UUID keys under a secret-named key are tokens despite 4-bit symbols.
        assert!(Validator::TokenValue.accepts(b"01e6266413cf6861c653b647c712410c", 3.5));
        assert!(Validator::TokenValue.accepts(b"96a77d87-2446-43b0-99b9-88664616cd69", 3.5));
        assert!(!Validator::TokenValue.accepts(b"0000000011111111", 3.5));
        // Regression (real Rust code): `Token::LeftParen`, `token: aes::InitToken`.
        assert!(!Validator::TokenValue.accepts(b":LeftParen", 3.5));
        assert!(!Validator::TokenValue.accepts(b"aes_intrinsics::InitToken", 3.5));
    }
}
