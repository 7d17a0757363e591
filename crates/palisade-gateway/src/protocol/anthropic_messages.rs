//! Anthropic `POST /v1/messages` request -> `Exchange`: the system prompt (string or text
//! blocks), messages with content blocks (text, tool_use input, tool_result content, thinking,
//! documents), and tool definitions.

use super::openai_chat::{role_kind, tool_definition};
use super::pointer::{child, collect_strings, index};
use super::{model_of, stream_of, ParseError};
use palisade_core::{ApiKind, Exchange, LeafKind};
use serde_json::Value;

/// Structural or binary fields inside content blocks that are not text to inspect.
const SKIP: &[&str] = &[
    "type",
    "id",
    "tool_use_id",
    "signature",
    "media_type",
    "data",
    "cache_control",
];

/// Parses a messages request.
pub fn parse(v: &Value) -> Result<Exchange, ParseError> {
    let mut ex = Exchange {
        api: ApiKind::AnthropicMessages,
        model: model_of(v)?,
        stream: stream_of(v)?,
        leaves: Vec::new(),
        tools: Vec::new(),
    };
    if let Some(system) = v.get("system") {
        collect_strings(system, "/system", LeafKind::System, SKIP, &mut ex.leaves);
    }
    let messages = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Shape("`messages` must be an array".into()))?;
    for (i, m) in messages.iter().enumerate() {
        let base = child(&index("/messages", i), "content");
        let kind = role_kind(m.get("role").and_then(Value::as_str));
        match m.get("content") {
            Some(Value::Array(blocks)) => {
                for (j, b) in blocks.iter().enumerate() {
                    let path = index(&base, j);
                    let block_kind = match b.get("type").and_then(Value::as_str) {
                        Some("tool_use") | Some("server_tool_use") => {
                            if let Some(name) = b.get("name").and_then(Value::as_str) {
                                ex.tools.push(name.to_owned());
                            }
                            LeafKind::ToolCallArguments
                        }
                        Some("tool_result") | Some("web_search_tool_result") => {
                            LeafKind::ToolResult
                        }
                        _ => kind,
                    };
                    collect_strings(b, &path, block_kind, SKIP, &mut ex.leaves);
                }
            }
            Some(other) => collect_strings(other, &base, kind, SKIP, &mut ex.leaves),
            None => return Err(ParseError::Shape(format!("messages[{i}] has no `content`"))),
        }
    }
    if let Some(tools) = v.get("tools").and_then(Value::as_array) {
        for (k, t) in tools.iter().enumerate() {
            tool_definition(t, &index("/tools", k), &mut ex);
        }
    }
    Ok(ex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_messages_request_with_tool_round_trip() {
        // Shape from Anthropic's tool use documentation.
        let body = json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": [{"type": "text", "text": "Be careful.", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": "What's the weather in SF?"},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "San Francisco, CA"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_01", "content": [{"type": "text", "text": "15 degrees"}]},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0"}}
                ]}
            ],
            "tools": [{"name": "get_weather", "description": "Get the weather",
                       "input_schema": {"type": "object", "properties": {"location": {"type": "string", "description": "City and state"}}}}]
        });
        let ex = parse(&body).unwrap();
        assert!(!ex.stream);
        // Sorted by path: key order inside a JSON object depends on serde_json's
        // `preserve_order` feature, which another crate of the workspace may switch on.
        let mut got: Vec<(&str, LeafKind, &str)> = ex
            .leaves
            .iter()
            .map(|l| (l.path.as_str(), l.kind, l.text.as_str()))
            .collect();
        got.sort_by(|a, b| a.0.cmp(b.0));
        let mut want = vec![
            ("/system/0/text", LeafKind::System, "Be careful."),
            (
                "/messages/0/content",
                LeafKind::User,
                "What's the weather in SF?",
            ),
            (
                "/messages/1/content/0/text",
                LeafKind::Assistant,
                "Checking.",
            ),
            (
                "/messages/1/content/1/input/location",
                LeafKind::ToolCallArguments,
                "San Francisco, CA",
            ),
            (
                "/messages/1/content/1/name",
                LeafKind::ToolCallArguments,
                "get_weather",
            ),
            (
                "/messages/2/content/0/content/0/text",
                LeafKind::ToolResult,
                "15 degrees",
            ),
            ("/tools/0/name", LeafKind::ToolDefinition, "get_weather"),
            (
                "/tools/0/description",
                LeafKind::ToolDefinition,
                "Get the weather",
            ),
            (
                "/tools/0/input_schema/properties/location/description",
                LeafKind::ToolDefinition,
                "City and state",
            ),
        ];
        want.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(got, want);
        for l in &ex.leaves {
            assert_eq!(
                body.pointer(&l.path).and_then(Value::as_str),
                Some(l.text.as_str())
            );
        }
        assert_eq!(ex.tools, ["get_weather", "get_weather"]);
    }

    #[test]
    fn message_without_content_is_refused() {
        let err = parse(&json!({"model": "c", "messages": [{"role": "user"}]})).unwrap_err();
        assert!(err.to_string().contains("messages[0]"));
    }
}
