//! What each string of each API's SSE events is: an exempt envelope field (exact paths only),
//! a fragment of a streamed text (scanned with hold-back, one scanner per text), a repeat of a
//! whole streamed text (`*.done`, `response.completed`: replaced with what was released), or
//! a whole value (inspected in its event before the event leaves). Also which event types each
//! API has (any other fails the stream closed), which texts an event ends, and the error event
//! that ends a cut stream in each API's own format.

use super::leaves::{any_of, idx_at, matches, Seg};
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

/// What one string leaf of an event is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// A provider-generated identifier or enumeration at an exact envelope path.
    Envelope,
    /// A fragment of the streamed text `key`.
    Delta(String),
    /// The whole streamed text `key`, repeated.
    Repeat(String),
    /// A complete value, inspected as it is.
    Whole,
}

/// Which texts end at an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ends {
    /// None.
    Nothing,
    /// These keys (or every key starting with one of these prefixes).
    Prefixes(Vec<String>),
    /// Every text still open.
    All,
}

fn num(v: &Value, field: &str) -> u64 {
    v.get(field).and_then(Value::as_u64).unwrap_or(0)
}

fn ty(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Every Anthropic Messages stream event type.
const ANTHROPIC_EVENTS: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
];

/// Every OpenAI Responses stream event type the gateway understands.
const RESPONSES_EVENTS: &[&str] = &[
    "response.created",
    "response.in_progress",
    "response.queued",
    "response.completed",
    "response.failed",
    "response.incomplete",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_text.annotation.added",
    "response.refusal.delta",
    "response.refusal.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.custom_tool_call_input.delta",
    "response.custom_tool_call_input.done",
    "response.mcp_call_arguments.delta",
    "response.mcp_call_arguments.done",
    "response.reasoning_text.delta",
    "response.reasoning_text.done",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.code_interpreter_call_code.delta",
    "response.code_interpreter_call_code.done",
    "response.code_interpreter_call.in_progress",
    "response.code_interpreter_call.interpreting",
    "response.code_interpreter_call.completed",
    "response.file_search_call.in_progress",
    "response.file_search_call.searching",
    "response.file_search_call.completed",
    "response.web_search_call.in_progress",
    "response.web_search_call.searching",
    "response.web_search_call.completed",
    "response.mcp_call.in_progress",
    "response.mcp_call.completed",
    "response.mcp_call.failed",
    "response.mcp_list_tools.in_progress",
    "response.mcp_list_tools.completed",
    "response.mcp_list_tools.failed",
    "response.image_generation_call.in_progress",
    "response.image_generation_call.generating",
    "response.image_generation_call.partial_image",
    "response.image_generation_call.completed",
    "error",
];

/// Whether the gateway understands this event (its SSE type and its data's shape). Anything
/// else ends the stream: an event nobody here knows the text positions of is not relayed.
pub(crate) fn known(flavor: Flavor, event: Option<&str>, v: &Value) -> bool {
    let Some(obj) = v.as_object() else {
        return false;
    };
    match flavor {
        Flavor::Chat => {
            matches!(event, None | Some("message") | Some("error"))
                && (obj.get("choices").is_some_and(Value::is_array) || obj.contains_key("error"))
        }
        // Both APIs name every event twice (SSE type and `type`); they must agree.
        Flavor::Anthropic => {
            let t = ty(v);
            ANTHROPIC_EVENTS.contains(&t) && event.is_none_or(|e| e == t)
        }
        Flavor::Responses => {
            let t = ty(v);
            RESPONSES_EVENTS.contains(&t) && event.is_none_or(|e| e == t)
        }
    }
}

/// The role of the string at `segs` in event `v`.
pub(crate) fn role(flavor: Flavor, v: &Value, segs: &[Seg]) -> Role {
    match flavor {
        Flavor::Chat => chat_role(v, segs),
        Flavor::Anthropic => anthropic_role(v, segs),
        Flavor::Responses => responses_role(v, segs),
    }
}

fn chat_role(v: &Value, segs: &[Seg]) -> Role {
    const ENVELOPE: &[&str] = &[
        "id",
        "object",
        "model",
        "system_fingerprint",
        "service_tier",
        "choices/*/finish_reason",
        "choices/*/delta/role",
        "choices/*/delta/tool_calls/*/id",
        "choices/*/delta/tool_calls/*/type",
        "error/type",
        "error/code",
    ];
    if any_of(segs, ENVELOPE) {
        return Role::Envelope;
    }
    let Some(pos) = idx_at(segs, 1).filter(|_| matches(&segs[..1], "choices")) else {
        return Role::Whole;
    };
    let choice = v.pointer(&format!("/choices/{pos}"));
    let i = choice.map_or(pos as u64, |c| {
        c.get("index").and_then(Value::as_u64).unwrap_or(pos as u64)
    });
    let field = |suffix: &str| format!("c{i}{suffix}");
    let rest = &segs[2..];
    // Every field the SDKs concatenate across chunks.
    let key = if matches(rest, "delta/content") {
        field("")
    } else if matches(rest, "delta/refusal") {
        field("r")
    } else if matches(rest, "delta/reasoning_content") {
        field("z")
    } else if matches(rest, "delta/reasoning") {
        field("y")
    } else if matches(rest, "delta/function_call/arguments") {
        field("f")
    } else if matches(rest, "delta/audio/transcript") {
        field("a")
    } else if matches(rest, "delta/tool_calls/*/function/arguments") {
        let tpos = idx_at(rest, 2).unwrap_or(0);
        let j = choice
            .and_then(|c| c.pointer(&format!("/delta/tool_calls/{tpos}/index")))
            .and_then(Value::as_u64)
            .unwrap_or(tpos as u64);
        field(&format!("t{j}"))
    } else {
        return Role::Whole;
    };
    Role::Delta(key)
}

fn anthropic_role(v: &Value, segs: &[Seg]) -> Role {
    // Signatures are provider-signed opaque tokens the API verifies on the next turn.
    const ENVELOPE: &[&str] = &[
        "type",
        "message/id",
        "message/type",
        "message/role",
        "message/model",
        "message/stop_reason",
        "message/usage/service_tier",
        "message/content/*/type",
        "message/content/*/id",
        "content_block/type",
        "content_block/id",
        "content_block/tool_use_id",
        "content_block/signature",
        "delta/type",
        "delta/stop_reason",
        "delta/signature",
        "usage/service_tier",
        "error/type",
    ];
    if any_of(segs, ENVELOPE) {
        return Role::Envelope;
    }
    if ty(v) == "content_block_delta"
        && (matches(segs, "delta/text")
            || matches(segs, "delta/partial_json")
            || matches(segs, "delta/thinking"))
    {
        return Role::Delta(format!("b{}", num(v, "index")));
    }
    Role::Whole
}

fn responses_role(v: &Value, segs: &[Seg]) -> Role {
    const ENVELOPE: &[&str] = &[
        "type",
        "item_id",
        "response/id",
        "response/object",
        "response/model",
        "response/status",
        "response/service_tier",
        "response/previous_response_id",
        "response/output/*/id",
        "response/output/*/type",
        "response/output/*/status",
        "response/output/*/role",
        "response/output/*/call_id",
        "response/output/*/content/*/type",
        "response/output/*/summary/*/type",
        "item/id",
        "item/type",
        "item/status",
        "item/role",
        "item/call_id",
        "item/content/*/type",
        "item/summary/*/type",
        "part/type",
        "code",
    ];
    if any_of(segs, ENVELOPE) {
        return Role::Envelope;
    }
    let t = ty(v);
    let oi = num(v, "output_index");
    let ci = num(v, "content_index");
    let si = num(v, "summary_index");
    let content = format!("o{oi}c{ci}");
    let summary = format!("o{oi}s{si}");
    let call = format!("o{oi}f");
    let code = format!("o{oi}k");
    let one = |p: &str| matches(segs, p);
    let delta = one("delta");
    match t {
        "response.output_text.delta"
        | "response.refusal.delta"
        | "response.reasoning_text.delta"
            if delta =>
        {
            Role::Delta(content)
        }
        "response.reasoning_summary_text.delta" if delta => Role::Delta(summary),
        "response.function_call_arguments.delta"
        | "response.custom_tool_call_input.delta"
        | "response.mcp_call_arguments.delta"
            if delta =>
        {
            Role::Delta(call)
        }
        "response.code_interpreter_call_code.delta" if delta => Role::Delta(code),
        "response.output_text.done" | "response.reasoning_text.done" if one("text") => {
            Role::Repeat(content)
        }
        "response.refusal.done" if one("refusal") => Role::Repeat(content),
        "response.content_part.done" if one("part/text") || one("part/refusal") => {
            Role::Repeat(content)
        }
        "response.reasoning_summary_text.done" if one("text") => Role::Repeat(summary),
        "response.reasoning_summary_part.done" if one("part/text") => Role::Repeat(summary),
        "response.function_call_arguments.done" | "response.mcp_call_arguments.done"
            if one("arguments") =>
        {
            Role::Repeat(call)
        }
        "response.custom_tool_call_input.done" if one("input") => Role::Repeat(call),
        "response.code_interpreter_call_code.done" if one("code") => Role::Repeat(code),
        "response.output_item.done" if matches!(segs.first(), Some(Seg::Key(k)) if k == "item") => {
            item_repeat(oi, &segs[1..])
        }
        "response.completed" | "response.failed" | "response.incomplete"
            if segs.len() > 2 && matches(&segs[..2], "response/output") =>
        {
            let n = idx_at(segs, 2).unwrap_or(0) as u64;
            item_repeat(n, &segs[3..])
        }
        _ => Role::Whole,
    }
}

/// The texts an output item repeats whole (at its `done` and in the final response).
fn item_repeat(oi: u64, rest: &[Seg]) -> Role {
    if matches(rest, "content/*/text") || matches(rest, "content/*/refusal") {
        Role::Repeat(format!("o{oi}c{}", idx_at(rest, 1).unwrap_or(0)))
    } else if matches(rest, "summary/*/text") {
        Role::Repeat(format!("o{oi}s{}", idx_at(rest, 1).unwrap_or(0)))
    } else if matches(rest, "arguments") || matches(rest, "input") {
        Role::Repeat(format!("o{oi}f"))
    } else if matches(rest, "code") {
        Role::Repeat(format!("o{oi}k"))
    } else {
        Role::Whole
    }
}

/// Which texts end with this event (`None` for `[DONE]`).
pub(crate) fn ends(flavor: Flavor, v: Option<&Value>) -> Ends {
    let Some(v) = v else { return Ends::All };
    let t = ty(v);
    match flavor {
        Flavor::Chat => {
            let done: Vec<String> = v
                .get("choices")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .filter(|(_, c)| c.get("finish_reason").is_some_and(|f| !f.is_null()))
                .map(|(pos, c)| {
                    format!(
                        "c{}",
                        c.get("index").and_then(Value::as_u64).unwrap_or(pos as u64)
                    )
                })
                .collect();
            if done.is_empty() {
                Ends::Nothing
            } else {
                Ends::Prefixes(done)
            }
        }
        Flavor::Anthropic => match t {
            "content_block_stop" => Ends::Prefixes(vec![format!("b{}", num(v, "index"))]),
            "message_stop" | "message_delta" => Ends::All,
            _ => Ends::Nothing,
        },
        Flavor::Responses => {
            let oi = num(v, "output_index");
            match t {
                "response.output_text.done"
                | "response.refusal.done"
                | "response.reasoning_text.done"
                | "response.content_part.done" => {
                    Ends::Prefixes(vec![format!("o{oi}c{}", num(v, "content_index"))])
                }
                "response.reasoning_summary_text.done" | "response.reasoning_summary_part.done" => {
                    Ends::Prefixes(vec![format!("o{oi}s{}", num(v, "summary_index"))])
                }
                "response.function_call_arguments.done"
                | "response.custom_tool_call_input.done"
                | "response.mcp_call_arguments.done" => Ends::Prefixes(vec![format!("o{oi}f")]),
                "response.code_interpreter_call_code.done" => {
                    Ends::Prefixes(vec![format!("o{oi}k")])
                }
                "response.output_item.done" => Ends::Prefixes(vec![format!("o{oi}")]),
                "response.completed" | "response.failed" | "response.incomplete" | "error" => {
                    Ends::All
                }
                _ => Ends::Nothing,
            }
        }
    }
}

/// A chat chunk carrying only `tail` for the text `key`, built on `template` (a chunk already
/// relayed: its id, model and created are kept, its choices replaced).
pub(crate) fn chat_tail(template: &Value, key: &str, tail: String) -> Value {
    let rest = key.strip_prefix('c').unwrap_or("");
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let choice: u64 = digits.parse().unwrap_or(0);
    let kind = &rest[digits.len()..];
    let delta = match kind.chars().next() {
        None => json!({"content": tail}),
        Some('r') => json!({"refusal": tail}),
        Some('z') => json!({"reasoning_content": tail}),
        Some('y') => json!({"reasoning": tail}),
        Some('f') => json!({"function_call": {"arguments": tail}}),
        Some('a') => json!({"audio": {"transcript": tail}}),
        _ => {
            let j: u64 = kind[1..].parse().unwrap_or(0);
            json!({"tool_calls": [{"index": j, "function": {"arguments": tail}}]})
        }
    };
    let mut v = json!({
        "id": template.get("id").cloned().unwrap_or(Value::Null),
        "object": template.get("object").cloned().unwrap_or(json!("chat.completion.chunk")),
        "created": template.get("created").cloned().unwrap_or(json!(0)),
        "model": template.get("model").cloned().unwrap_or(json!("")),
        "choices": [{"index": choice, "delta": delta, "finish_reason": null}],
    });
    if let (Some(obj), Some(fp)) = (v.as_object_mut(), template.get("system_fingerprint")) {
        obj.insert("system_fingerprint".into(), fp.clone());
    }
    v
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
