//! Regression tests named after the request shapes of issue 13 that got a canary past the
//! adapters: each asserts that the planted text is handed to inspection (or that the request
//! carries the data class that policy refuses for external destinations).

use palisade_core::{ApiKind, DataClass};
use palisade_gateway::protocol::{parse_request, Request};
use serde_json::{json, Value};

const CANARY: &str = "pcan-roadmap-7f3a9c1e";

fn parse(api: ApiKind, v: &Value) -> Request {
    parse_request(api, v.to_string().as_bytes()).unwrap().1
}

/// The paths of the leaves whose text contains the canary.
fn seen(req: &Request) -> Vec<&str> {
    req.exchange
        .leaves
        .iter()
        .filter(|l| l.text.contains(CANARY))
        .map(|l| l.path.as_str())
        .collect()
}

fn classes(req: &Request) -> Vec<DataClass> {
    let mut c: Vec<DataClass> = req.signals.iter().map(|s| s.class).collect();
    c.sort();
    c.dedup();
    c
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn chat(extra: Value) -> Value {
    let mut v = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

fn responses(extra: Value) -> Value {
    let mut v = json!({"model": "gpt-4.1", "input": "hi"});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

fn anthropic(content: Value) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
           "messages": [{"role": "user", "content": content}]})
}

#[test]
fn anthropic_document_block_with_text_source() {
    let req = parse(
        ApiKind::AnthropicMessages,
        &anthropic(json!([{"type": "document", "title": "notes",
            "source": {"type": "text", "media_type": "text/plain", "data": format!("Q3 roadmap: {CANARY}")}}])),
    );
    assert_eq!(seen(&req), ["/messages/0/content/0/source/data"]);
    assert!(req.signals.is_empty());
}

#[test]
fn anthropic_document_block_with_base64_text_source_is_decoded() {
    let req = parse(
        ApiKind::AnthropicMessages,
        &anthropic(json!([{"type": "document",
            "source": {"type": "base64", "media_type": "text/plain", "data": b64(CANARY)}}])),
    );
    assert_eq!(seen(&req), ["/messages/0/content/0/source/data"]);
    assert!(req.derived.contains("/messages/0/content/0/source/data"));
    assert!(req.signals.is_empty());
}

#[test]
fn anthropic_pdf_document_and_image_are_opaque_attachments() {
    let req = parse(
        ApiKind::AnthropicMessages,
        &anthropic(json!([
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK/////w=="}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQSkZJRg=="}}
        ])),
    );
    assert_eq!(classes(&req), [DataClass::OpaqueAttachment]);
    assert_eq!(req.signals.len(), 2);
}

#[test]
fn anthropic_tool_result_document_is_inspected() {
    let req = parse(
        ApiKind::AnthropicMessages,
        &anthropic(
            json!([{"type": "tool_result", "tool_use_id": "toolu_1", "content": [
                {"type": "document", "source": {"type": "base64", "media_type": "application/json", "data": b64(&format!("{{\"plan\":\"{CANARY}\"}}"))}}
            ]}]),
        ),
    );
    assert_eq!(seen(&req), ["/messages/0/content/0/content/0/source/data"]);
}

#[test]
fn openai_file_data_is_decoded() {
    let url = format!("data:text/plain;base64,{}", b64(CANARY));
    let req = parse(
        ApiKind::OpenAiChat,
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "file", "file": {"filename": "notes.txt", "file_data": url}}]}]}),
    );
    assert_eq!(seen(&req), ["/messages/0/content/0/file/file_data"]);
    // Bare base64 (no data: prefix) too, and in the Responses API.
    let req = parse(
        ApiKind::OpenAiResponses,
        &responses(json!({"input": [{"role": "user", "content": [
            {"type": "input_file", "filename": "n.txt", "file_data": b64(CANARY)}]}]})),
    );
    assert_eq!(seen(&req), ["/input/0/content/0/file_data"]);
}

#[test]
fn openai_pdf_file_data_and_audio_are_opaque_attachments() {
    let req = parse(
        ApiKind::OpenAiChat,
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQK/////w=="}},
            {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}}]}]}),
    );
    assert_eq!(classes(&req), [DataClass::OpaqueAttachment]);
    assert_eq!(req.signals.len(), 2);
}

#[test]
fn undecodable_file_data_is_inspected_as_written_and_opaque() {
    let req = parse(
        ApiKind::OpenAiChat,
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "file", "file": {"file_data": format!("not base64: {CANARY}")}}]}]}),
    );
    assert_eq!(seen(&req), ["/messages/0/content/0/file/file_data"]);
    assert_eq!(classes(&req), [DataClass::OpaqueAttachment]);
}

#[test]
fn response_format_json_schema_description() {
    let req = parse(
        ApiKind::OpenAiChat,
        &chat(
            json!({"response_format": {"type": "json_schema", "json_schema": {
            "name": "out", "schema": {"type": "object", "description": CANARY, "properties": {}}}}}),
        ),
    );
    assert_eq!(
        seen(&req),
        ["/response_format/json_schema/schema/description"]
    );
}

#[test]
fn schema_property_named_type() {
    let req = parse(
        ApiKind::OpenAiChat,
        &chat(
            json!({"tools": [{"type": "function", "function": {"name": "f", "parameters": {
            "type": "object", "properties": {"type": {"type": "string", "enum": [CANARY]}}}}}]}),
        ),
    );
    assert_eq!(
        seen(&req),
        ["/tools/0/function/parameters/properties/type/enum/0"]
    );
    // A property name is user text: a canary as a property name is inspected too.
    let req = parse(
        ApiKind::AnthropicMessages,
        &json!({"model": "c", "messages": [{"role": "user", "content": "hi"}], "tools": [{"name": "f",
            "input_schema": {"type": "object", "properties": {CANARY: {"type": "string"}}}}]}),
    );
    assert_eq!(
        seen(&req),
        [format!("/tools/0/input_schema/properties/{CANARY}~key")]
    );
}

#[test]
fn tool_input_keys_data_and_status() {
    let req = parse(
        ApiKind::AnthropicMessages,
        &json!({"model": "c", "messages": [{"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "save", "input": {"data": CANARY, "status": CANARY, "type": CANARY, "id": CANARY}}]}]}),
    );
    let mut got = seen(&req);
    got.sort();
    assert_eq!(
        got,
        [
            "/messages/0/content/0/input/data",
            "/messages/0/content/0/input/id",
            "/messages/0/content/0/input/status",
            "/messages/0/content/0/input/type",
        ]
    );
}

#[test]
fn metadata_prediction_stop_and_user() {
    let req = parse(
        ApiKind::OpenAiChat,
        &chat(json!({
            "metadata": {"note": CANARY},
            "prediction": {"type": "content", "content": CANARY},
            "stop": [CANARY],
            "user": CANARY,
            "prompt_cache_key": CANARY
        })),
    );
    let mut got = seen(&req);
    got.sort();
    assert_eq!(
        got,
        [
            "/metadata/note",
            "/prediction/content",
            "/prompt_cache_key",
            "/stop/0",
            "/user"
        ]
    );
    // Metadata keys are text as well.
    let req = parse(
        ApiKind::OpenAiChat,
        &chat(json!({"metadata": {CANARY: "x"}})),
    );
    assert_eq!(seen(&req), [format!("/metadata/{CANARY}~key")]);
}

#[test]
fn responses_prompt_variables_and_text_format() {
    let req = parse(
        ApiKind::OpenAiResponses,
        &responses(json!({
            "prompt": {"id": "pmpt_1", "variables": {"customer": CANARY}},
            "text": {"format": {"type": "json_schema", "name": "o", "schema": {"description": CANARY}}}
        })),
    );
    let mut got = seen(&req);
    got.sort();
    assert_eq!(
        got,
        [
            "/prompt/variables/customer",
            "/text/format/schema/description"
        ]
    );
}

#[test]
fn non_string_instructions() {
    let req = parse(
        ApiKind::OpenAiResponses,
        &responses(
            json!({"instructions": [{"type": "message", "role": "developer",
            "content": [{"type": "input_text", "text": CANARY}]}]}),
        ),
    );
    assert_eq!(seen(&req), ["/instructions/0/content/0/text"]);
    let req = parse(
        ApiKind::OpenAiResponses,
        &responses(json!({"instructions": {"note": CANARY}})),
    );
    assert_eq!(seen(&req), ["/instructions/note"]);
}

#[test]
fn non_function_tools_are_provider_egress() {
    let req = parse(
        ApiKind::OpenAiResponses,
        &responses(json!({"tools": [
            {"type": "web_search"}, {"type": "file_search", "vector_store_ids": ["vs_1"]},
            {"type": "mcp", "server_label": "x", "server_url": "https://mcp.example.com"},
            {"type": "code_interpreter", "container": {"type": "auto"}},
            {"type": "function", "name": "f", "parameters": {}}]})),
    );
    assert_eq!(classes(&req), [DataClass::ProviderEgress]);
    assert_eq!(req.signals.len(), 4);
    let req = parse(
        ApiKind::AnthropicMessages,
        &json!({"model": "c", "messages": [{"role": "user", "content": "hi"}], "tools": [
            {"type": "web_fetch_20250910", "name": "web_fetch"},
            {"type": "web_search_20250305", "name": "web_search"},
            {"type": "code_execution_20250825", "name": "code_execution"},
            {"type": "computer_20250124", "name": "computer", "display_width_px": 1024, "display_height_px": 768},
            {"name": "client_tool", "input_schema": {"type": "object"}},
            {"type": "custom", "name": "custom_tool", "input_schema": {"type": "object"}}]}),
    );
    // Computer use runs at the caller (it takes the screenshots and clicks): three
    // server tools, not four.
    assert_eq!(req.signals.len(), 3);
    assert_eq!(classes(&req), [DataClass::ProviderEgress]);
    // Function and custom tools run at the caller: no egress.
    let req = parse(
        ApiKind::OpenAiChat,
        &chat(
            json!({"tools": [{"type": "function", "function": {"name": "f"}},
                               {"type": "custom", "custom": {"name": "g"}}]}),
        ),
    );
    assert!(req.signals.is_empty());
    let req = parse(
        ApiKind::OpenAiChat,
        &chat(json!({"web_search_options": {}})),
    );
    assert_eq!(classes(&req), [DataClass::ProviderEgress]);
}

#[test]
fn mcp_servers_are_provider_egress_and_inspected() {
    let req = parse(
        ApiKind::AnthropicMessages,
        &json!({"model": "c", "messages": [{"role": "user", "content": "hi"}], "mcp_servers": [
            {"type": "url", "url": format!("https://mcp.example.com/?q={CANARY}"), "name": "x", "authorization_token": CANARY}]}),
    );
    assert_eq!(classes(&req), [DataClass::ProviderEgress]);
    assert_eq!(seen(&req).len(), 2);
}

#[test]
fn token_id_embeddings_are_opaque() {
    let req = parse(
        ApiKind::OpenAiEmbeddings,
        &json!({"model": "text-embedding-3-small", "input": [[9906, 1917]]}),
    );
    assert_eq!(classes(&req), [DataClass::OpaqueAttachment]);
    let req = parse(
        ApiKind::OpenAiEmbeddings,
        &json!({"model": "text-embedding-3-small", "input": CANARY, "user": CANARY, "dimensions": 256}),
    );
    assert_eq!(seen(&req).len(), 2);
    assert!(req.signals.is_empty());
}

#[test]
fn remote_image_url_is_provider_egress() {
    let req = parse(
        ApiKind::OpenAiChat,
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": format!("https://img.example.com/a.png?{CANARY}"), "detail": "low"}}]}]}),
    );
    assert_eq!(classes(&req), [DataClass::ProviderEgress]);
    assert_eq!(seen(&req), ["/messages/0/content/0/image_url/url"]);
    // Inline images are attachments, not egress.
    let req = parse(
        ApiKind::OpenAiChat,
        &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}),
    );
    assert_eq!(classes(&req), [DataClass::OpaqueAttachment]);
    // Responses image and file URLs, Anthropic URL sources.
    let req = parse(
        ApiKind::OpenAiResponses,
        &responses(json!({"input": [{"role": "user", "content": [
            {"type": "input_image", "image_url": "https://img.example.com/a.png"},
            {"type": "input_file", "file_url": "https://files.example.com/a.pdf"}]}]})),
    );
    assert_eq!(req.signals.len(), 2);
    let req = parse(
        ApiKind::AnthropicMessages,
        &anthropic(
            json!([{"type": "document", "source": {"type": "url", "url": "https://files.example.com/a.pdf"}}]),
        ),
    );
    assert_eq!(classes(&req), [DataClass::ProviderEgress]);
}

#[test]
fn plain_requests_carry_no_signal() {
    // Benign traffic of each API: no new data class, so nothing new is refused.
    for (api, body) in [
        (
            ApiKind::OpenAiChat,
            chat(json!({"temperature": 0.2, "stream": true})),
        ),
        (
            ApiKind::OpenAiResponses,
            responses(json!({"instructions": "Be brief."})),
        ),
        (
            ApiKind::OpenAiEmbeddings,
            json!({"model": "e", "input": ["a", "b"]}),
        ),
        (ApiKind::AnthropicMessages, anthropic(json!("hello"))),
    ] {
        let req = parse(api, &body);
        assert!(req.signals.is_empty(), "{api:?}");
        assert!(!req.exchange.leaves.is_empty(), "{api:?}");
    }
}
