//! Winnowing (Schleimer, Wilkerson, Aiken 2003) over word shingles: k content words per
//! shingle, the minimum hash of every window of w shingles is kept, so any shared run of at
//! least w + k - 1 content words shares a fingerprint whatever the formatting around it (JSON,
//! Markdown, CSV, reordered paragraphs). Also extracts a document's rare salient terms.

use super::words::{is_common, is_stop, words};
use crate::hash::Keyed;
use std::collections::HashMap;

/// Content words per shingle.
pub const K: usize = 3;
/// Shingles per winnowing window.
pub const W: usize = 4;

/// One selected fingerprint and the text range of its shingle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Print {
    /// Keyed hash of the shingle.
    pub hash: u64,
    /// Start byte of the shingle's first word.
    pub start: usize,
    /// End byte of its last word.
    pub end: usize,
}

/// Content words per exposure shingle. Winnowing only guarantees a shared print for runs of
/// W + K - 1 = 6 content words, and a 6-word chunk carries about 3: exposure tracking keeps
/// every 2-word shingle instead, so any chunk with two content words reveals what it shares.
pub const EXPOSURE_K: usize = 2;

/// The content words of `text` (stop words dropped).
pub fn content_words(text: &str) -> Vec<super::words::Word> {
    words(text)
        .into_iter()
        .filter(|w| !is_stop(&w.text))
        .collect()
}

/// Every `k`-word shingle of `content` in order (shingle i starts at content word i).
pub fn shingles(content: &[super::words::Word], k: usize, keyed: &Keyed) -> Vec<Print> {
    if k == 0 || content.len() < k {
        return Vec::new();
    }
    content
        .windows(k)
        .filter_map(|ws| {
            let joined = ws
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            Some(Print {
                hash: keyed.token(joined.as_bytes()),
                start: ws.first()?.start,
                end: ws.last()?.end,
            })
        })
        .collect()
}

/// Winnowed fingerprints of `text`.
pub fn winnow(text: &str, keyed: &Keyed) -> Vec<Print> {
    winnow_shingles(&shingles(&content_words(text), K, keyed))
}

/// Winnows the `K`-word shingles computed by [`shingles`].
pub fn winnow_shingles(shingles: &[Print]) -> Vec<Print> {
    if shingles.len() <= W {
        return shingles.to_vec();
    }
    let mut out: Vec<Print> = Vec::new();
    let mut last: Option<usize> = None;
    for (i, win) in shingles.windows(W).enumerate() {
        // Rightmost minimum, as in the paper, so a run of equal hashes selects once.
        let mut best = 0;
        for (j, p) in win.iter().enumerate() {
            if win.get(best).is_some_and(|b| p.hash <= b.hash) {
                best = j;
            }
        }
        let pos = i + best;
        if last != Some(pos) {
            if let Some(p) = shingles.get(pos) {
                out.push(*p);
            }
            last = Some(pos);
        }
    }
    out
}

/// The salient terms of a document: uncommon words weighted by frequency, with a bonus for
/// capitalized or numeric words (names, code names, figures). Returns (hash, weight), best first.
pub fn salient_terms(text: &str, keyed: &Keyed, max: usize) -> Vec<(u64, f32)> {
    let mut score: HashMap<String, f32> = HashMap::new();
    for w in words(text) {
        if is_common(&w.text) {
            continue;
        }
        let bonus = if w.marked { 2.0 } else { 1.0 };
        let len = (w.text.chars().count() as f32 / 6.0).min(1.5);
        *score.entry(w.text).or_default() += bonus * len;
    }
    let mut v: Vec<(String, f32)> = score.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(max);
    v.into_iter()
        // Dampen frequency so one repeated word cannot dominate the overlap score.
        .map(|(w, s)| (keyed.token(w.as_bytes()), s.sqrt()))
        .collect()
}

/// Hashes of every uncommon word of an inspected text, with spans (for summary matching).
pub fn term_hashes(text: &str, keyed: &Keyed) -> Vec<(u64, usize, usize)> {
    words(text)
        .into_iter()
        .filter(|w| !is_common(&w.text))
        .map(|w| (keyed.token(w.text.as_bytes()), w.start, w.end))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reformatting_keeps_fingerprints() {
        let k = Keyed::new([3; 32]);
        let prose = "Project Falcon will train the Llama-5 model on forty thousand accelerators \
                     beginning in March, with the tokenizer rewrite finished before pretraining.";
        let json = format!("{{\"text\": \"{prose}\"}}");
        let md = format!("# Notes\n\n* {}", prose.replace(". ", ".\n* "));
        let a: Vec<u64> = winnow(prose, &k).iter().map(|p| p.hash).collect();
        for other in [json, md] {
            let b: Vec<u64> = winnow(&other, &k).iter().map(|p| p.hash).collect();
            let shared = a.iter().filter(|h| b.contains(h)).count();
            assert!(shared * 10 >= a.len() * 7, "{shared}/{}", a.len());
        }
        let unrelated = winnow(
            "Quarterly cafeteria menu: soup on Mondays, pasta on Fridays.",
            &k,
        );
        assert!(unrelated.iter().all(|p| !a.contains(&p.hash)));
        assert!(!salient_terms(prose, &k, 10).is_empty());
    }
}
