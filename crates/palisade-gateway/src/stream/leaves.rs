//! Every string leaf of a response value, by exact path: the walker the response side uses so
//! that nothing is skipped by key name (the request side has its own in `protocol::pointer`;
//! the two are to be unified), the path patterns that name exempt envelope fields, the
//! stripping of token log-probabilities, and the envelope paths of non-streamed responses.

use crate::protocol::pointer::{child, index};
use palisade_core::ApiKind;
use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// An object member.
    Key(String),
    /// An array element.
    Idx(usize),
}

/// A string leaf: its JSON Pointer and its path as steps.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub pointer: String,
    pub segs: Vec<Seg>,
}

/// Every string under `v`, in document order, object members and array elements alike.
pub(crate) fn string_leaves(v: &Value) -> Vec<Leaf> {
    fn walk(v: &Value, ptr: &str, segs: &mut Vec<Seg>, out: &mut Vec<Leaf>) {
        match v {
            Value::String(_) => out.push(Leaf {
                pointer: ptr.to_owned(),
                segs: segs.clone(),
            }),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    segs.push(Seg::Idx(i));
                    walk(item, &index(ptr, i), segs, out);
                    segs.pop();
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    segs.push(Seg::Key(k.clone()));
                    walk(item, &child(ptr, k), segs, out);
                    segs.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, "", &mut Vec::new(), &mut out);
    out
}

/// Whether `segs` is exactly the path `pattern`: `/`-separated member names, `*` for any
/// array index.
pub(crate) fn matches(segs: &[Seg], pattern: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').collect();
    pat.len() == segs.len()
        && pat.iter().zip(segs).all(|(p, s)| match s {
            Seg::Idx(_) => *p == "*",
            Seg::Key(k) => p == k,
        })
}

/// Whether `segs` is one of `patterns`.
pub(crate) fn any_of(segs: &[Seg], patterns: &[&str]) -> bool {
    patterns.iter().any(|p| matches(segs, p))
}

/// The array index at step `i` of `segs`.
pub(crate) fn idx_at(segs: &[Seg], i: usize) -> Option<usize> {
    match segs.get(i) {
        Some(Seg::Idx(n)) => Some(*n),
        _ => None,
    }
}

/// Removes token log-probabilities everywhere in `v`: their tokens (`token`, `bytes`,
/// `top_logprobs`) spell the generated text a second time, piecewise, where no filter that
/// holds back or redacts the text can follow it. Arrays become empty and objects null, the
/// shapes the APIs use for "none"; numbers (a request's `top_logprobs` echoed back) stay.
/// Returns whether anything was removed.
pub(crate) fn strip_logprobs(v: &mut Value) -> bool {
    let mut changed = false;
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                if k == "logprobs" || k == "top_logprobs" {
                    match item {
                        Value::Array(a) if !a.is_empty() => {
                            a.clear();
                            changed = true;
                        }
                        Value::Object(_) => {
                            *item = Value::Null;
                            changed = true;
                        }
                        _ => {}
                    }
                } else {
                    changed |= strip_logprobs(item);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                changed |= strip_logprobs(item);
            }
        }
        _ => {}
    }
    changed
}

/// Provider-generated identifiers and enumerations of a non-streamed response (and of an API
/// error body), by exact path. Everything else is inspected.
pub(crate) fn response_envelope(api: ApiKind, segs: &[Seg]) -> bool {
    const ERROR: &[&str] = &["error/type", "error/code", "type"];
    const CHAT: &[&str] = &[
        "id",
        "object",
        "model",
        "system_fingerprint",
        "service_tier",
        "choices/*/finish_reason",
        "choices/*/message/role",
        "choices/*/message/tool_calls/*/id",
        "choices/*/message/tool_calls/*/type",
    ];
    const RESPONSES: &[&str] = &[
        "id",
        "object",
        "model",
        "status",
        "service_tier",
        "previous_response_id",
        "output/*/id",
        "output/*/type",
        "output/*/status",
        "output/*/role",
        "output/*/call_id",
        "output/*/content/*/type",
        "output/*/summary/*/type",
    ];
    const ANTHROPIC: &[&str] = &[
        "id",
        "type",
        "role",
        "model",
        "stop_reason",
        "content/*/type",
        "content/*/id",
        "content/*/tool_use_id",
        "content/*/signature",
        "usage/service_tier",
    ];
    any_of(segs, ERROR)
        || match api {
            ApiKind::OpenAiChat => any_of(segs, CHAT),
            ApiKind::OpenAiResponses => any_of(segs, RESPONSES),
            ApiKind::AnthropicMessages => any_of(segs, ANTHROPIC),
            _ => any_of(segs, &["id", "object", "model", "data/*/object"]),
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn walker_reaches_every_string_with_exact_paths() {
        let v = json!({"a": ["x", {"type": "y", "a/b": "z"}], "n": 1, "t": "w"});
        let ptrs: Vec<String> = string_leaves(&v).into_iter().map(|l| l.pointer).collect();
        assert_eq!(ptrs, vec!["/a/0", "/a/1/type", "/a/1/a~1b", "/t"]);
    }

    #[test]
    fn patterns_are_exact() {
        let segs = vec![
            Seg::Key("choices".into()),
            Seg::Idx(3),
            Seg::Key("x".into()),
        ];
        assert!(matches(&segs, "choices/*/x"));
        assert!(!matches(&segs, "choices/*"));
        assert!(!matches(&segs, "choices/3/x"));
    }

    #[test]
    fn logprobs_are_stripped_at_any_depth() {
        let mut v = json!({"choices": [{"logprobs": {"content": [{"token": "s", "bytes": [115]}]}}],
                           "item": {"logprobs": [{"token": "s"}]}, "top_logprobs": 2});
        assert!(strip_logprobs(&mut v));
        assert_eq!(
            v,
            json!({"choices": [{"logprobs": null}], "item": {"logprobs": []}, "top_logprobs": 2})
        );
        assert!(!strip_logprobs(&mut v));
    }
}
