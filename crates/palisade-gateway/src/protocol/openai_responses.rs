//! OpenAI `POST /v1/responses` request -> `Request`: the envelope table of the Responses API,
//! the role each path's text plays (`instructions`, `input` as a string or a list of items,
//! function calls and their outputs, tool definitions), and the tool names.

use super::openai_chat::role_kind;
use super::walk::{self, idx_at, key_at, server_tools, Envelope, Seg};
use super::{model_of, stream_of, ParseError, Request};
use palisade_core::{ApiKind, LeafKind};
use serde_json::Value;

/// Protocol structure of a Responses request, by exact path. Everything else is inspected.
pub(crate) static ENVELOPE: Envelope = Envelope::new(
    &[
        "/model",
        "/input/*/type",
        "/input/*/role",
        "/input/*/status",
        "/input/*/content/*/type",
        "/input/*/content/*/detail",
        "/instructions/*/type",
        "/instructions/*/role",
        "/instructions/*/content/*/type",
        "/tools/*/type",
        "/tool_choice",
        "/tool_choice/type",
        "/text/format/type",
        "/text/verbosity",
        "/reasoning/effort",
        "/reasoning/summary",
        "/truncation",
        "/service_tier",
        "/include/*",
    ],
    &[("/input/*/content/*/file_data", None)],
    &[
        "/input/*/content/*/image_url",
        "/input/*/content/*/file_url",
    ],
    kind,
);

/// The role of the text at a path of a Responses request.
fn kind(root: &Value, segs: &[Seg<'_>]) -> LeafKind {
    match (key_at(segs, 0), idx_at(segs, 1)) {
        (Some("instructions"), _) => LeafKind::System,
        (Some("input"), None) => LeafKind::User,
        (Some("input"), Some(i)) => {
            let item = root.get("input").and_then(|a| a.get(i));
            let field = |k: &str| item.and_then(|it| it.get(k)).and_then(Value::as_str);
            match (field("type"), key_at(segs, 2)) {
                (Some("function_call" | "custom_tool_call"), Some("arguments" | "input")) => {
                    LeafKind::ToolCallArguments
                }
                (Some(t), Some("output")) if t.ends_with("_output") => LeafKind::ToolResult,
                _ => role_kind(field("role")),
            }
        }
        (Some("tools"), _) => LeafKind::ToolDefinition,
        _ => LeafKind::Other,
    }
}

/// Parses a responses request.
pub fn parse(v: &Value) -> Result<Request, ParseError> {
    let model = model_of(v)?;
    let stream = stream_of(v)?;
    let items = match v.get("input") {
        Some(Value::Array(items)) => items.as_slice(),
        None | Some(Value::String(_)) => &[],
        Some(_) => {
            return Err(ParseError::Shape(
                "`input` must be a string or an array".into(),
            ))
        }
    };
    let mut tools: Vec<String> = items
        .iter()
        .filter(|it| it.get("type").and_then(Value::as_str) == Some("function_call"))
        .filter_map(|it| it.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let defined = v
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    tools.extend(
        defined
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("function"))
            .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned)),
    );
    let mut walked = walk::walk(v, &ENVELOPE);
    server_tools(v, &mut walked.signals);
    Ok(Request::new(
        ApiKind::OpenAiResponses,
        model,
        stream,
        walked,
        tools,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{DataClass, TextLeaf};
    use serde_json::json;

    #[test]
    fn envelope_exempts_exactly_these_paths() {
        assert_eq!(
            ENVELOPE.exempt,
            [
                "/model",
                "/input/*/type",
                "/input/*/role",
                "/input/*/status",
                "/input/*/content/*/type",
                "/input/*/content/*/detail",
                "/instructions/*/type",
                "/instructions/*/role",
                "/instructions/*/content/*/type",
                "/tools/*/type",
                "/tool_choice",
                "/tool_choice/type",
                "/text/format/type",
                "/text/verbosity",
                "/reasoning/effort",
                "/reasoning/summary",
                "/truncation",
                "/service_tier",
                "/include/*",
            ]
        );
    }

    #[test]
    fn string_input_and_instructions() {
        let req = parse(&json!({"model": "gpt-4o-mini", "instructions": "Talk like a pirate.", "input": "Are semicolons optional?"})).unwrap();
        let mut got = req.exchange.leaves.clone();
        got.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(
            got,
            vec![
                TextLeaf::new("/input", LeafKind::User, "Are semicolons optional?"),
                TextLeaf::new("/instructions", LeafKind::System, "Talk like a pirate."),
            ]
        );
    }

    #[test]
    fn item_list_with_function_call_round_trip() {
        // Shape from the OpenAI function calling guide (Responses API).
        let body = json!({
            "model": "gpt-4.1", "stream": true,
            "input": [
                {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
                {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"location\":\"Paris\"}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "{\"temp\":18}"},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "It is 18C."}]}
            ],
            "tools": [{"type": "function", "name": "get_weather", "description": "Weather", "parameters": {"type": "object"}},
                      {"type": "web_search_preview"}]
        });
        let req = parse(&body).unwrap();
        let mut got: Vec<(&str, LeafKind)> = req
            .exchange
            .leaves
            .iter()
            .filter(|l| !req.derived.contains(&l.path))
            .map(|l| (l.path.as_str(), l.kind))
            .collect();
        got.sort_by(|a, b| a.0.cmp(b.0));
        let mut want = vec![
            ("/input/0/content/0/text", LeafKind::User),
            ("/input/1/call_id", LeafKind::Other),
            ("/input/1/name", LeafKind::Other),
            ("/input/1/arguments", LeafKind::ToolCallArguments),
            ("/input/2/call_id", LeafKind::Other),
            ("/input/2/output", LeafKind::ToolResult),
            ("/input/3/content/0/text", LeafKind::Assistant),
            ("/tools/0/name", LeafKind::ToolDefinition),
            ("/tools/0/description", LeafKind::ToolDefinition),
            ("/tools/0/parameters/type", LeafKind::ToolDefinition),
        ];
        want.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(got, want);
        assert!(req.exchange.stream);
        assert_eq!(req.exchange.tools, ["get_weather", "get_weather"]);
        // The hosted web search tool runs at the provider.
        assert_eq!(req.signals.len(), 1);
        assert_eq!(req.signals[0].class, DataClass::ProviderEgress);
        assert_eq!(req.signals[0].path, "/tools/1/type");
    }
}
