//! Where the streamed text sits in each API's SSE events: the delta fields to scan, the events
//! that end a text (so the scanner's held-back tail is released before them), the events that
//! repeat the whole text (rewritten with the released text), and the error event to end a cut
//! stream in each API's own format.

use serde_json::{json, Value};

/// Which API's event shapes a stream uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// OpenAI chat completions chunks (`data:` only, ending with `[DONE]`).
    Chat,
    /// OpenAI Responses API typed events.
    Responses,
    /// Anthropic Messages events.
    Anthropic,
}

/// One streamed text fragment inside an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delta {
    /// Identifies the text it belongs to (one scanner per key).
    pub key: String,
    /// JSON Pointer of the fragment inside the event's data.
    pub pointer: String,
}

/// Which texts end at this event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ends {
    /// None.
    Nothing,
    /// These keys (or every key starting with one of these prefixes).
    Prefixes(Vec<String>),
    /// Every text still open.
    All,
}

fn idx(v: &Value, field: &str) -> Option<u64> {
    v.get(field).and_then(Value::as_u64)
}

/// The text fragments of one event.
pub(crate) fn deltas(flavor: Flavor, v: &Value) -> Vec<Delta> {
    let mut out = Vec::new();
    match flavor {
        Flavor::Chat => {
            for (pos, c) in v
                .get("choices")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let i = idx(c, "index").unwrap_or(pos as u64);
                if c.pointer("/delta/content").is_some_and(Value::is_string) {
                    out.push(Delta {
                        key: format!("c{i}"),
                        pointer: format!("/choices/{pos}/delta/content"),
                    });
                }
                for (tpos, t) in c
                    .pointer("/delta/tool_calls")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let j = idx(t, "index").unwrap_or(tpos as u64);
                    if t.pointer("/function/arguments")
                        .is_some_and(Value::is_string)
                    {
                        out.push(Delta {
                            key: format!("c{i}t{j}"),
                            pointer: format!(
                                "/choices/{pos}/delta/tool_calls/{tpos}/function/arguments"
                            ),
                        });
                    }
                }
            }
        }
        Flavor::Anthropic => {
            if v.get("type").and_then(Value::as_str) == Some("content_block_delta") {
                let i = idx(v, "index").unwrap_or(0);
                for field in ["text", "partial_json", "thinking"] {
                    if v.pointer(&format!("/delta/{field}"))
                        .is_some_and(Value::is_string)
                    {
                        out.push(Delta {
                            key: format!("b{i}"),
                            pointer: format!("/delta/{field}"),
                        });
                    }
                }
            }
        }
        Flavor::Responses => {
            let oi = idx(v, "output_index").unwrap_or(0);
            match v.get("type").and_then(Value::as_str) {
                Some("response.output_text.delta") | Some("response.refusal.delta") => {
                    let ci = idx(v, "content_index").unwrap_or(0);
                    out.push(Delta {
                        key: format!("o{oi}c{ci}"),
                        pointer: "/delta".into(),
                    });
                }
                Some("response.function_call_arguments.delta") => out.push(Delta {
                    key: format!("o{oi}f"),
                    pointer: "/delta".into(),
                }),
                _ => {}
            }
        }
    }
    out.retain(|d| v.pointer(&d.pointer).is_some_and(Value::is_string));
    out
}

/// Which texts end with this event (`data` is the raw data, for `[DONE]`).
pub(crate) fn ends(flavor: Flavor, data: &str, v: Option<&Value>) -> Ends {
    if data.trim() == "[DONE]" {
        return Ends::All;
    }
    let Some(v) = v else { return Ends::Nothing };
    let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
    match flavor {
        Flavor::Chat => {
            let done: Vec<String> = v
                .get("choices")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| c.get("finish_reason").is_some_and(|f| !f.is_null()))
                .filter_map(|c| idx(c, "index"))
                .map(|i| format!("c{i}"))
                .collect();
            if done.is_empty() {
                Ends::Nothing
            } else {
                Ends::Prefixes(done)
            }
        }
        Flavor::Anthropic => match ty {
            "content_block_stop" => {
                Ends::Prefixes(vec![format!("b{}", idx(v, "index").unwrap_or(0))])
            }
            "message_stop" | "message_delta" => Ends::All,
            _ => Ends::Nothing,
        },
        Flavor::Responses => {
            let oi = idx(v, "output_index").unwrap_or(0);
            match ty {
                "response.output_text.done"
                | "response.refusal.done"
                | "response.content_part.done" => Ends::Prefixes(vec![format!(
                    "o{oi}c{}",
                    idx(v, "content_index").unwrap_or(0)
                )]),
                "response.function_call_arguments.done" => Ends::Prefixes(vec![format!("o{oi}f")]),
                "response.output_item.done" => Ends::Prefixes(vec![format!("o{oi}")]),
                "response.completed" | "response.failed" | "response.incomplete" => Ends::All,
                _ => Ends::Nothing,
            }
        }
    }
}

/// Responses API events repeat the whole text at the end; each such place is overwritten with
/// the text that was actually released (redacted), so the repeat cannot leak what the deltas
/// withheld. `released(key)` gives the released text of a key, if it streamed.
pub(crate) fn rewrite_full_texts(
    flavor: Flavor,
    v: &mut Value,
    released: &dyn Fn(&str) -> Option<String>,
) {
    if flavor != Flavor::Responses {
        return;
    }
    let ty = v
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let oi = idx(v, "output_index").unwrap_or(0);
    let ci = idx(v, "content_index").unwrap_or(0);
    let set = |v: &mut Value, ptr: &str, key: &str| {
        if let (Some(slot), Some(text)) = (v.pointer_mut(ptr), released(key)) {
            if slot.is_string() {
                *slot = Value::String(text);
            }
        }
    };
    match ty.as_str() {
        "response.output_text.done" => set(v, "/text", &format!("o{oi}c{ci}")),
        "response.refusal.done" => set(v, "/refusal", &format!("o{oi}c{ci}")),
        "response.content_part.done" => set(v, "/part/text", &format!("o{oi}c{ci}")),
        "response.function_call_arguments.done" => set(v, "/arguments", &format!("o{oi}f")),
        "response.output_item.done" => rewrite_item(v, "/item", oi, released),
        "response.completed" | "response.failed" | "response.incomplete" => {
            let n = v
                .pointer("/response/output")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for o in 0..n {
                rewrite_item(v, &format!("/response/output/{o}"), o as u64, released);
            }
        }
        _ => {}
    }
}

fn rewrite_item(v: &mut Value, base: &str, oi: u64, released: &dyn Fn(&str) -> Option<String>) {
    if let (Some(Value::String(s)), Some(t)) = (
        v.pointer_mut(&format!("{base}/arguments")),
        released(&format!("o{oi}f")),
    ) {
        *s = t;
    }
    let n = v
        .pointer(&format!("{base}/content"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for c in 0..n {
        if let Some(t) = released(&format!("o{oi}c{c}")) {
            if let Some(Value::String(s)) = v.pointer_mut(&format!("{base}/content/{c}/text")) {
                *s = t;
            }
        }
    }
}

/// The event that ends a cut stream, in the API's error format.
pub(crate) fn cut_event(flavor: Flavor) -> (Option<&'static str>, String) {
    let msg = "the response contained content that may not be delivered; the stream was stopped by policy";
    match flavor {
        Flavor::Chat => (None, json!({"error": {"message": msg, "type": "content_blocked", "code": "content_blocked", "param": null}}).to_string()),
        Flavor::Responses => (Some("error"), json!({"type": "error", "code": "content_blocked", "message": msg, "param": null}).to_string()),
        Flavor::Anthropic => (Some("error"), json!({"type": "error", "error": {"type": "permission_error", "message": msg}}).to_string()),
    }
}
