//! Unicode normalization of one text: NFKC, with every default-ignorable character removed
//! (zero-width, bidi controls, variation selectors, Hangul fillers, tags: they hide or split
//! text) and UTS #39 confusables folded to ASCII, recording an offset map to the original.

use super::confusables::fold;
use super::offsets::OffsetMap;
use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

/// Characters that render as nothing or reorder text: stripped before matching.
///
/// Provenance: the `Default_Ignorable_Code_Point` ranges of the Unicode Character Database
/// (`DerivedCoreProperties.txt`, Unicode 15.1 to 18.0 unchanged; the test
/// `invisible_set_is_every_default_ignorable_code_point` checks them against the
/// unicode-security tables), plus the bidi embedding/override controls that property already
/// holds and U+2028/U+2029, which many renderers draw as nothing (issue 13).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{061C}'                    // Arabic letter mark
        | '\u{115F}'..='\u{1160}'       // Hangul choseong/jungseong fillers
        | '\u{17B4}'..='\u{17B5}'       // Khmer inherent vowels
        | '\u{180B}'..='\u{180F}'       // Mongolian free variation selectors, vowel separator
        | '\u{200B}'..='\u{200F}'       // zero width space/non-joiner/joiner, LRM, RLM
        | '\u{2028}'..='\u{2029}'       // line and paragraph separators (not DICP)
        | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, isolates, deprecated
        | '\u{3164}'                    // Hangul filler
        | '\u{FE00}'..='\u{FE0F}'       // variation selectors 1-16
        | '\u{FEFF}'                    // zero width no-break space (BOM)
        | '\u{FFA0}'                    // halfwidth Hangul filler
        | '\u{FFF0}'..='\u{FFF8}'       // unassigned, reserved default-ignorable
        | '\u{1BCA0}'..='\u{1BCA3}'     // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}'     // musical symbol format controls
        | '\u{E0000}'..='\u{E0FFF}') // tag characters, variation selectors 17-256, reserved
}

/// Invisible characters that ordinary text does not carry, the hidden-text signal of the
/// injection detector: every invisible character except the joiners and presentation
/// selectors of emoji (ZWJ, U+FE0E, U+FE0F), the byte-order mark and the
/// line/paragraph separators.
pub fn hides_text(c: char) -> bool {
    is_invisible(c)
        && !matches!(
            c,
            '\u{200D}' | '\u{FE0E}' | '\u{FE0F}' | '\u{FEFF}' | '\u{2028}' | '\u{2029}'
        )
}

/// Result of normalizing one text.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// NFKC text without invisible characters, confusables folded.
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
        // Lookalikes fold after NFKC, which already maps fullwidth and compatibility forms.
        out.extend(cluster.nfkc().map(|d| fold(d).unwrap_or(d)));
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
pub(crate) mod tests {
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

    /// Every character from `from` on, without planes 4-13 (unassigned) and 15-16 (private
    /// use), which hold neither confusables nor default-ignorables: a fifth of the work.
    pub(crate) fn assigned_planes(from: u32) -> impl Iterator<Item = char> {
        (from..0x4_0000)
            .chain(0xE_0000..0xF_0000)
            .filter_map(char::from_u32)
    }

    #[test]
    fn invisible_set_is_every_default_ignorable_code_point() {
        // UTS #39 skeletons drop exactly the default-ignorable code points, so an empty
        // skeleton is the unicode-security crate's Default_Ignorable_Code_Point table.
        for c in assigned_planes(0) {
            let dicp = unicode_security::skeleton(c.encode_utf8(&mut [0; 4]))
                .next()
                .is_none();
            let separator = matches!(c, '\u{2028}' | '\u{2029}');
            assert_eq!(is_invisible(c), dicp || separator, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn lookalikes_fold_and_map_back_to_their_bytes() {
        let s = "r\u{43e}adm\u{430}\u{440}"; // Cyrillic о, а, р among Latin letters
        let n = normalize(s);
        assert_eq!(n.text, "roadmap");
        let (a, b) = n.map.to_orig(0, n.text.len());
        assert_eq!((a, b), (0, s.len()));
        let (a, b) = n.map.to_orig(5, 6);
        assert_eq!(&s[a..b], "\u{430}");
    }

    #[test]
    fn ascii_is_identity() {
        let n = normalize("plain");
        assert!(n.map.is_identity());
        assert_eq!(n.text, "plain");
    }
}
