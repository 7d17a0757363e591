//! OpenAI `POST /v1/chat/completions` request -> `Request`: the envelope table of the chat
//! API (the only strings not inspected), the role each path's text plays, the tool names, and
//! the provider-side egress the API offers (server tools, `web_search_options`).

use super::walk::{self, idx_at, key_at, server_tools, Envelope, Seg, Signal};
use super::{model_of, stream_of, ParseError, Request};
use palisade_core::{ApiKind, LeafKind};
use serde_json::Value;

/// Protocol structure of a chat request, by exact path. Everything else is inspected.
pub(crate) static ENVELOPE: Envelope = Envelope::new(
    &[
        "/model",
        "/messages/*/role",
        "/messages/*/content/*/type",
        "/messages/*/content/*/image_url/detail",
        "/messages/*/content/*/input_audio/format",
        "/messages/*/tool_calls/*/type",
        "/tools/*/type",
        "/tool_choice",
        "/tool_choice/type",
        "/response_format/type",
        "/reasoning_effort",
        "/service_tier",
        "/verbosity",
        "/modalities/*",
        "/audio/format",
        "/audio/voice",
    ],
    &[
        ("/messages/*/content/*/file/file_data", None),
        ("/messages/*/content/*/input_audio/data", Some("audio/*")),
    ],
    &["/messages/*/content/*/image_url/url"],
    kind,
);

/// Role name -> leaf kind; unknown roles are inspected as `Other` rather than skipped.
pub(crate) fn role_kind(role: Option<&str>) -> LeafKind {
    match role {
        Some("system") | Some("developer") => LeafKind::System,
        Some("user") => LeafKind::User,
        Some("assistant") => LeafKind::Assistant,
        Some("tool") | Some("function") => LeafKind::ToolResult,
        _ => LeafKind::Other,
    }
}

/// The role of the text at a path of a chat request.
fn kind(root: &Value, segs: &[Seg<'_>]) -> LeafKind {
    match (key_at(segs, 0), idx_at(segs, 1), key_at(segs, 2)) {
        (Some("messages"), Some(i), Some("content")) => role_kind(
            root.get("messages")
                .and_then(|m| m.get(i))
                .and_then(|m| m.get("role"))
                .and_then(Value::as_str),
        ),
        (Some("messages"), Some(_), Some("tool_calls"))
            if key_at(segs, 4) == Some("function") && key_at(segs, 5) == Some("arguments") =>
        {
            LeafKind::ToolCallArguments
        }
        (Some("messages"), Some(_), Some("function_call"))
            if key_at(segs, 3) == Some("arguments") =>
        {
            LeafKind::ToolCallArguments
        }
        (Some("tools") | Some("functions"), _, _) => LeafKind::ToolDefinition,
        _ => LeafKind::Other,
    }
}

/// Parses a chat completions request.
pub fn parse(v: &Value) -> Result<Request, ParseError> {
    let model = model_of(v)?;
    let stream = stream_of(v)?;
    let messages = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Shape("`messages` must be an array".into()))?;
    let mut tools = Vec::new();
    for m in messages {
        let calls = m.get("tool_calls").and_then(Value::as_array);
        for f in calls
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("function"))
            .chain(m.get("function_call"))
        {
            tools.extend(name_of(f));
        }
    }
    let defined = v
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    tools.extend(
        defined
            .filter_map(|t| t.get("function"))
            .filter_map(name_of),
    );
    let legacy = v
        .get("functions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    tools.extend(legacy.filter_map(name_of));

    let mut walked = walk::walk(v, &ENVELOPE);
    server_tools(v, &mut walked.signals);
    // Search-enabled chat models browse on the provider's side.
    if v.get("web_search_options").is_some_and(|o| !o.is_null()) {
        walked
            .signals
            .push(Signal::egress("/web_search_options", "web_search_options"));
    }
    Ok(Request::new(
        ApiKind::OpenAiChat,
        model,
        stream,
        walked,
        tools,
    ))
}

fn name_of(f: &Value) -> Option<String> {
    f.get("name").and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_exempts_exactly_these_paths() {
        assert_eq!(
            ENVELOPE.exempt,
            [
                "/model",
                "/messages/*/role",
                "/messages/*/content/*/type",
                "/messages/*/content/*/image_url/detail",
                "/messages/*/content/*/input_audio/format",
                "/messages/*/tool_calls/*/type",
                "/tools/*/type",
                "/tool_choice",
                "/tool_choice/type",
                "/response_format/type",
                "/reasoning_effort",
                "/service_tier",
                "/verbosity",
                "/modalities/*",
                "/audio/format",
                "/audio/voice",
            ]
        );
    }

    #[test]
    fn real_chat_request_with_tools_yields_every_leaf() {
        // Shape from the OpenAI API reference (function calling round trip).
        let body = json!({
            "model": "gpt-4o-mini",
            "stream": true,
            "messages": [
                {"role": "developer", "content": "You are terse."},
                {"role": "user", "content": [
                    {"type": "text", "text": "Weather in Paris?"}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"}
            ],
            "tools": [{"type": "function", "function": {
                "name": "get_weather", "description": "Current weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}}
            }}]
        });
        let req = parse(&body).unwrap();
        let ex = &req.exchange;
        assert!(ex.stream);
        assert_eq!(ex.model, "gpt-4o-mini");
        let mut got: Vec<(&str, LeafKind, &str)> = ex
            .leaves
            .iter()
            .filter(|l| !req.derived.contains(&l.path))
            .map(|l| (l.path.as_str(), l.kind, l.text.as_str()))
            .collect();
        got.sort_by(|a, b| a.0.cmp(b.0));
        let mut want = vec![
            ("/messages/0/content", LeafKind::System, "You are terse."),
            (
                "/messages/1/content/0/text",
                LeafKind::User,
                "Weather in Paris?",
            ),
            ("/messages/2/tool_calls/0/id", LeafKind::Other, "call_1"),
            (
                "/messages/2/tool_calls/0/function/name",
                LeafKind::Other,
                "get_weather",
            ),
            (
                "/messages/2/tool_calls/0/function/arguments",
                LeafKind::ToolCallArguments,
                "{\"city\":\"Paris\"}",
            ),
            ("/messages/3/tool_call_id", LeafKind::Other, "call_1"),
            ("/messages/3/content", LeafKind::ToolResult, "18C and sunny"),
            (
                "/tools/0/function/name",
                LeafKind::ToolDefinition,
                "get_weather",
            ),
            (
                "/tools/0/function/description",
                LeafKind::ToolDefinition,
                "Current weather",
            ),
            (
                "/tools/0/function/parameters/type",
                LeafKind::ToolDefinition,
                "object",
            ),
            (
                "/tools/0/function/parameters/properties/city/type",
                LeafKind::ToolDefinition,
                "string",
            ),
            (
                "/tools/0/function/parameters/properties/city/description",
                LeafKind::ToolDefinition,
                "City name",
            ),
        ];
        want.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(got, want);
        for l in ex.leaves.iter().filter(|l| !req.derived.contains(&l.path)) {
            assert_eq!(
                body.pointer(&l.path).and_then(Value::as_str),
                Some(l.text.as_str()),
                "{}",
                l.path
            );
        }
        // Schema property names are user text: `city` is inspected as a key.
        assert!(ex.leaves.iter().any(|l| l.path
            == "/tools/0/function/parameters/properties/city~key"
            && l.text == "city"));
        assert_eq!(ex.tools, ["get_weather", "get_weather"]);
        assert!(req.signals.is_empty());
    }

    #[test]
    fn missing_messages_or_model_is_a_shape_error() {
        assert!(matches!(
            parse(&json!({"model": "m"})),
            Err(ParseError::Shape(_))
        ));
        assert!(matches!(
            parse(&json!({"messages": []})),
            Err(ParseError::Shape(_))
        ));
        assert!(matches!(
            parse(&json!({"model": "m", "messages": [], "stream": "yes"})),
            Err(ParseError::Shape(_))
        ));
    }
}
