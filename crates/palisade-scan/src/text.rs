//! Small text helpers shared by the analyzers: line numbers of matches and compile-once regexes.

use regex::bytes::Regex;

/// Compiles a pattern that is a literal in this crate, ASCII-only (`(?-u)`: fast DFA paths, and
/// the keywords matched are ASCII anyway) over bytes. Every such pattern is exercised by unit
/// tests, so a failure here is a programming error caught before release, never input-driven.
#[allow(clippy::expect_used)]
pub fn static_regex(pattern: &str) -> Regex {
    Regex::new(&format!("(?-u){pattern}")).expect("built-in scanner regex compiles")
}

/// 1-based line number of byte offset `at` in `text`.
pub fn line_at(text: &str, at: usize) -> u32 {
    let upto = text.get(..at).unwrap_or(text);
    u32::try_from(upto.bytes().filter(|b| *b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

/// 1-based line of the first occurrence of `needle`.
pub fn line_of(text: &str, needle: &str) -> Option<u32> {
    text.find(needle).map(|at| line_at(text, at))
}

/// 1-based line of the first occurrence of `needle` at or after line `from` (1-based).
pub fn line_of_from(text: &str, needle: &str, from: u32) -> Option<u32> {
    let mut offset = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if u32::try_from(i + 1).unwrap_or(u32::MAX) >= from && l.contains(needle) {
            return Some(line_at(text, offset));
        }
        offset += l.len();
    }
    None
}

/// The text of 1-based line `n` (empty when out of range).
pub fn line_text(text: &str, n: u32) -> &str {
    let idx = usize::try_from(n.saturating_sub(1)).unwrap_or(usize::MAX);
    text.lines().nth(idx).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let t = "a\nbb\nccc\nbb\n";
        assert_eq!(line_at(t, 0), 1);
        assert_eq!(line_of(t, "ccc"), Some(3));
        assert_eq!(line_of_from(t, "bb", 3), Some(4));
        assert_eq!(line_text(t, 2), "bb");
        assert_eq!(line_text(t, 9), "");
    }
}
