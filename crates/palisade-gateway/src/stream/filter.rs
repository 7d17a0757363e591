//! The SSE filter of stage 9: frames upstream bytes into events, pushes each text delta through
//! one `StreamScanner` per streamed text, writes the released (possibly redacted, possibly
//! shorter) text back into the event, releases held-back tails before the event that ends a
//! text, and on `cut` ends the stream with the API's error event.

use super::events::{cut_event, deltas, ends, rewrite_full_texts, Ends, Flavor};
use super::sse::{render, SseEvent, SseFramer};
use palisade_core::{ApiKind, Finding, Inspector, StreamScanner};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

struct Text {
    scanner: Box<dyn StreamScanner>,
    /// Everything released so far (for the Responses API's full-text repeats).
    released: String,
    /// The last event that carried a delta of this text, used to shape the tail event.
    template: (Option<String>, Value, String),
    finished: bool,
}

/// Filters one streamed response.
pub(crate) struct SseFilter {
    flavor: Flavor,
    inspector: Arc<dyn Inspector>,
    framer: SseFramer,
    texts: BTreeMap<String, Text>,
    /// Findings released so far (metadata only).
    pub findings: Vec<Finding>,
    cut: bool,
}

impl SseFilter {
    /// A filter for a response of `api`; `None` for APIs that do not stream.
    pub(crate) fn new(api: ApiKind, inspector: Arc<dyn Inspector>) -> Option<Self> {
        let flavor = match api {
            ApiKind::OpenAiChat => Flavor::Chat,
            ApiKind::OpenAiResponses => Flavor::Responses,
            ApiKind::AnthropicMessages => Flavor::Anthropic,
            _ => return None,
        };
        Some(Self {
            flavor,
            inspector,
            framer: SseFramer::default(),
            texts: BTreeMap::new(),
            findings: Vec::new(),
            cut: false,
        })
    }

    /// Whether the stream was cut (nothing more may be sent).
    pub(crate) fn is_cut(&self) -> bool {
        self.cut
    }

    /// Processes upstream bytes; returns the bytes to send now.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for ev in self.framer.push(bytes) {
            if self.cut {
                break;
            }
            self.event(ev, &mut out);
        }
        out
    }

    /// End of the upstream body: flushes any partial event and every held-back tail.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(ev) = self.framer.finish() {
            self.event(ev, &mut out);
        }
        if !self.cut {
            self.finish_texts(&Ends::All, &mut out);
        }
        out
    }

    fn event(&mut self, ev: SseEvent, out: &mut Vec<u8>) {
        let parsed: Option<Value> = serde_json::from_str(&ev.data).ok();
        let Some(mut v) = parsed else {
            // Not JSON (`[DONE]`, comments, pings): release tails it ends, then pass it on.
            self.finish_texts(&ends(self.flavor, &ev.data, None), out);
            if !self.cut {
                out.extend_from_slice(&ev.raw);
            }
            return;
        };
        let ds = deltas(self.flavor, &v);
        for d in &ds {
            let Some(Value::String(delta)) = v.pointer(&d.pointer).cloned() else {
                continue;
            };
            let text = self.texts.entry(d.key.clone()).or_insert_with(|| Text {
                scanner: self.inspector.stream_scanner(&d.pointer),
                released: String::new(),
                template: (None, Value::Null, String::new()),
                finished: false,
            });
            text.template = (ev.event.clone(), v.clone(), d.pointer.clone());
            let rel = text.scanner.push(&delta);
            self.findings.extend(rel.findings);
            if rel.cut {
                return self.cut_now(out);
            }
            text.released.push_str(&rel.text);
            if let Some(slot) = v.pointer_mut(&d.pointer) {
                *slot = Value::String(rel.text);
            }
        }
        let end = ends(self.flavor, &ev.data, Some(&v));
        // Tails of texts that end here: appended to this event's own delta when it has one (to
        // keep order), otherwise emitted as a separate delta event just before it.
        if let Ends::Prefixes(p) = &end {
            for d in &ds {
                if p.iter().any(|pre| key_in(&d.key, pre)) {
                    if let Some(tail) = self.finish_one(&d.key) {
                        if let Some(Value::String(s)) = v.pointer_mut(&d.pointer) {
                            s.push_str(&tail);
                        }
                    }
                    if self.cut {
                        return self.cut_now(out);
                    }
                }
            }
        }
        self.finish_texts(&end, out);
        if self.cut {
            return;
        }
        let texts = &self.texts;
        rewrite_full_texts(self.flavor, &mut v, &|k| {
            texts.get(k).map(|t| t.released.clone())
        });
        if ds.is_empty() && !matches!(self.flavor, Flavor::Responses) {
            // Untouched event: forward byte for byte.
            out.extend_from_slice(&ev.raw);
        } else {
            out.extend_from_slice(&render(ev.event.as_deref(), &v.to_string()));
        }
    }

    /// Finishes one text; returns its tail (released text). Sets `cut` if the tail was blocked.
    fn finish_one(&mut self, key: &str) -> Option<String> {
        let text = self.texts.get_mut(key)?;
        if text.finished {
            return None;
        }
        text.finished = true;
        let rel = text.scanner.finish();
        self.findings.extend(rel.findings);
        if rel.cut {
            self.cut = true;
            return None;
        }
        text.released.push_str(&rel.text);
        Some(rel.text)
    }

    fn finish_texts(&mut self, end: &Ends, out: &mut Vec<u8>) {
        let keys: Vec<String> = match end {
            Ends::Nothing => return,
            Ends::All => self.texts.keys().cloned().collect(),
            Ends::Prefixes(p) => self
                .texts
                .keys()
                .filter(|k| p.iter().any(|pre| key_in(k, pre)))
                .cloned()
                .collect(),
        };
        for key in keys {
            let Some(tail) = self.finish_one(&key) else {
                if self.cut {
                    return self.cut_now(out);
                }
                continue;
            };
            if tail.is_empty() {
                continue;
            }
            if let Some(text) = self.texts.get(&key) {
                let (event, mut v, ptr) = text.template.clone();
                if self.flavor == Flavor::Chat {
                    v = chat_tail(v, &key, tail);
                } else if let Some(slot) = v.pointer_mut(&ptr) {
                    *slot = Value::String(tail);
                }
                out.extend_from_slice(&render(event.as_deref(), &v.to_string()));
            }
        }
    }

    fn cut_now(&mut self, out: &mut Vec<u8>) {
        self.cut = true;
        let (event, data) = cut_event(self.flavor);
        out.extend_from_slice(&render(event, &data));
    }
}

/// A chat tail chunk: the last chunk's envelope (id, model, created) with one choice whose
/// delta holds only the tail, and no finish reason. Keys are `c{choice}` or `c{choice}t{tool}`.
fn chat_tail(mut v: Value, key: &str, tail: String) -> Value {
    let rest = key.strip_prefix('c').unwrap_or("");
    let (choice, tool) = match rest.split_once('t') {
        Some((c, t)) => (
            c.parse::<u64>().unwrap_or(0),
            Some(t.parse::<u64>().unwrap_or(0)),
        ),
        None => (rest.parse::<u64>().unwrap_or(0), None),
    };
    let delta = match tool {
        None => serde_json::json!({"content": tail}),
        Some(j) => {
            serde_json::json!({"tool_calls": [{"index": j, "function": {"arguments": tail}}]})
        }
    };
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "choices".into(),
            serde_json::json!([{"index": choice, "delta": delta, "finish_reason": null}]),
        );
    }
    v
}

/// Whether text `key` belongs to the group `prefix` (`c1` holds `c1` and `c1t0`, not `c10`).
fn key_in(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
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
        let mut f = SseFilter::new(ApiKind::OpenAiChat, Arc::new(Upper)).unwrap();
        let mut out = Vec::new();
        for b in input.as_bytes() {
            out.extend(f.push(std::slice::from_ref(b)));
        }
        out.extend(f.finish());
        let out = String::from_utf8(out).unwrap();
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

    #[test]
    fn key_groups_do_not_match_longer_indices() {
        assert!(key_in("c1", "c1"));
        assert!(key_in("c1t0", "c1"));
        assert!(key_in("o2c0", "o2"));
        assert!(!key_in("c10", "c1"));
        assert!(!key_in("o12c0", "o1"));
    }
}
