//! Unicode normalization of one text: NFKC, with zero-width, bidirectional-control and tag
//! characters removed (they hide or disguise text), recording an offset map to the original.

use super::offsets::OffsetMap;
use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

/// Characters that render as nothing or reorder text: stripped before matching.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}')
}

/// Result of normalizing one text.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// NFKC text without invisible characters.
    pub text: String,
    /// Map back to the input.
    pub map: OffsetMap,
    /// How many invisible characters were removed (a hidden-text signal for injection).
    pub invisible: usize,
}

/// Normalizes `input`; ASCII input is returned unchanged with an identity map.
pub fn normalize(input: &str) -> Normalized {
    if input.is_ascii() {
        return Normalized {
            text: input.to_owned(),
            map: OffsetMap::identity(input.len()),
            invisible: 0,
        };
    }
    let mut out = String::with_capacity(input.len());
    let mut map = OffsetMap::default();
    let mut invisible = 0usize;
    let bytes = input.as_bytes();
    let len = input.len();
    let rest = |i: usize| input.get(i..).unwrap_or("");
    let mut i = 0;
    while i < len {
        // Bulk-copy ASCII runs; only non-ASCII clusters pay for NFKC.
        let run_end = bytes
            .get(i..)
            .and_then(|b| b.iter().position(|c| !c.is_ascii()))
            .map_or(len, |p| i + p);
        if run_end > i {
            // A combining mark after the run composes with its last character: leave that
            // character to start the cluster below.
            let next_combines = rest(run_end)
                .chars()
                .next()
                .is_some_and(|d| canonical_combining_class(d) != 0);
            let lin_end = if next_combines { run_end - 1 } else { run_end };
            if lin_end > i {
                map.push_linear(out.len(), i, lin_end - i);
                out.push_str(input.get(i..lin_end).unwrap_or(""));
            }
            i = lin_end;
            if i >= len {
                break;
            }
        }
        let Some(c) = rest(i).chars().next() else {
            break;
        };
        if is_invisible(c) {
            invisible += 1;
            i += c.len_utf8();
            continue;
        }
        // A cluster is a starter plus its combining marks: NFKC composes within it, so the
        // whole cluster maps to its original bytes.
        let mut end = i + c.len_utf8();
        while let Some(d) = rest(end).chars().next() {
            if canonical_combining_class(d) == 0 || is_invisible(d) {
                break;
            }
            end += d.len_utf8();
        }
        let cluster = input.get(i..end).unwrap_or_default();
        let n_start = out.len();
        out.extend(cluster.nfkc());
        if out.get(n_start..) == Some(cluster) {
            map.push_linear(n_start, i, cluster.len());
        } else if out.len() > n_start {
            map.push_opaque(n_start, i, end);
        }
        i = end;
    }
    map.set_orig_len(input.len());
    Normalized {
        text: out,
        map,
        invisible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_invisible_and_folds_compatibility_forms() {
        let s = "A\u{200B}KIA\u{202E}ｘ e\u{301}";
        let n = normalize(s);
        assert_eq!(n.text, "AKIAx é");
        assert_eq!(n.invisible, 2);
        // "x" came from the fullwidth letter at bytes 10..13 of the input.
        let x = n.text.find('x').unwrap();
        let (a, b) = n.map.to_orig(x, x + 1);
        assert_eq!(&s[a..b], "ｘ");
        let (a, b) = n.map.to_orig(0, 4);
        assert_eq!(&s[a..b], "A\u{200B}KIA");
    }

    #[test]
    fn ascii_is_identity() {
        let n = normalize("plain");
        assert!(n.map.is_identity());
        assert_eq!(n.text, "plain");
    }
}
