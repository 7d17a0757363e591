//! JSON Pointer (RFC 6901) building: the paths every text leaf and finding is named by.

/// Escapes one reference token (`~` -> `~0`, `/` -> `~1`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `base/token` with the token escaped.
pub fn child(base: &str, token: &str) -> String {
    format!("{base}/{}", escape(token))
}

/// `base/index`.
pub fn index(base: &str, i: usize) -> String {
    format!("{base}/{i}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn escapes_per_rfc_6901() {
        assert_eq!(child("", "a/b~c"), "/a~1b~0c");
        let v = serde_json::json!({"a/b": {"x": ["s", 1, {"y": "z"}]}});
        let p = index(&child(&child("", "a/b"), "x"), 2) + "/y";
        assert_eq!(v.pointer(&p).and_then(Value::as_str), Some("z"));
    }
}
