//! OpenAI `POST /v1/responses` request -> `Exchange`: `instructions`, `input` as a string or a
//! list of items (messages with input_text/output_text parts, function calls and their
//! arguments, function call outputs), and function tool definitions.

use super::openai_chat::{role_kind, tool_definition};
use super::pointer::{child, collect_strings, index};
use super::{model_of, stream_of, ParseError};
use palisade_core::{ApiKind, Exchange, LeafKind, TextLeaf};
use serde_json::Value;

const SKIP: &[&str] = &[
    "type",
    "id",
    "call_id",
    "status",
    "role",
    "image_url",
    "file_data",
    "file_id",
];

/// Parses a responses request.
pub fn parse(v: &Value) -> Result<Exchange, ParseError> {
    let mut ex = Exchange {
        api: ApiKind::OpenAiResponses,
        model: model_of(v)?,
        stream: stream_of(v)?,
        leaves: Vec::new(),
        tools: Vec::new(),
    };
    if let Some(Value::String(s)) = v.get("instructions") {
        ex.leaves
            .push(TextLeaf::new("/instructions", LeafKind::System, s.clone()));
    }
    match v.get("input") {
        Some(Value::String(s)) => {
            ex.leaves
                .push(TextLeaf::new("/input", LeafKind::User, s.clone()))
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                input_item(item, &index("/input", i), &mut ex);
            }
        }
        Some(_) => {
            return Err(ParseError::Shape(
                "`input` must be a string or an array".into(),
            ))
        }
        None => {}
    }
    if let Some(tools) = v.get("tools").and_then(Value::as_array) {
        for (k, t) in tools.iter().enumerate() {
            if t.get("type").and_then(Value::as_str) == Some("function") {
                tool_definition(t, &index("/tools", k), &mut ex);
            }
        }
    }
    Ok(ex)
}

fn input_item(item: &Value, base: &str, ex: &mut Exchange) {
    match item.get("type").and_then(Value::as_str) {
        Some("function_call") => {
            if let Some(name) = item.get("name").and_then(Value::as_str) {
                ex.tools.push(name.to_owned());
            }
            if let Some(Value::String(a)) = item.get("arguments") {
                ex.leaves.push(TextLeaf::new(
                    child(base, "arguments"),
                    LeafKind::ToolCallArguments,
                    a.clone(),
                ));
            }
        }
        Some("function_call_output") => {
            if let Some(out) = item.get("output") {
                collect_strings(
                    out,
                    &child(base, "output"),
                    LeafKind::ToolResult,
                    SKIP,
                    &mut ex.leaves,
                );
            }
        }
        // Messages (with or without `type: "message"`) and any other item: every string but
        // structural fields, under the role's kind.
        _ => {
            let kind = role_kind(item.get("role").and_then(Value::as_str));
            collect_strings(item, base, kind, SKIP, &mut ex.leaves);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_input_and_instructions() {
        let ex = parse(&json!({"model": "gpt-4o-mini", "instructions": "Talk like a pirate.", "input": "Are semicolons optional?"})).unwrap();
        assert_eq!(
            ex.leaves,
            vec![
                TextLeaf::new("/instructions", LeafKind::System, "Talk like a pirate."),
                TextLeaf::new("/input", LeafKind::User, "Are semicolons optional?"),
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
        let ex = parse(&body).unwrap();
        let got: Vec<(&str, LeafKind)> = ex
            .leaves
            .iter()
            .map(|l| (l.path.as_str(), l.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/input/0/content/0/text", LeafKind::User),
                ("/input/1/arguments", LeafKind::ToolCallArguments),
                ("/input/2/output", LeafKind::ToolResult),
                ("/input/3/content/0/text", LeafKind::Assistant),
                ("/tools/0/name", LeafKind::ToolDefinition),
                ("/tools/0/description", LeafKind::ToolDefinition),
            ]
        );
        for l in &ex.leaves {
            assert_eq!(
                body.pointer(&l.path).and_then(Value::as_str),
                Some(l.text.as_str())
            );
        }
        assert!(ex.stream);
    }
}
