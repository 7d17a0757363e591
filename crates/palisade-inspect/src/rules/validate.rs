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
    "<",
    ">",
    "${",
    "{{",
    "$(",
    "%s",
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
    dotted || ident || s.contains('(') || s.starts_with('$') || s.starts_with('/')
}

/// Base64 characters in body lines of a PEM block: lines (split on newlines or JSON-escaped
/// `\n`) of at least 16 characters made only of base64 characters. Prose after a header does
/// not count, so a header quoted in documentation is not a key.
fn pem_body_chars(v: &[u8]) -> usize {
    let s = String::from_utf8_lossy(v).replace("\\n", "\n");
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
    }
}
