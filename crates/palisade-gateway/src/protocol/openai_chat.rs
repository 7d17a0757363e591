//! OpenAI `POST /v1/chat/completions` request -> `Exchange`: system/developer, user, assistant
//! and tool messages (string or content-part arrays), assistant tool calls with their
//! arguments, and tool definitions (name, description, parameter schema text).

use super::pointer::{child, collect_strings, index};
use super::{model_of, stream_of, ParseError};
use palisade_core::{ApiKind, Exchange, LeafKind, TextLeaf};
use serde_json::Value;

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

/// Parses a chat completions request.
pub fn parse(v: &Value) -> Result<Exchange, ParseError> {
    let mut ex = Exchange {
        api: ApiKind::OpenAiChat,
        model: model_of(v)?,
        stream: stream_of(v)?,
        leaves: Vec::new(),
        tools: Vec::new(),
    };
    let messages = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Shape("`messages` must be an array".into()))?;
    for (i, m) in messages.iter().enumerate() {
        let base = index("/messages", i);
        let kind = role_kind(m.get("role").and_then(Value::as_str));
        if let Some(c) = m.get("content") {
            // Content parts carry `type` markers and image/audio payloads that are not text.
            collect_strings(
                c,
                &child(&base, "content"),
                kind,
                &["type", "image_url", "input_audio", "file_data"],
                &mut ex.leaves,
            );
        }
        for key in ["name", "refusal"] {
            if let Some(Value::String(s)) = m.get(key) {
                ex.leaves
                    .push(TextLeaf::new(child(&base, key), LeafKind::Other, s.clone()));
            }
        }
        if let Some(calls) = m.get("tool_calls").and_then(Value::as_array) {
            for (j, call) in calls.iter().enumerate() {
                tool_call(
                    call.get("function"),
                    &format!("{base}/tool_calls/{j}/function"),
                    &mut ex,
                );
            }
        }
        tool_call(
            m.get("function_call"),
            &child(&base, "function_call"),
            &mut ex,
        );
    }
    if let Some(tools) = v.get("tools").and_then(Value::as_array) {
        for (k, t) in tools.iter().enumerate() {
            if let Some(f) = t.get("function") {
                tool_definition(f, &format!("/tools/{k}/function"), &mut ex);
            }
        }
    }
    if let Some(funcs) = v.get("functions").and_then(Value::as_array) {
        for (k, f) in funcs.iter().enumerate() {
            tool_definition(f, &index("/functions", k), &mut ex);
        }
    }
    Ok(ex)
}

fn tool_call(f: Option<&Value>, base: &str, ex: &mut Exchange) {
    let Some(f) = f else { return };
    if let Some(name) = f.get("name").and_then(Value::as_str) {
        ex.tools.push(name.to_owned());
    }
    if let Some(Value::String(args)) = f.get("arguments") {
        ex.leaves.push(TextLeaf::new(
            child(base, "arguments"),
            LeafKind::ToolCallArguments,
            args.clone(),
        ));
    }
}

/// A function tool definition: name, description and every string in its JSON schema.
pub(crate) fn tool_definition(f: &Value, base: &str, ex: &mut Exchange) {
    if let Some(name) = f.get("name").and_then(Value::as_str) {
        ex.tools.push(name.to_owned());
    }
    for key in ["name", "description", "parameters", "input_schema"] {
        if let Some(val) = f.get(key) {
            collect_strings(
                val,
                &child(base, key),
                LeafKind::ToolDefinition,
                &["type"],
                &mut ex.leaves,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_chat_request_with_tools_yields_every_leaf() {
        // Shape from the OpenAI API reference (function calling round trip).
        let body = json!({
            "model": "gpt-4o-mini",
            "stream": true,
            "messages": [
                {"role": "developer", "content": "You are terse."},
                {"role": "user", "content": [
                    {"type": "text", "text": "Weather in Paris?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
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
        let ex = parse(&body).unwrap();
        assert!(ex.stream);
        assert_eq!(ex.model, "gpt-4o-mini");
        let got: Vec<(&str, LeafKind, &str)> = ex
            .leaves
            .iter()
            .map(|l| (l.path.as_str(), l.kind, l.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/messages/0/content", LeafKind::System, "You are terse."),
                (
                    "/messages/1/content/0/text",
                    LeafKind::User,
                    "Weather in Paris?"
                ),
                (
                    "/messages/2/tool_calls/0/function/arguments",
                    LeafKind::ToolCallArguments,
                    "{\"city\":\"Paris\"}"
                ),
                ("/messages/3/content", LeafKind::ToolResult, "18C and sunny"),
                (
                    "/tools/0/function/name",
                    LeafKind::ToolDefinition,
                    "get_weather"
                ),
                (
                    "/tools/0/function/description",
                    LeafKind::ToolDefinition,
                    "Current weather"
                ),
                (
                    "/tools/0/function/parameters/properties/city/description",
                    LeafKind::ToolDefinition,
                    "City name"
                ),
            ]
        );
        for l in &ex.leaves {
            assert_eq!(
                body.pointer(&l.path).and_then(Value::as_str),
                Some(l.text.as_str()),
                "{}",
                l.path
            );
        }
        assert_eq!(ex.tools, ["get_weather", "get_weather"]);
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
