//! JSON Pointer (RFC 6901) building and a walker that collects every string leaf under a value,
//! so protocol adapters never miss text in shapes they do not model field by field.

use palisade_core::{LeafKind, TextLeaf};
use serde_json::Value;

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

/// Pushes every string under `v` (objects, arrays, nested) as a leaf of `kind`, skipping the
/// keys listed in `skip` at any depth (structural fields such as `type` or `role`).
pub fn collect_strings(
    v: &Value,
    path: &str,
    kind: LeafKind,
    skip: &[&str],
    out: &mut Vec<TextLeaf>,
) {
    match v {
        Value::String(s) => out.push(TextLeaf::new(path, kind, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_strings(item, &index(path, i), kind, skip, out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                if !skip.contains(&k.as_str()) {
                    collect_strings(item, &child(path, k), kind, skip, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_rfc_6901() {
        assert_eq!(child("", "a/b~c"), "/a~1b~0c");
        let v = serde_json::json!({"a/b": {"x": ["s", 1, {"type": "t", "y": "z"}]}});
        let mut out = Vec::new();
        collect_strings(&v, "", LeafKind::Other, &["type"], &mut out);
        let paths: Vec<_> = out.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths, ["/a~1b/x/0", "/a~1b/x/2/y"]);
        assert_eq!(v.pointer("/a~1b/x/2/y").and_then(Value::as_str), Some("z"));
    }
}
