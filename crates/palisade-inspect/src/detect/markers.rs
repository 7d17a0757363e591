//! Classification markers and project code names from config: whole-word, ASCII
//! case-insensitive, one Aho-Corasick pass (`CONFIDENTIAL`, `Llama-5`).

use crate::InspectError;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// A marker hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkerHit {
    /// Whether it is a code name (else a classification marker).
    pub code_name: bool,
    /// Start.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
}

/// The compiled marker set.
#[derive(Debug)]
pub struct MarkerScanner {
    ac: AhoCorasick,
    pats: Vec<String>,
    n_markers: usize,
}

fn is_word(b: Option<&u8>) -> bool {
    b.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c >= 0x80)
}

impl MarkerScanner {
    /// Compiles markers and code names; `None` when both lists are empty.
    pub fn new(markers: &[String], code_names: &[String]) -> Result<Option<Self>, InspectError> {
        if markers.is_empty() && code_names.is_empty() {
            return Ok(None);
        }
        let pats: Vec<&str> = markers.iter().chain(code_names).map(|s| s.trim()).collect();
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            // A full DFA: one table lookup per byte, several times faster than the NFA.
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(&pats)
            .map_err(|e| InspectError::Pattern {
                id: "markers".into(),
                message: e.to_string(),
            })?;
        let pats = pats.into_iter().map(str::to_owned).collect();
        Ok(Some(Self {
            ac,
            pats,
            n_markers: markers.len(),
        }))
    }

    /// Whole-word occurrences in `text`.
    pub fn scan(&self, text: &str) -> Vec<MarkerHit> {
        let found: Vec<(usize, usize, usize)> = self
            .ac
            .find_iter(text.as_bytes())
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        self.whole_words(text, found)
    }

    /// The patterns, markers first (for the engine's combined pass).
    pub fn patterns(&self) -> &[String] {
        &self.pats
    }

    /// Same as `scan`, given every (overlapping, case-insensitive) occurrence of the patterns
    /// as (pattern index, start, end), found by a pass shared with other detectors.
    pub fn scan_occurrences(&self, text: &str, occ: Vec<(usize, usize, usize)>) -> Vec<MarkerHit> {
        self.whole_words(text, crate::detect::combined::leftmost_longest(occ))
    }

    fn whole_words(&self, text: &str, found: Vec<(usize, usize, usize)>) -> Vec<MarkerHit> {
        let b = text.as_bytes();
        found
            .into_iter()
            .filter(|&(_, s, e)| {
                !is_word(s.checked_sub(1).and_then(|i| b.get(i))) && !is_word(b.get(e))
            })
            .map(|(p, s, e)| MarkerHit {
                code_name: p >= self.n_markers,
                start: s,
                end: e,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_word_case_insensitive() {
        let m = MarkerScanner::new(&["CONFIDENTIAL".into()], &["Llama-5".into()])
            .unwrap()
            .unwrap();
        let hits = m.scan("this is confidential; llama-5 plans. nonconfidential Llama-50");
        assert_eq!(hits.len(), 2);
        assert!(!hits[0].code_name);
        assert!(hits[1].code_name);
        assert!(MarkerScanner::new(&[], &[]).unwrap().is_none());
    }
}
