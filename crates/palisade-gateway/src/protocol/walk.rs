//! The one request walker: every string leaf of the parsed body, and every object key that is
//! not an envelope member, becomes text for inspection. Adapters only say which exact paths
//! are envelope structure ([`Envelope`]); nothing is skipped by key name, so fields no adapter
//! models (metadata, schemas, tool inputs, future fields) are inspected like the rest.
//! Embedded payloads are decoded; what is not text, and what the provider would fetch on its
//! own, become [`Signal`]s (data classes policy decides on).

use super::embedded::{self, Payload};
pub(crate) use super::envelope::Envelope;
use super::envelope::Node;
use super::pointer::escape;
use palisade_core::{DataClass, TextLeaf};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One step of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    /// An object member.
    Key(&'a str),
    /// An array element.
    Idx(usize),
}

/// A fact about the request that is not text: an attachment the gateway cannot read, or work
/// the provider would do on its own. Policy sees its data class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// `opaque_attachment` or `provider_egress`.
    pub class: DataClass,
    /// JSON Pointer of the value (empty for request headers).
    pub path: String,
    /// Stable reason, used as the finding's detector id, e.g. `opaque-attachment:image`. Only
    /// from a fixed vocabulary: caller-chosen strings (a claimed media type, a tool type)
    /// never reach audit records through it.
    pub reason: String,
}

impl Signal {
    /// An attachment that is not text; `media` is the claimed type, reduced to its family.
    pub(crate) fn opaque(path: &str, media: &str) -> Self {
        let family = match media.split('/').next().unwrap_or("") {
            _ if media == "application/pdf" => "pdf",
            f @ ("image" | "audio" | "video" | "text") => f,
            _ if matches!(media, "undecodable" | "token-ids") => media,
            _ => "binary",
        };
        Self {
            class: DataClass::OpaqueAttachment,
            path: path.to_owned(),
            reason: format!("opaque-attachment:{family}"),
        }
    }
    /// Work the provider would do itself; `what` is one of the gateway's own names.
    pub(crate) fn egress(path: &str, what: &'static str) -> Self {
        Self {
            class: DataClass::ProviderEgress,
            path: path.to_owned(),
            reason: format!("provider-egress:{what}"),
        }
    }
}

/// What the walk found.
#[derive(Debug, Clone, Default)]
pub struct Walked {
    /// Every text leaf, in document order.
    pub leaves: Vec<TextLeaf>,
    /// Paths of leaves whose text is not the JSON string at that pointer (decoded payloads,
    /// object keys): a redaction there cannot be applied in place, so it refuses instead.
    pub derived: BTreeSet<String>,
    /// Attachments and provider-side egress.
    pub signals: Vec<Signal>,
}

/// The suffix that marks an object key's leaf. `~` followed by anything but `0`/`1` never
/// occurs in an escaped pointer, so a key leaf cannot collide with a value leaf.
pub(crate) const KEY_SUFFIX: &str = "~key";

/// Walks `root` under `env`.
pub(crate) fn walk(root: &Value, env: &Envelope) -> Walked {
    let mut w = Walker {
        root,
        env,
        out: Walked::default(),
    };
    w.value(root, Some(env.root()), &mut String::new(), &mut Vec::new());
    w.out
}

/// The array index at step `i`.
pub(crate) fn idx_at(segs: &[Seg<'_>], i: usize) -> Option<usize> {
    match segs.get(i) {
        Some(Seg::Idx(n)) => Some(*n),
        _ => None,
    }
}

/// The member name at step `i`.
pub(crate) fn key_at<'a>(segs: &[Seg<'a>], i: usize) -> Option<&'a str> {
    match segs.get(i) {
        Some(Seg::Key(k)) => Some(k),
        _ => None,
    }
}

/// A protocol identifier (`user`, `input_text`, `image/png`, `2023-06-01`), not prose.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:/".contains(&b))
}

struct Walker<'v, 'e> {
    root: &'v Value,
    env: &'e Envelope,
    out: Walked,
}

impl<'v> Walker<'v, '_> {
    /// `at` is the envelope position of `v` (`None` once the walk left the envelope).
    fn value(
        &mut self,
        v: &'v Value,
        at: Option<&Node>,
        ptr: &mut String,
        segs: &mut Vec<Seg<'v>>,
    ) {
        match v {
            Value::String(s) => self.string(s, at, ptr, segs),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = ptr.len();
                    // Writing into a String cannot fail.
                    let _ = write!(ptr, "/{i}");
                    segs.push(Seg::Idx(i));
                    self.value(item, at.and_then(|n| n.step(Seg::Idx(i))), ptr, segs);
                    segs.pop();
                    ptr.truncate(len);
                }
            }
            Value::Object(map) => self.object(map, at, ptr, segs),
            // Numbers, booleans and null carry no text.
            _ => {}
        }
    }

    fn object(
        &mut self,
        map: &'v Map<String, Value>,
        at: Option<&Node>,
        ptr: &mut String,
        segs: &mut Vec<Seg<'v>>,
    ) {
        // Anthropic-style content sources, wherever they sit (a tool result may nest them):
        // `{"type": "base64", "media_type": ..., "data": ...}` and `{"type": "url", "url": ...}`.
        let source = map.get("type").and_then(Value::as_str);
        let media = map.get("media_type").and_then(Value::as_str);
        for (k, item) in map {
            let len = ptr.len();
            ptr.push('/');
            if k.contains(['~', '/']) {
                ptr.push_str(&escape(k));
            } else {
                ptr.push_str(k);
            }
            segs.push(Seg::Key(k));
            // A member on an envelope path (exempt, payload or remote, or leading to one) has
            // a key that is protocol vocabulary; any other key is text.
            let below = at.and_then(|n| n.step(Seg::Key(k)));
            if below.is_none() {
                let path = format!("{ptr}{KEY_SUFFIX}");
                let kind = (self.env.kind)(self.root, segs);
                self.out.derived.insert(path.clone());
                self.out.leaves.push(TextLeaf::new(path, kind, k.clone()));
            }
            match (source, k.as_str(), item) {
                (Some("base64"), "data", Value::String(s)) => {
                    let claimed = media.map(str::to_ascii_lowercase);
                    let p = match embedded::decode_base64(s) {
                        Some(bytes) => Payload::Decoded {
                            media: claimed,
                            bytes,
                        },
                        None => Payload::Undecodable,
                    };
                    self.payload(s, p, None, ptr, segs);
                }
                (Some("url"), "url", Value::String(s)) => self.remote(s, ptr, segs),
                _ => self.value(item, below, ptr, segs),
            }
            segs.pop();
            ptr.truncate(len);
        }
    }

    fn string(&mut self, s: &str, at: Option<&Node>, ptr: &str, segs: &[Seg<'_>]) {
        if let Some(node) = at {
            if node.exempt && is_token(s) {
                return;
            }
            if let Some(assumed) = node.payload {
                let p = embedded::payload(s);
                return self.payload(s, p, assumed, ptr, segs);
            }
            if node.remote {
                return self.remote(s, ptr, segs);
            }
        }
        match embedded::data_url(s) {
            Some(p) => self.payload(s, p, None, ptr, segs),
            None => self.leaf(ptr, segs, s.to_owned(), false),
        }
    }

    /// A URL the provider would fetch: its text is inspected (a query string can carry data)
    /// and, unless it is an inline `data:` URL, it is provider egress.
    fn remote(&mut self, s: &str, ptr: &str, segs: &[Seg<'_>]) {
        match embedded::data_url(s) {
            Some(p) => self.payload(s, p, None, ptr, segs),
            None => {
                self.out.signals.push(Signal::egress(ptr, "remote-url"));
                self.leaf(ptr, segs, s.to_owned(), false);
            }
        }
    }

    /// An embedded payload: text is inspected decoded; anything else is an opaque attachment.
    /// Bytes that are UTF-8 are inspected whatever the claimed type (a mislabelled text is
    /// still text), and a payload that does not decode is inspected as written.
    fn payload(
        &mut self,
        raw: &str,
        p: Payload,
        assumed: Option<&str>,
        ptr: &str,
        segs: &[Seg<'_>],
    ) {
        match p {
            Payload::Plain { media } => {
                if !embedded::is_text_media(&media) {
                    self.out.signals.push(Signal::opaque(ptr, &media));
                }
                self.leaf(ptr, segs, raw.to_owned(), false);
            }
            Payload::Undecodable => {
                self.out.signals.push(Signal::opaque(ptr, "undecodable"));
                self.leaf(ptr, segs, raw.to_owned(), false);
            }
            Payload::Decoded { media, bytes } => {
                let media = media.or_else(|| assumed.map(str::to_owned));
                let text = String::from_utf8(bytes).ok();
                let readable = match (&media, &text) {
                    (_, None) => false,
                    (Some(m), Some(_)) => embedded::is_text_media(m),
                    (None, Some(_)) => true,
                };
                if !readable {
                    let what = media.as_deref().unwrap_or("binary");
                    self.out.signals.push(Signal::opaque(ptr, what));
                }
                if let Some(t) = text {
                    self.leaf(ptr, segs, t, true);
                }
            }
        }
    }

    fn leaf(&mut self, ptr: &str, segs: &[Seg<'_>], text: String, derived: bool) {
        let kind = (self.env.kind)(self.root, segs);
        if derived {
            self.out.derived.insert(ptr.to_owned());
        }
        self.out.leaves.push(TextLeaf::new(ptr, kind, text));
    }
}

/// Versioned built-in tools that the provider defines but the *caller* executes (Anthropic's
/// `bash_20250124`, `text_editor_*`, `computer_*`, `memory_*`; OpenAI's `local_shell`,
/// `computer_use_preview`, `apply_patch`): their effects happen on the agent's side, where the
/// gateway sees the results coming back as tool results, so they are not provider egress.
const CLIENT_RUN_TOOL_PREFIXES: &[&str] = &[
    "bash_",
    "text_editor_",
    "computer_",
    "memory_",
    "local_shell",
    "computer_use_preview",
    "apply_patch",
];

fn is_client_run_tool(ty: &str) -> bool {
    ty == "function" || ty == "custom" || CLIENT_RUN_TOOL_PREFIXES.iter().any(|p| ty.starts_with(p))
}

/// Provider-side egress of a `tools` array: any tool that is not run by the caller (web
/// search or fetch, code execution, MCP, file search...) runs at the provider, out of the
/// gateway's sight.
pub(crate) fn server_tools(root: &Value, signals: &mut Vec<Signal>) {
    let Some(tools) = root.get("tools").and_then(Value::as_array) else {
        return;
    };
    for (i, t) in tools.iter().enumerate() {
        match t.get("type") {
            None | Some(Value::Null) => {}
            Some(Value::String(ty)) if is_client_run_tool(ty) => {}
            Some(_) => signals.push(Signal::egress(&format!("/tools/{i}/type"), "server-tool")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::LeafKind;
    use serde_json::json;

    fn other(_: &Value, _: &[Seg<'_>]) -> LeafKind {
        LeafKind::Other
    }

    static ENV: Envelope = Envelope::new(
        &["/model", "/items/*/type"],
        &[("/items/*/blob", None)],
        &["/items/*/url"],
        other,
    );

    fn texts(w: &Walked) -> Vec<(&str, &str)> {
        w.leaves
            .iter()
            .map(|l| (l.path.as_str(), l.text.as_str()))
            .collect()
    }

    #[test]
    fn client_run_builtin_tools_are_not_provider_egress_but_server_tools_are() {
        let root = json!({"tools": [
            {"type": "bash_20250124", "name": "bash"},
            {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
            {"type": "function", "function": {"name": "f"}},
            {"type": "web_search_20250305", "name": "web_search"},
            {"type": "code_execution_20250825", "name": "code_execution"},
            {"type": "mcp", "server_url": "https://example.invalid"},
        ]});
        let mut signals = Vec::new();
        server_tools(&root, &mut signals);
        let paths: Vec<&str> = signals.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["/tools/3/type", "/tools/4/type", "/tools/5/type"]);
    }

    #[test]
    fn type_key_is_text_outside_the_exact_envelope_path() {
        let v = json!({
            "model": "m",
            "items": [{"type": "part", "args": {"type": "canary-in-type", "data": "d", "status": "s"}}],
            "future": {"nested": ["x", 1, true, null]}
        });
        let w = walk(&v, &ENV);
        let mut got = texts(&w);
        got.sort();
        let mut want = vec![
            ("/future/nested/0", "x"),
            ("/future/nested~key", "nested"),
            ("/future~key", "future"),
            ("/items/0/args/data", "d"),
            ("/items/0/args/data~key", "data"),
            ("/items/0/args/status", "s"),
            ("/items/0/args/status~key", "status"),
            ("/items/0/args/type", "canary-in-type"),
            ("/items/0/args/type~key", "type"),
            ("/items/0/args~key", "args"),
        ];
        want.sort();
        assert_eq!(got, want);
        assert!(w.signals.is_empty());
        assert!(w.derived.iter().all(|p| p.ends_with(KEY_SUFFIX)));
    }

    #[test]
    fn prose_in_an_exempt_position_is_still_inspected() {
        let v =
            json!({"model": "the Q3 roadmap says we acquire Initech", "items": [{"type": "x y"}]});
        let mut got: Vec<&str> = Vec::new();
        let w = walk(&v, &ENV);
        got.extend(w.leaves.iter().map(|l| l.path.as_str()));
        got.sort();
        assert_eq!(got, ["/items/0/type", "/model"]);
    }

    #[test]
    fn payloads_are_decoded_or_opaque() {
        let v = json!({"items": [
            {"blob": "data:text/plain;base64,cm9hZG1hcA=="},
            {"blob": "data:image/png;base64,iVBORw0KGgo="},
            {"blob": "cm9hZG1hcA"},
            {"blob": "plain text, not base64!"},
            {"url": "https://example.com/a.png?q=leak"},
            {"url": "data:application/json;base64,eyJhIjoxfQ=="},
            {"note": "data:,inline%20text"},
            {"source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK/////w=="}},
            {"source": {"type": "url", "url": "https://example.com/doc.pdf"}}
        ]});
        let w = walk(&v, &ENV);
        let got: Vec<(&str, &str)> = texts(&w)
            .into_iter()
            .filter(|(p, _)| !p.ends_with(KEY_SUFFIX))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/items/0/blob", "roadmap"),
                ("/items/2/blob", "roadmap"),
                ("/items/3/blob", "plain text, not base64!"),
                ("/items/4/url", "https://example.com/a.png?q=leak"),
                ("/items/5/url", "{\"a\":1}"),
                ("/items/6/note", "data:,inline%20text"),
                ("/items/7/source/type", "base64"),
                ("/items/7/source/media_type", "application/pdf"),
                ("/items/8/source/type", "url"),
                ("/items/8/source/url", "https://example.com/doc.pdf"),
            ]
        );
        let signals: Vec<(&str, &str)> = w
            .signals
            .iter()
            .map(|s| (s.path.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            signals,
            vec![
                ("/items/1/blob", "opaque-attachment:image"),
                ("/items/3/blob", "opaque-attachment:undecodable"),
                ("/items/4/url", "provider-egress:remote-url"),
                ("/items/7/source/data", "opaque-attachment:pdf"),
                ("/items/8/source/url", "provider-egress:remote-url"),
            ]
        );
        for p in ["/items/0/blob", "/items/2/blob", "/items/5/url"] {
            assert!(w.derived.contains(p), "{p}");
        }
        assert!(!w.derived.contains("/items/3/blob"));
    }
}
