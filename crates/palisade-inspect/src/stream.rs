//! Streaming inspection of one response text. The scanner holds back a tail window so a secret
//! split across chunks is still seen whole: text is released only up to the earlier of
//! (buffer end − window) and the start of any match still touching the unreleased tail.
//! Released text keeps a context tail so keywords before a value still count. Redactions are
//! applied in flight; a blocked class cuts the stream. Protected documents are matched over
//! the accumulated text as it grows.

use crate::engine::Engine;
use crate::redact::placeholder;
use palisade_core::{
    ContentAction, DataClass, Finding, LeafKind, StreamRelease, StreamScanner, TextLeaf,
};
use std::collections::HashSet;

/// Accumulated text kept for protected-document matching.
const DOC_TEXT_CAP: usize = 256 * 1024;
/// Re-run document matching after this much new text.
const DOC_EVERY: usize = 1024;

/// The engine's `StreamScanner`.
pub struct EngineStream {
    engine: Engine,
    path: String,
    /// Unreleased text.
    buf: String,
    /// Stream offset of `buf[0]`.
    base: usize,
    /// Tail of released text (original, unredacted), for context only.
    ctx: String,
    reported: HashSet<(String, usize, usize)>,
    cut: bool,
    doc_text: String,
    doc_checked: usize,
}

impl std::fmt::Debug for EngineStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineStream")
            .field("path", &self.path)
            .field("held", &self.buf.len())
            .field("cut", &self.cut)
            .finish()
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl EngineStream {
    /// A scanner labelling findings with `path`.
    pub fn new(engine: Engine, path: &str) -> Self {
        Self {
            engine,
            path: path.to_owned(),
            buf: String::new(),
            base: 0,
            ctx: String::new(),
            reported: HashSet::new(),
            cut: false,
            doc_text: String::new(),
            doc_checked: 0,
        }
    }

    fn action(&self, f: &Finding) -> ContentAction {
        self.engine.config().action_for(f.data_class, &f.detector)
    }

    /// Scans ctx+buf and releases what is safe; `all` releases everything (end of stream).
    fn step(&mut self, all: bool) -> StreamRelease {
        let cfg = self.engine.config();
        let window = cfg.stream_window;
        let max_hold = cfg.stream_max_hold;
        let off = self.ctx.len();
        let scan = format!("{}{}", self.ctx, self.buf);
        let found = self
            .engine
            .scan_text(&self.path, LeafKind::Assistant, &scan);
        // (start, end) in buf coordinates, clipped at 0 for matches beginning in ctx.
        let spans: Vec<(usize, usize, &Finding)> = found
            .iter()
            .filter(|f| f.end > off)
            .map(|f| (f.start.saturating_sub(off), f.end - off, f))
            .collect();
        let len = self.buf.len();
        let mut safe = if all { len } else { len.saturating_sub(window) };
        if !all {
            // Hold back from the start of any match reaching past the safe point, but never
            // more than max_hold bytes (a match that long is decided now).
            let floor = len.saturating_sub(max_hold);
            loop {
                let next = spans
                    .iter()
                    .filter(|(_, e, _)| *e > safe)
                    .map(|(s, _, _)| (*s).max(floor))
                    .fold(safe, usize::min);
                if next == safe {
                    break;
                }
                safe = next;
            }
        }
        safe = floor_boundary(&self.buf, safe);
        let mut release = StreamRelease::default();
        let mut redact: Vec<(usize, usize, String)> = Vec::new();
        let mut cut_at: Option<usize> = None;
        for (s, e, f) in &spans {
            if *e > safe {
                continue;
            }
            let mut abs = (*f).clone();
            abs.start = self.base.saturating_sub(off) + f.start;
            abs.end = self.base.saturating_sub(off) + f.end;
            if !self
                .reported
                .insert((abs.detector.clone(), abs.start, abs.end))
            {
                continue;
            }
            match self.action(f) {
                ContentAction::Block => cut_at = Some(cut_at.map_or(*s, |c: usize| c.min(*s))),
                ContentAction::Redact => redact.push((*s, *e, placeholder(&f.detector))),
                ContentAction::Record => {}
            }
            release.findings.push(abs);
        }
        let end = match cut_at {
            Some(c) => floor_boundary(&self.buf, c),
            None => safe,
        };
        release.text = crate::apply_redactions(
            self.buf.get(..end).unwrap_or(""),
            &redact
                .into_iter()
                .filter(|(s, _, _)| *s < end)
                .map(|(s, e, p)| palisade_core::Redaction {
                    path: self.path.clone(),
                    start: s,
                    end: e.min(end),
                    placeholder: p,
                })
                .collect::<Vec<_>>(),
        );
        // Slide: released original text joins the context tail.
        let released = self.buf.get(..safe).unwrap_or("").to_owned();
        self.buf = self.buf.get(safe..).unwrap_or("").to_owned();
        self.base += safe;
        self.ctx.push_str(&released);
        let keep_from = floor_boundary(&self.ctx, self.ctx.len().saturating_sub(window));
        let keep_from = (keep_from..=self.ctx.len())
            .find(|i| self.ctx.is_char_boundary(*i))
            .unwrap_or(self.ctx.len());
        self.ctx = self.ctx.get(keep_from..).unwrap_or("").to_owned();
        if cut_at.is_some() {
            self.cut = true;
            release.cut = true;
        }
        release
    }

    fn check_docs(&mut self, all: bool) -> Option<Finding> {
        if self.engine.stats().protected_documents == 0 {
            return None;
        }
        if !all && self.doc_text.len() < self.doc_checked + DOC_EVERY {
            return None;
        }
        self.doc_checked = self.doc_text.len();
        let leaf = TextLeaf::new(
            self.path.clone(),
            LeafKind::Assistant,
            self.doc_text.clone(),
        );
        self.engine
            .findings_of(std::slice::from_ref(&leaf))
            .into_iter()
            .find(|f| {
                f.data_class == DataClass::ProtectedDocument
                    && !self.reported.contains(&(f.detector.clone(), 0, 0))
            })
    }

    fn with_docs(&mut self, mut r: StreamRelease, delta: &str, all: bool) -> StreamRelease {
        if self.doc_text.len() < DOC_TEXT_CAP {
            self.doc_text.push_str(delta);
        }
        if let Some(f) = self.check_docs(all) {
            self.reported.insert((f.detector.clone(), 0, 0));
            if self.action(&f) == ContentAction::Block {
                // Already-released text cannot be recalled; stop what is still held.
                self.cut = true;
                r.cut = true;
                if !all {
                    r.text.clear();
                }
            }
            r.findings.push(f);
        }
        r
    }
}

impl StreamScanner for EngineStream {
    fn push(&mut self, delta: &str) -> StreamRelease {
        if self.cut {
            return StreamRelease {
                cut: true,
                ..StreamRelease::default()
            };
        }
        self.buf.push_str(delta);
        let r = self.step(false);
        self.with_docs(r, delta, false)
    }

    fn finish(&mut self) -> StreamRelease {
        if self.cut {
            return StreamRelease {
                cut: true,
                ..StreamRelease::default()
            };
        }
        let r = self.step(true);
        self.with_docs(r, "", true)
    }
}
