//! Anthropic `POST /v1/messages` request -> `Request`: the envelope table of the Messages API,
//! the role each path's text plays (system prompt, content blocks, tool_use inputs, tool
//! results, documents), the tool names, and the provider-side egress (server tools,
//! `mcp_servers`). Document and image sources are decoded by the walker wherever they sit.

use super::openai_chat::role_kind;
use super::walk::{self, idx_at, key_at, server_tools, Envelope, Seg, Signal};
use super::{model_of, stream_of, ParseError, Request};
use palisade_core::{ApiKind, LeafKind};
use serde_json::Value;

/// Protocol structure of a Messages request, by exact path. Everything else is inspected.
pub(crate) static ENVELOPE: Envelope = Envelope::new(
    &[
        "/model",
        "/system/*/type",
        "/system/*/cache_control/type",
        "/system/*/cache_control/ttl",
        "/messages/*/role",
        "/messages/*/content/*/type",
        "/messages/*/content/*/cache_control/type",
        "/messages/*/content/*/cache_control/ttl",
        "/messages/*/content/*/source/type",
        "/messages/*/content/*/source/media_type",
        "/messages/*/content/*/source/content/*/type",
        "/messages/*/content/*/content/*/type",
        "/messages/*/content/*/content/*/source/type",
        "/messages/*/content/*/content/*/source/media_type",
        "/tools/*/type",
        "/tools/*/cache_control/type",
        "/tool_choice/type",
        "/thinking/type",
        "/service_tier",
    ],
    &[],
    &[],
    kind,
);

/// The role of the text at a path of a Messages request.
fn kind(root: &Value, segs: &[Seg<'_>]) -> LeafKind {
    match (key_at(segs, 0), idx_at(segs, 1), key_at(segs, 2)) {
        (Some("system"), _, _) => LeafKind::System,
        (Some("messages"), Some(i), Some("content")) => {
            let message = root.get("messages").and_then(|m| m.get(i));
            let role = message.and_then(|m| m.get("role")).and_then(Value::as_str);
            let block = idx_at(segs, 3).and_then(|j| {
                message
                    .and_then(|m| m.get("content"))
                    .and_then(|c| c.get(j))
                    .and_then(|b| b.get("type"))
                    .and_then(Value::as_str)
            });
            match block {
                Some(t) if t.ends_with("tool_use") => LeafKind::ToolCallArguments,
                Some(t) if t.ends_with("tool_result") => LeafKind::ToolResult,
                _ => role_kind(role),
            }
        }
        (Some("tools"), _, _) => LeafKind::ToolDefinition,
        _ => LeafKind::Other,
    }
}

/// Parses a messages request.
pub fn parse(v: &Value) -> Result<Request, ParseError> {
    let model = model_of(v)?;
    let stream = stream_of(v)?;
    let messages = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Shape("`messages` must be an array".into()))?;
    let mut tools = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        match m.get("content") {
            Some(Value::Array(blocks)) => tools.extend(
                blocks
                    .iter()
                    .filter(|b| {
                        b.get("type")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.ends_with("tool_use"))
                    })
                    .filter_map(name_of),
            ),
            Some(_) => {}
            None => return Err(ParseError::Shape(format!("messages[{i}] has no `content`"))),
        }
    }
    let defined = v
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    tools.extend(defined.filter_map(name_of));

    let mut walked = walk::walk(v, &ENVELOPE);
    server_tools(v, &mut walked.signals);
    // The MCP connector: the provider calls these servers itself.
    if let Some(servers) = v.get("mcp_servers").and_then(Value::as_array) {
        for i in 0..servers.len() {
            walked
                .signals
                .push(Signal::egress(&format!("/mcp_servers/{i}"), "mcp_servers"));
        }
    }
    Ok(Request::new(
        ApiKind::AnthropicMessages,
        model,
        stream,
        walked,
        tools,
    ))
}

fn name_of(b: &Value) -> Option<String> {
    b.get("name").and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::DataClass;
    use serde_json::json;

    #[test]
    fn envelope_exempts_exactly_these_paths() {
        assert_eq!(
            ENVELOPE.exempt,
            [
                "/model",
                "/system/*/type",
                "/system/*/cache_control/type",
                "/system/*/cache_control/ttl",
                "/messages/*/role",
                "/messages/*/content/*/type",
                "/messages/*/content/*/cache_control/type",
                "/messages/*/content/*/cache_control/ttl",
                "/messages/*/content/*/source/type",
                "/messages/*/content/*/source/media_type",
                "/messages/*/content/*/source/content/*/type",
                "/messages/*/content/*/content/*/type",
                "/messages/*/content/*/content/*/source/type",
                "/messages/*/content/*/content/*/source/media_type",
                "/tools/*/type",
                "/tools/*/cache_control/type",
                "/tool_choice/type",
                "/thinking/type",
                "/service_tier",
            ]
        );
        assert!(ENVELOPE.payloads.is_empty() && ENVELOPE.remote.is_empty());
    }

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
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
                ]}
            ],
            "tools": [{"name": "get_weather", "description": "Get the weather",
                       "input_schema": {"type": "object", "properties": {"location": {"type": "string", "description": "City and state"}}}}]
        });
        let req = parse(&body).unwrap();
        let ex = &req.exchange;
        assert!(!ex.stream);
        let mut got: Vec<(&str, LeafKind, &str)> = ex
            .leaves
            .iter()
            .filter(|l| !req.derived.contains(&l.path))
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
                "/messages/1/content/1/id",
                LeafKind::ToolCallArguments,
                "toolu_01",
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
                "/messages/2/content/0/tool_use_id",
                LeafKind::ToolResult,
                "toolu_01",
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
                "/tools/0/input_schema/type",
                LeafKind::ToolDefinition,
                "object",
            ),
            (
                "/tools/0/input_schema/properties/location/type",
                LeafKind::ToolDefinition,
                "string",
            ),
            (
                "/tools/0/input_schema/properties/location/description",
                LeafKind::ToolDefinition,
                "City and state",
            ),
        ];
        want.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(got, want);
        for l in ex.leaves.iter().filter(|l| !req.derived.contains(&l.path)) {
            assert_eq!(
                body.pointer(&l.path).and_then(Value::as_str),
                Some(l.text.as_str())
            );
        }
        assert_eq!(ex.tools, ["get_weather", "get_weather"]);
        // The PNG cannot be read as text.
        assert_eq!(req.signals.len(), 1);
        assert_eq!(req.signals[0].class, DataClass::OpaqueAttachment);
        assert_eq!(req.signals[0].path, "/messages/2/content/1/source/data");
    }

    #[test]
    fn message_without_content_is_refused() {
        let err = parse(&json!({"model": "c", "messages": [{"role": "user"}]})).unwrap_err();
        assert!(err.to_string().contains("messages[0]"));
    }
}
