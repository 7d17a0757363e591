//! Realistic request bodies of the four APIs, written from the providers' API reference
//! request shapes (OpenAI "Create chat completion", "Create a model response", "Create
//! embeddings"; Anthropic "Messages", tool use, PDF/document and citations guides). Every
//! field kind the references show appears at least once; values are invented. Provider-side
//! features (server tools, remote URLs) are left out so that a canary found at a position is
//! found by inspection, not excused by a signal.
#![allow(dead_code)]

use palisade_core::ApiKind;
use serde_json::{json, Value};

/// `data:text/plain;base64,` of "Meeting notes: ship in May."
pub const TEXT_DATA_URL: &str = "data:text/plain;base64,TWVldGluZyBub3Rlczogc2hpcCBpbiBNYXku";
/// A 1x1 PNG's first bytes.
pub const PNG_DATA_URL: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ";

pub fn chat() -> Value {
    json!({
        "model": "gpt-4o-mini",
        "stream": true,
        "stream_options": {"include_usage": true},
        "temperature": 0.2,
        "max_completion_tokens": 512,
        "n": 1,
        "seed": 7,
        "logit_bias": {"50256": -100},
        "logprobs": true,
        "top_logprobs": 2,
        "user": "user-1234",
        "safety_identifier": "sid-1",
        "prompt_cache_key": "pc-1",
        "store": false,
        "service_tier": "auto",
        "reasoning_effort": "low",
        "verbosity": "medium",
        "modalities": ["text"],
        "stop": ["\n\n", "END"],
        "metadata": {"team": "research", "ticket": "R-42"},
        "prediction": {"type": "content", "content": "def hello():\n    return 1"},
        "messages": [
            {"role": "developer", "content": "You are a careful assistant."},
            {"role": "system", "name": "policy", "content": [{"type": "text", "text": "Answer in English."}]},
            {"role": "user", "name": "alice", "content": [
                {"type": "text", "text": "What is in this image and file?"},
                {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "low"}},
                {"type": "file", "file": {"filename": "notes.txt", "file_data": TEXT_DATA_URL}},
                {"type": "file", "file": {"file_id": "file-abc123"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZFZm10IBAAAAABAAEA", "format": "wav"}}
            ]},
            {"role": "assistant", "content": "Let me look.", "refusal": null,
             "audio": {"id": "audio_abc"},
             "tool_calls": [{"id": "call_abc", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"notes\"}"}},
                            {"id": "call_def", "type": "custom", "custom": {"name": "grep", "input": "TODO"}}]},
            {"role": "tool", "tool_call_id": "call_abc", "content": [{"type": "text", "text": "found 3 notes"}]},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "I cannot share that."}]},
            {"role": "function", "name": "legacy", "content": "legacy result"},
            {"role": "assistant", "content": null, "function_call": {"name": "legacy", "arguments": "{}"}}
        ],
        "tools": [
            {"type": "function", "function": {"name": "lookup", "description": "Search notes", "strict": true,
                "parameters": {"type": "object", "properties": {
                    "q": {"type": "string", "description": "query"},
                    "mode": {"type": "string", "enum": ["fast", "deep"]},
                    "filters": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}}}}},
                    "required": ["q"], "additionalProperties": false}}},
            {"type": "custom", "custom": {"name": "grep", "description": "grep tool", "format": {"type": "grammar", "grammar": {"syntax": "lark", "definition": "start: WORD"}}}}
        ],
        "tool_choice": {"type": "function", "function": {"name": "lookup"}},
        "parallel_tool_calls": true,
        "functions": [{"name": "legacy", "description": "old style", "parameters": {"type": "object"}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "description": "the answer", "strict": true,
            "schema": {"type": "object", "properties": {"text": {"type": "string", "description": "answer text"}}}}},
        "audio": {"voice": "alloy", "format": "wav"}
    })
}

pub fn responses() -> Value {
    json!({
        "model": "gpt-4.1",
        "stream": false,
        "instructions": "Be concise.",
        "previous_response_id": "resp_123",
        "max_output_tokens": 1024,
        "temperature": 1.0,
        "store": true,
        "truncation": "auto",
        "service_tier": "default",
        "user": "user-1234",
        "metadata": {"project": "apollo"},
        "include": ["reasoning.encrypted_content"],
        "reasoning": {"effort": "medium", "summary": "auto"},
        "prompt": {"id": "pmpt_abc", "version": "2", "variables": {"customer_name": "Jane", "file": {"type": "input_text", "text": "variable text"}}},
        "text": {"verbosity": "low", "format": {"type": "json_schema", "name": "out", "description": "output", "strict": true,
            "schema": {"type": "object", "properties": {"summary": {"type": "string", "description": "a summary"}}}}},
        "input": [
            {"role": "developer", "content": "Use the tools."},
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "Summarize the attached file."},
                {"type": "input_image", "image_url": PNG_DATA_URL, "detail": "auto"},
                {"type": "input_image", "file_id": "file-img1"},
                {"type": "input_file", "filename": "notes.txt", "file_data": TEXT_DATA_URL}
            ]},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Thinking about it."}], "encrypted_content": "gAAAAABo"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "lookup", "arguments": "{\"q\":\"x\"}", "status": "completed"},
            {"type": "function_call_output", "call_id": "call_1", "output": "3 results"},
            {"type": "custom_tool_call", "call_id": "call_2", "name": "grep", "input": "TODO"},
            {"type": "custom_tool_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "2 hits"}]},
            {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [
                {"type": "output_text", "text": "Here it is.", "annotations": [{"type": "url_citation", "url": "https://example.com", "title": "Example", "start_index": 0, "end_index": 4}]},
                {"type": "refusal", "refusal": "Not that part."}
            ]},
            {"type": "item_reference", "id": "msg_0"}
        ],
        "tools": [
            {"type": "function", "name": "lookup", "description": "Search", "strict": true,
             "parameters": {"type": "object", "properties": {"q": {"type": "string", "description": "query"}}, "required": ["q"]}},
            {"type": "custom", "name": "grep", "description": "grep"}
        ],
        "tool_choice": {"type": "function", "name": "lookup"},
        "parallel_tool_calls": false
    })
}

pub fn embeddings() -> Value {
    json!({
        "model": "text-embedding-3-small",
        "input": ["The food was delicious and the waiter was kind.", "second text"],
        "encoding_format": "float",
        "dimensions": 256,
        "user": "user-1234"
    })
}

pub fn anthropic() -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "stream": true,
        "temperature": 0.5,
        "top_k": 5,
        "stop_sequences": ["\n\nHuman:"],
        "metadata": {"user_id": "u-42"},
        "service_tier": "auto",
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "system": [{"type": "text", "text": "You are a helpful analyst.", "cache_control": {"type": "ephemeral", "ttl": "5m"}}],
        "messages": [
            {"role": "user", "content": "Plain string content."},
            {"role": "user", "content": [
                {"type": "text", "text": "Read these.", "cache_control": {"type": "ephemeral"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"}},
                {"type": "document", "title": "Notes", "context": "internal notes", "citations": {"enabled": true},
                 "source": {"type": "text", "media_type": "text/plain", "data": "The grass is green."}},
                {"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": "VGhlIHNreSBpcyBibHVlLg=="}},
                {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "Chunk one."}]}},
                {"type": "document", "source": {"type": "file", "file_id": "file_011"}}
            ]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Let me check the notes.", "signature": "EqQBCgIYAhIM"},
                {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
                {"type": "text", "text": "Checking.", "citations": [{"type": "char_location", "cited_text": "The grass", "document_index": 0, "document_title": "Notes", "start_char_index": 0, "end_char_index": 9}]},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "Paris", "unit": "celsius", "days": [1, 2]}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01", "is_error": false, "content": [
                    {"type": "text", "text": "18 degrees"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQSkZJRgABAQ=="}},
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "tool document"}}
                ]},
                {"type": "tool_result", "tool_use_id": "toolu_02", "content": "plain tool result"}
            ]}
        ],
        "tools": [
            {"name": "get_weather", "description": "Get the weather", "cache_control": {"type": "ephemeral"},
             "input_schema": {"type": "object", "properties": {"location": {"type": "string", "description": "City"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}},
            {"type": "custom", "name": "notes", "description": "notes tool", "input_schema": {"type": "object"}}
        ],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": false}
    })
}

/// The four shapes with their API.
pub fn all() -> Vec<(ApiKind, Value)> {
    vec![
        (ApiKind::OpenAiChat, chat()),
        (ApiKind::OpenAiResponses, responses()),
        (ApiKind::OpenAiEmbeddings, embeddings()),
        (ApiKind::AnthropicMessages, anthropic()),
    ]
}

/// JSON Pointers of every string leaf under `v`.
pub fn string_paths(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(v, String::new(), &mut |p, v| {
        if v.is_string() {
            out.push(p.to_owned())
        }
    });
    out
}

/// JSON Pointers of every object (and array) under `v`, the root included.
pub fn container_paths(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(v, String::new(), &mut |p, v| {
        if v.is_object() || v.is_array() {
            out.push(p.to_owned())
        }
    });
    out
}

fn walk(v: &Value, p: String, f: &mut dyn FnMut(&str, &Value)) {
    f(&p, v);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                walk(
                    x,
                    format!("{p}/{}", k.replace('~', "~0").replace('/', "~1")),
                    f,
                )
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, format!("{p}/{i}"), f)
            }
        }
        _ => {}
    }
}
