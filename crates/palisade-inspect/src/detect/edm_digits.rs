//! The exact-data-match tokens that contain a digit, found from the digits outward. When every
//! primary field has a digit (employee ids), these are the only tokens the primary lookup can
//! use; blocks of text without a digit are skipped 64 bytes at a time instead of being
//! tokenized byte by byte. Gives exactly the spans `edm::token_spans` gives for those tokens.

use super::edm::is_token_byte;
use crate::normalize::runs::{class_runs, DIGITS};

/// Whether byte `i` belongs to a token (tokens are the maximal runs of such bytes in
/// `from..to`): a token byte, or a thousands separator (`125,000`) after a digit of the token.
fn in_token(b: &[u8], from: usize, i: usize) -> bool {
    match b.get(i) {
        Some(b',') => {
            i > from
                && b.get(i - 1).is_some_and(u8::is_ascii_digit)
                && b.get(i + 1..i + 4)
                    .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                && !b.get(i + 4).is_some_and(u8::is_ascii_digit)
        }
        Some(&c) => is_token_byte(c),
        None => false,
    }
}

/// Calls `f(start, end, token)` for every token of `text[from..to]` holding an ASCII digit,
/// in order, with the trailing punctuation trimmed as `edm::token_spans` trims it.
pub(crate) fn digit_token_spans(
    text: &str,
    from: usize,
    to: usize,
    f: &mut dyn FnMut(usize, usize, &str),
) {
    let b = text.as_bytes();
    let to = to.min(b.len());
    let Some(region) = b.get(from..to) else {
        return;
    };
    let mut last_end = from;
    class_runs(region, 1, &DIGITS, |ds, _| {
        let d = from + ds;
        if d < last_end {
            return;
        }
        let mut s = d;
        while s > last_end && in_token(b, from, s - 1) {
            s -= 1;
        }
        let mut e = d;
        while e < to && in_token(b, from, e) {
            e += 1;
        }
        last_end = e;
        while e > s && matches!(b.get(e - 1), Some(b'.' | b'-' | b'\'' | b'_')) {
            e -= 1;
        }
        if let Some(t) = text.get(s..e) {
            f(s, e, t);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::edm::token_spans;

    #[test]
    fn same_spans_as_the_tokenizer_for_tokens_with_digits() {
        let alphabet: Vec<&str> = vec![
            "0",
            "1",
            "9",
            ",",
            ".",
            "-",
            "_",
            "'",
            "$",
            "@",
            "a",
            "Z",
            " ",
            "\n",
            "\u{e9}",
            "\"",
            "125,000",
            ",000",
            "1,23",
            "E1002",
            "$1,250,000.00",
        ];
        let mut seed = 5u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for round in 0..3000 {
            let len = 1 + next(if round % 10 == 0 { 400 } else { 40 });
            let text: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let n = text.len();
            let mut from = next(n + 1);
            let mut to = from + next(n + 1 - from);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            while !text.is_char_boundary(to) {
                to -= 1;
            }
            if round % 3 == 0 {
                (from, to) = (0, n);
            }
            let mut want = Vec::new();
            token_spans(&text, from, to, &mut |s, e, t| {
                if t.bytes().any(|c| c.is_ascii_digit()) {
                    want.push((s, e));
                }
            });
            let mut got = Vec::new();
            digit_token_spans(&text, from, to, &mut |s, e, _| got.push((s, e)));
            assert_eq!(got, want, "{text:?} {from}..{to}");
        }
    }
}
