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
        Ok(Some(Self {
            ac,
            n_markers: markers.len(),
        }))
    }

    /// Whole-word occurrences in `text`.
    pub fn scan(&self, text: &str) -> Vec<MarkerHit> {
        let b = text.as_bytes();
        self.ac
            .find_iter(b)
            .filter(|m| {
                !is_word(m.start().checked_sub(1).and_then(|i| b.get(i)))
                    && !is_word(b.get(m.end()))
            })
            .map(|m| MarkerHit {
                code_name: m.pattern().as_usize() >= self.n_markers,
                start: m.start(),
                end: m.end(),
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
