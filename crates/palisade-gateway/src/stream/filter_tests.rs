//! Unit tests of the SSE filter: hold-back, tails, ordering, and every-string inspection.

use super::*;
use palisade_core::{Exchange, Inspection, StreamRelease};

/// Holds back the last 3 bytes of every text and upper-cases what it releases, so the test
/// sees both the hold-back and the rewriting.
struct Upper;
struct UpperScanner(String);
impl StreamScanner for UpperScanner {
    fn push(&mut self, d: &str) -> StreamRelease {
        self.0.push_str(d);
        let mut cut = self.0.len().saturating_sub(3);
        while !self.0.is_char_boundary(cut) {
            cut -= 1;
        }
        let text: String = self.0.drain(..cut).collect();
        StreamRelease {
            text: text.to_uppercase(),
            ..Default::default()
        }
    }
    fn finish(&mut self) -> StreamRelease {
        StreamRelease {
            text: std::mem::take(&mut self.0).to_uppercase(),
            ..Default::default()
        }
    }
}
impl Inspector for Upper {
    fn inspect(&self, _: &Exchange) -> Inspection {
        Inspection::default()
    }
    fn stream_scanner(&self, _: &str) -> Box<dyn StreamScanner> {
        Box::new(UpperScanner(String::new()))
    }
}

fn run(api: ApiKind, insp: Arc<dyn Inspector>, input: &str, bytewise: bool) -> String {
    let mut f = SseFilter::new(api, Some(insp), KeyScrubber::default()).unwrap();
    let mut out = Vec::new();
    if bytewise {
        for b in input.as_bytes() {
            out.extend(f.push(std::slice::from_ref(b)));
        }
    } else {
        out.extend(f.push(input.as_bytes()));
    }
    out.extend(f.finish());
    String::from_utf8(out).unwrap()
}

#[test]
fn byte_by_byte_chat_stream_with_tool_call_keeps_order_and_tails() {
    let events = [
        r#"{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":"héllo"},"finish_reason":null}]}"#,
        r#"{"id":"x","choices":[{"index":0,"delta":{"content":" world"},"finish_reason":null}]}"#,
        r#"{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":null}]}"#,
        r#"{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":null}]}"#,
        r#"{"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ];
    let input: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    let out = run(ApiKind::OpenAiChat, Arc::new(Upper), &input, true);
    assert_eq!(
        out,
        run(ApiKind::OpenAiChat, Arc::new(Upper), &input, false)
    );
    let mut content = String::new();
    let mut args = String::new();
    let mut done_seen = false;
    for line in out.lines().filter_map(|l| l.strip_prefix("data: ")) {
        if line == "[DONE]" {
            done_seen = true;
            continue;
        }
        assert!(!done_seen, "nothing after [DONE]");
        let v: Value = serde_json::from_str(line).unwrap();
        if let Some(c) = v
            .pointer("/choices/0/delta/content")
            .and_then(Value::as_str)
        {
            content.push_str(c);
        }
        if let Some(a) = v
            .pointer("/choices/0/delta/tool_calls/0/function/arguments")
            .and_then(Value::as_str)
        {
            args.push_str(a);
        }
    }
    assert_eq!(content, "HÉLLO WORLD");
    assert_eq!(args, "{\"A\":1}");
    assert!(done_seen);
}

/// Blocks any value or text containing `CANARY`.
struct Canary;
struct CanaryScan(String, bool);
const CANARY: &str = "CANARY";
impl StreamScanner for CanaryScan {
    fn push(&mut self, d: &str) -> StreamRelease {
        self.0.push_str(d);
        if self.0.contains(CANARY) {
            self.1 = true;
            return StreamRelease {
                cut: true,
                ..Default::default()
            };
        }
        let mut cut = self.0.len().saturating_sub(CANARY.len() - 1);
        while !self.0.is_char_boundary(cut) {
            cut -= 1;
        }
        StreamRelease {
            text: self.0.drain(..cut).collect(),
            ..Default::default()
        }
    }
    fn finish(&mut self) -> StreamRelease {
        StreamRelease {
            text: std::mem::take(&mut self.0),
            ..Default::default()
        }
    }
}
impl Inspector for Canary {
    fn inspect(&self, ex: &Exchange) -> Inspection {
        Inspection {
            block: ex.leaves.iter().any(|l| l.text.contains(CANARY)),
            ..Default::default()
        }
    }
    fn stream_scanner(&self, _: &str) -> Box<dyn StreamScanner> {
        Box::new(CanaryScan(String::new(), false))
    }
}

fn canary_cut(api: ApiKind, input: &str) {
    let out = run(api, Arc::new(Canary), input, true);
    assert!(!out.contains(CANARY), "{out}");
    assert!(
        out.contains("content_blocked") || out.contains("permission_error"),
        "{out}"
    );
}

#[test]
fn refusal() {
    canary_cut(
        ApiKind::OpenAiChat,
        "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"CAN\"}}]}\n\ndata: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"ARY\"}}]}\n\ndata: [DONE]\n\n",
    );
}

#[test]
fn reasoning_content() {
    canary_cut(
        ApiKind::OpenAiChat,
        "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"a CANARY\"}}]}\n\ndata: [DONE]\n\n",
    );
}

#[test]
fn content_block_start() {
    canary_cut(
        ApiKind::AnthropicMessages,
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"web_search_tool_result\",\"tool_use_id\":\"srvtoolu_1\",\"content\":[{\"type\":\"web_search_result\",\"title\":\"t\",\"url\":\"https://x/CANARY\"}]}}\n\n",
    );
}

#[test]
fn cr_framed_sse() {
    canary_cut(
        ApiKind::OpenAiChat,
        "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"CANARY\"}}]}\r\rdata: [DONE]\r\r",
    );
}

#[test]
fn responses_done_text_without_deltas_is_inspected() {
    canary_cut(
        ApiKind::OpenAiResponses,
        "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"text\":\"CANARY\",\"logprobs\":[]}\n\n",
    );
}

#[test]
fn unknown_event_type_fails_closed() {
    canary_cut(
        ApiKind::AnthropicMessages,
        "event: brand_new\ndata: {\"type\":\"brand_new\",\"x\":\"harmless\"}\n\n",
    );
    canary_cut(ApiKind::OpenAiChat, "data: not json\n\n");
}

#[test]
fn logprobs() {
    let input = "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"logprobs\":{\"content\":[{\"token\":\"CANARY\",\"bytes\":[67],\"top_logprobs\":[]}]}}]}\n\ndata: [DONE]\n\n";
    let out = run(ApiKind::OpenAiChat, Arc::new(Upper), input, false);
    assert!(!out.contains(CANARY) && !out.contains("\"bytes\""), "{out}");
    assert!(out.contains("\"logprobs\":null"), "{out}");
}

#[test]
fn reflected_provider_key_split_across_deltas() {
    let key = "sk-live-KEY-0123456789";
    let input = format!(
        "data: {{\"id\":\"x\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{}\"}}}}]}}\n\ndata: {{\"id\":\"x\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{}\"}}}}]}}\n\ndata: [DONE]\n\n",
        &key[..7],
        &key[7..]
    );
    let mut f = SseFilter::new(
        ApiKind::OpenAiChat,
        None,
        KeyScrubber::new([key.to_owned()]),
    )
    .unwrap();
    let mut out = f.push(input.as_bytes());
    out.extend(f.finish());
    let out = String::from_utf8(out).unwrap();
    assert!(
        !out.contains(&key[7..]) && !out.contains(&key[..7]),
        "{out}"
    );
    assert!(out.contains(super::super::scrub::KEY_PLACEHOLDER));
}

#[test]
fn key_groups_do_not_match_longer_indices() {
    assert!(key_in("c1", "c1"));
    assert!(key_in("c1t0", "c1"));
    assert!(key_in("o2c0", "o2"));
    assert!(!key_in("c10", "c1"));
    assert!(!key_in("o12c0", "o1"));
}

proptest::proptest! {
    /// Differential: the filter's output for any chunking equals its output for the whole body.
    #[test]
    fn any_chunking_equals_the_whole_body(cuts in proptest::collection::vec(0usize..400, 0..12), cr in proptest::bool::ANY) {
        let sep = if cr { "\r" } else { "\r\n" };
        let body = [
            r#"{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":"héllo CAN"},"logprobs":{"content":[]}}]}"#,
            r#"{"id":"x","choices":[{"index":0,"delta":{"refusal":"no","content":"ARY there"}}]}"#,
            r#"{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}]}"#,
            "[DONE]",
        ]
        .iter()
        .map(|e| format!("data: {e}{sep}{sep}"))
        .collect::<String>();
        for insp in [Arc::new(Upper) as Arc<dyn Inspector>, Arc::new(Canary)] {
            let whole = run(ApiKind::OpenAiChat, insp.clone(), &body, false);
            let mut points: Vec<usize> = cuts.iter().map(|c| c % body.len()).collect();
            points.sort_unstable();
            let mut f = SseFilter::new(ApiKind::OpenAiChat, Some(insp), KeyScrubber::default()).unwrap();
            let mut out = Vec::new();
            let mut at = 0;
            for p in points {
                out.extend(f.push(&body.as_bytes()[at..p]));
                at = p;
            }
            out.extend(f.push(&body.as_bytes()[at..]));
            out.extend(f.finish());
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), whole);
        }
    }
}

/// Found by the `stream_filter` fuzz target: a framing error (here a non-UTF-8 line) in the
/// same chunk as complete events used to drop those events, so the output depended on where
/// the upstream's chunks fell. Now the events before the bad bytes are relayed, inspected,
/// then the stream is cut, however the bytes are chunked.
#[test]
fn framing_error_after_complete_events_cuts_the_same_for_any_chunking() {
    let mut body = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m\",\"stop_reason\":null,\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n".to_vec();
    body.extend_from_slice(b"event: ping\ndata: {\"type\":\"ping\"}\n\ndata: \xa2\n\n");
    let run = |parts: &[&[u8]]| {
        let mut f =
            SseFilter::new(ApiKind::AnthropicMessages, None, KeyScrubber::default()).unwrap();
        let mut out = Vec::new();
        for p in parts {
            out.extend(f.push(p));
        }
        out.extend(f.finish());
        (String::from_utf8(out).unwrap(), f.cut_reason)
    };
    let (whole, cut) = run(&[&body]);
    assert_eq!(cut, Some("the event stream could not be parsed"));
    assert!(whole.starts_with("event: message_start\n"), "{whole}");
    assert!(whole.contains("event: error"), "{whole}");
    let (halves, _) = run(&[&body[..40], &body[40..]]);
    assert_eq!(halves, whole);
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(run(&bytes).0, whole);
}
