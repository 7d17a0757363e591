//! The SSE filter of stage 9. It frames upstream bytes into events (WHATWG rules), refuses any
//! event it cannot parse or does not know, strips token log-probabilities, and inspects every
//! string of every event before the event leaves: text fragments go through one provider-key
//! scrubber and one `StreamScanner` per streamed text (hold-back, redaction, cut), repeats of
//! a whole text are replaced with what was released, and every other non-envelope string is
//! inspected whole in its event. Every relayed event is re-rendered from the inspected value,
//! so no upstream byte passes raw. Held-back tails are released before the event that ends a
//! text; a cut ends the stream with the API's error event.

use super::events::{chat_tail, cut_event, ends, known, role, Ends, Flavor, Role};
use super::leaves::{string_leaves, strip_logprobs};
use super::scrub::{KeyScrubber, TextScrub};
use super::sse::{render, SseEvent, SseFramer};
use crate::pipeline::apply_redactions;
use palisade_core::{
    ApiKind, Confidence, DataClass, Exchange, Finding, Inspection, Inspector, LeafKind, Severity,
    StreamRelease, StreamScanner, TextLeaf,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

struct Text {
    scrub: TextScrub,
    scanner: Box<dyn StreamScanner>,
    /// Everything released so far (what the repeats of this text are replaced with).
    released: String,
    /// The last relayed event that carried a fragment of this text (already inspected), and
    /// the fragment's pointer: the shape of a separate tail event.
    template: (Option<String>, Value, String),
    finished: bool,
}

/// Filters one streamed response.
pub(crate) struct SseFilter {
    flavor: Flavor,
    api: ApiKind,
    inspector: Arc<dyn Inspector>,
    keys: KeyScrubber,
    framer: SseFramer,
    texts: BTreeMap<String, Text>,
    /// Findings released so far (metadata only).
    pub findings: Vec<Finding>,
    /// Why the stream was cut (a fixed phrase, never content), once it was.
    pub cut_reason: Option<&'static str>,
}

impl SseFilter {
    /// A filter for a response of `api`; `None` for APIs that do not stream. Without an
    /// inspector the framing, event checks, log-probability stripping and key scrubbing still
    /// apply.
    pub(crate) fn new(
        api: ApiKind,
        inspector: Option<Arc<dyn Inspector>>,
        keys: KeyScrubber,
    ) -> Option<Self> {
        let flavor = match api {
            ApiKind::OpenAiChat => Flavor::Chat,
            ApiKind::OpenAiResponses => Flavor::Responses,
            ApiKind::AnthropicMessages => Flavor::Anthropic,
            _ => return None,
        };
        Some(Self {
            flavor,
            api,
            inspector: inspector.unwrap_or_else(|| Arc::new(NoInspection)),
            keys,
            framer: SseFramer::default(),
            texts: BTreeMap::new(),
            findings: Vec::new(),
            cut_reason: None,
        })
    }

    /// Whether the stream was cut (nothing more may be sent).
    pub(crate) fn is_cut(&self) -> bool {
        self.cut_reason.is_some()
    }

    /// Processes upstream bytes; returns the bytes to send now.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        if self.is_cut() {
            return out;
        }
        // Events completed before a framing error are relayed (each inspected) before the
        // cut, exactly as they would have been had the bad bytes arrived in a later chunk.
        let mut events = Vec::new();
        let framed = self.framer.push_into(bytes, &mut events);
        for ev in events {
            if self.is_cut() {
                break;
            }
            self.event(ev, &mut out);
        }
        if framed.is_err() && !self.is_cut() {
            self.cut_now(&mut out, "the event stream could not be parsed");
        }
        out
    }

    /// End of the upstream body: drops an unterminated event and flushes every held tail.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.is_cut() {
            return out;
        }
        self.framer.finish();
        self.finish_texts(&Ends::All, &mut out);
        out
    }

    fn event(&mut self, ev: SseEvent, out: &mut Vec<u8>) {
        if self.flavor == Flavor::Chat && ev.event.is_none() && ev.data == "[DONE]" {
            self.finish_texts(&ends(self.flavor, None), out);
            if !self.is_cut() {
                out.extend_from_slice(&render(None, "[DONE]"));
            }
            return;
        }
        let Ok(mut v) = serde_json::from_str::<Value>(&ev.data) else {
            return self.cut_now(out, "an event's data is not JSON");
        };
        if !known(self.flavor, ev.event.as_deref(), &v) {
            return self.cut_now(out, "an event of a type the gateway does not know");
        }
        strip_logprobs(&mut v);
        let mut deltas: Vec<(String, String)> = Vec::new();
        let mut repeats: Vec<(String, String)> = Vec::new();
        let mut whole: Vec<String> = Vec::new();
        for leaf in string_leaves(&v) {
            let r = role(self.flavor, &v, &leaf.segs);
            match r {
                Role::Envelope if looks_structural(&v, &leaf.pointer) => {
                    self.scrub_in_place(&mut v, &leaf.pointer);
                }
                Role::Envelope | Role::Whole => whole.push(leaf.pointer),
                Role::Delta(k) => deltas.push((k, leaf.pointer)),
                Role::Repeat(k) => repeats.push((k, leaf.pointer)),
            }
        }
        // 1. Fragments of streamed texts: scrubbed, scanned, replaced with what is released.
        for (key, ptr) in &deltas {
            let Some(Value::String(delta)) = v.pointer(ptr).cloned() else {
                continue;
            };
            if self.texts.get(key).is_some_and(|t| t.finished) {
                // A text that ended and starts again is a new text.
                self.texts.remove(key);
            }
            let inspector = &self.inspector;
            let keys = &self.keys;
            let text = self.texts.entry(key.clone()).or_insert_with(|| Text {
                scrub: TextScrub::new(keys.clone()),
                scanner: inspector.stream_scanner(ptr),
                released: String::new(),
                template: (None, Value::Null, ptr.clone()),
                finished: false,
            });
            let hits = text.scrub.hits;
            let clean = text.scrub.push(&delta);
            let reflected = text.scrub.hits > hits;
            let rel = text.scanner.push(&clean);
            if reflected {
                self.findings.push(key_finding(ptr));
            }
            if self.take(rel, key, &mut v, ptr, out) {
                return;
            }
        }
        // 2. Tails of texts ending here: appended to this event's own fragment when it has one
        //    (keeps order), otherwise sent as a separate fragment event just before it.
        let end = ends(self.flavor, Some(&v));
        if let Ends::Prefixes(p) = &end {
            for (key, ptr) in &deltas {
                if p.iter().any(|pre| key_in(key, pre)) {
                    if let Some(tail) = self.finish_one(key) {
                        if let Some(Value::String(s)) = v.pointer_mut(ptr) {
                            s.push_str(&tail);
                        }
                    }
                    if self.is_cut() {
                        return self.cut_now(out, "a streamed text was blocked");
                    }
                }
            }
        }
        self.finish_texts(&end, out);
        if self.is_cut() {
            return;
        }
        // 3. Repeats of whole texts: what was released, never what the upstream repeats; a
        //    repeat of a text that never streamed is inspected like any other value.
        for (key, ptr) in repeats {
            if self.texts.contains_key(&key) {
                if let Some(tail) = self.finish_one(&key) {
                    if let Some(t) = self.texts.get_mut(&key) {
                        t.released.push_str(&tail);
                    }
                }
                if self.is_cut() {
                    return self.cut_now(out, "a streamed text was blocked");
                }
                let released = self.texts.get(&key).map(|t| t.released.clone());
                if let (Some(slot), Some(text)) = (v.pointer_mut(&ptr), released) {
                    *slot = Value::String(text);
                }
            } else {
                whole.push(ptr);
            }
        }
        // 4. Every other string, inspected whole before the event leaves.
        if !whole.is_empty() && !self.inspect_whole(&mut v, &whole) {
            return self.cut_now(out, "a response value was blocked");
        }
        for (key, _) in &deltas {
            if let Some(t) = self.texts.get_mut(key) {
                t.template.0 = ev.event.clone();
                t.template.1 = v.clone();
            }
        }
        self.emit(ev.event.as_deref(), &v, out);
    }

    /// Applies one scanner release to the fragment at `ptr`; `true` when the stream was cut.
    fn take(
        &mut self,
        rel: StreamRelease,
        key: &str,
        v: &mut Value,
        ptr: &str,
        out: &mut Vec<u8>,
    ) -> bool {
        self.findings.extend(rel.findings);
        if rel.cut {
            self.cut_now(out, "a streamed text was blocked");
            return true;
        }
        if let Some(t) = self.texts.get_mut(key) {
            t.released.push_str(&rel.text);
        }
        if let Some(slot) = v.pointer_mut(ptr) {
            *slot = Value::String(rel.text);
        }
        false
    }

    /// Scrubs and inspects the strings at `ptrs` as one exchange; applies redactions. `false`
    /// when blocked (or when a redaction could not be applied).
    fn inspect_whole(&mut self, v: &mut Value, ptrs: &[String]) -> bool {
        let mut leaves = Vec::with_capacity(ptrs.len());
        for ptr in ptrs {
            self.scrub_in_place(v, ptr);
            if let Some(Value::String(s)) = v.pointer(ptr) {
                leaves.push(TextLeaf::new(ptr.clone(), LeafKind::Assistant, s.clone()));
            }
        }
        let ins = self.inspector.inspect(&Exchange {
            api: self.api,
            model: String::new(),
            stream: true,
            leaves,
            tools: Vec::new(),
        });
        self.findings.extend(ins.findings);
        !ins.block && apply_redactions(v, &ins.redactions).is_ok()
    }

    fn scrub_in_place(&mut self, v: &mut Value, ptr: &str) {
        if let Some(Value::String(s)) = v.pointer_mut(ptr) {
            if let Some(clean) = self.keys.scrub_str(s) {
                *s = clean;
                self.findings.push(key_finding(ptr));
            }
        }
    }

    /// Renders an inspected event; a key in a member name is replaced in the bytes.
    fn emit(&self, event: Option<&str>, v: &Value, out: &mut Vec<u8>) {
        let bytes = render(event, &v.to_string());
        match self.keys.scrub_bytes(&bytes) {
            Some(clean) => out.extend_from_slice(&clean),
            None => out.extend_from_slice(&bytes),
        }
    }

    /// Finishes one text; returns its tail (released text). Cuts if the tail was blocked.
    fn finish_one(&mut self, key: &str) -> Option<String> {
        let text = self.texts.get_mut(key)?;
        if text.finished {
            return None;
        }
        text.finished = true;
        let rest = text.scrub.finish();
        let mut rel = text.scanner.push(&rest);
        let last = text.scanner.finish();
        rel.text.push_str(&last.text);
        rel.findings.extend(last.findings);
        rel.cut |= last.cut;
        self.findings.extend(rel.findings);
        if rel.cut {
            self.cut_reason = Some("a streamed text was blocked");
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
                if self.is_cut() {
                    return self.cut_now(out, "a streamed text was blocked");
                }
                continue;
            };
            if tail.is_empty() {
                continue;
            }
            let Some(text) = self.texts.get(&key) else {
                continue;
            };
            let (event, template, ptr) = text.template.clone();
            let v = if self.flavor == Flavor::Chat {
                chat_tail(&template, &key, tail)
            } else {
                let mut v = template;
                if let Some(slot) = v.pointer_mut(&ptr) {
                    *slot = Value::String(tail);
                }
                v
            };
            self.emit(event.as_deref(), &v, out);
        }
    }

    fn cut_now(&mut self, out: &mut Vec<u8>, why: &'static str) {
        self.cut_reason.get_or_insert(why);
        let (event, data) = cut_event(self.flavor);
        out.extend_from_slice(&render(event, &data));
    }
}

/// An envelope value is exempt only while it looks like one (a short token without spaces);
/// anything else at an envelope path is inspected like content.
fn looks_structural(v: &Value, ptr: &str) -> bool {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .is_some_and(|s| s.len() <= 512 && !s.chars().any(char::is_whitespace))
}

/// The finding recorded when a provider key came back (metadata only, no hash of the key).
fn key_finding(path: &str) -> Finding {
    Finding {
        detector: "reflected_provider_key".into(),
        data_class: DataClass::Secret,
        path: path.into(),
        start: 0,
        end: 0,
        value_hash: String::new(),
        confidence: Confidence::High,
        severity: Severity::Critical,
    }
}

/// Whether text `key` belongs to the group `prefix` (`c1` holds `c1` and `c1t0`, not `c10`).
fn key_in(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Stands in when no inspector is configured: nothing found, nothing held.
struct NoInspection;
struct NoScan;

impl StreamScanner for NoScan {
    fn push(&mut self, delta: &str) -> StreamRelease {
        StreamRelease {
            text: delta.to_owned(),
            ..Default::default()
        }
    }
    fn finish(&mut self) -> StreamRelease {
        StreamRelease::default()
    }
}

impl Inspector for NoInspection {
    fn inspect(&self, _: &Exchange) -> Inspection {
        Inspection::default()
    }
    fn stream_scanner(&self, _: &str) -> Box<dyn StreamScanner> {
        Box::new(NoScan)
    }
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
