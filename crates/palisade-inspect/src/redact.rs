//! From findings to an `Inspection`: the configured action per data class (or per detector)
//! decides block / redact / record; redactions get typed placeholders and are merged so the
//! gateway can rewrite each leaf in one pass with `apply_redactions`.

use crate::config::InspectConfig;
use palisade_core::{ContentAction, Finding, Inspection, Redaction};

/// The placeholder for a detector: `[REDACTED:aws-access-key-id]`; named detectors
/// (`canary:cnr_…`, `protected-document:doc_…`) are typed by their family only, so the
/// placeholder never reveals which canary or document tripped.
pub fn placeholder(detector: &str) -> String {
    let base = detector.split(':').next().unwrap_or(detector);
    format!("[REDACTED:{base}]")
}

/// Applies the configured actions to findings.
pub fn decide(cfg: &InspectConfig, findings: Vec<Finding>) -> Inspection {
    let mut block = false;
    let mut redactions: Vec<Redaction> = Vec::new();
    for f in &findings {
        match cfg.action_for(f.data_class, &f.detector) {
            ContentAction::Block => block = true,
            ContentAction::Redact => redactions.push(Redaction {
                path: f.path.clone(),
                start: f.start,
                end: f.end,
                placeholder: placeholder(&f.detector),
            }),
            ContentAction::Record => {}
        }
    }
    Inspection {
        findings,
        redactions: merge(redactions),
        block,
        doc_exposure: Vec::new(),
    }
}

/// Sorts redactions per path and merges overlapping ones (the first placeholder wins).
pub fn merge(mut v: Vec<Redaction>) -> Vec<Redaction> {
    v.sort_by(|a, b| (&a.path, a.start, b.end).cmp(&(&b.path, b.start, a.end)));
    let mut out: Vec<Redaction> = Vec::new();
    for r in v {
        match out.last_mut() {
            Some(last) if last.path == r.path && r.start < last.end => {
                last.end = last.end.max(r.end);
            }
            _ => out.push(r),
        }
    }
    out
}

/// Rewrites `text` with the redactions (of one leaf). Ranges off char boundaries are widened
/// to the enclosing characters so the result stays valid UTF-8.
pub fn apply_redactions(text: &str, redactions: &[Redaction]) -> String {
    let mut rs: Vec<&Redaction> = redactions.iter().collect();
    rs.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for r in rs {
        let mut s = r.start.min(text.len());
        while s > 0 && !text.is_char_boundary(s) {
            s -= 1;
        }
        let mut e = r.end.min(text.len());
        while e < text.len() && !text.is_char_boundary(e) {
            e += 1;
        }
        if s < pos {
            s = pos;
        }
        if e <= s {
            continue;
        }
        out.push_str(text.get(pos..s).unwrap_or(""));
        out.push_str(&r.placeholder);
        pos = e;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(start: usize, end: usize, p: &str) -> Redaction {
        Redaction {
            path: "/m".into(),
            start,
            end,
            placeholder: p.into(),
        }
    }

    #[test]
    fn merges_and_applies() {
        let m = merge(vec![red(5, 9, "[B]"), red(0, 3, "[A]"), red(7, 12, "[C]")]);
        assert_eq!(m.len(), 2);
        assert_eq!((m[1].start, m[1].end), (5, 12));
        assert_eq!(apply_redactions("abcdefghijklmn", &m), "[A]de[B]mn");
        assert_eq!(placeholder("canary:cnr_1"), "[REDACTED:canary]");
        assert_eq!(apply_redactions("añb", &[red(2, 3, "[X]")]), "a[X]b");
    }
}
