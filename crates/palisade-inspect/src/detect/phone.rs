//! Phone-number candidates and their plausibility checks: international numbers (`+`, `00`,
//! `011` prefixes, E.164), North American 3-3-4 numbers, national numbers with a trunk `0`, and
//! bare digit runs (only next to a phone word), each with an optional extension (`x4587`).
//! A shape alone is not enough for digit runs: country code, length and NANP digit rules
//! decide whether a run can be dialled at all.

use palisade_core::Confidence;

/// An extension after the number: `x4587`, ` ext. 12`, `#301`.
macro_rules! ext {
    () => {
        r"(?:[ ]?(?:x|ext\.?|extn\.?|extension|#)[ ]?\d{1,6})?\b"
    };
}

/// Pattern order matters: leftmost-first, earlier patterns win at the same start.
pub(super) const PATTERNS: [&str; 5] = [
    // International: `+` / `00` / `011`, country code, up to six groups (`(0)` trunk allowed).
    concat!(
        r"(?:\+|\b00|\b011)[ .-]?\d{1,3}(?:[ .-]?\(0?\d{1,4}\)|[ .\-/]?\d{1,6}){1,6}",
        ext!()
    ),
    // North American 3-3-4, optionally with a leading `1`.
    concat!(
        r"(?:\b1[ .-]?)?(?:\(\d{3}\)[ .-]?|\b\d{3}[ .-])\d{3}[ .-]\d{4}",
        ext!()
    ),
    // National with a trunk zero: `(0151) 496 0123`, `030 12345678`, `01 23 45 67 89`.
    concat!(
        r"(?:\(0\d{1,4}\)|\b0\d{1,4})(?:[ ./-]?\d{2,8}){1,4}",
        ext!()
    ),
    // A bare NANP number with or without the leading 1 (context required).
    concat!(r"\b1?[2-9]\d{2}[2-9]\d{6}", ext!()),
    // Anything else shaped like digits in groups (context required).
    concat!(r"\b\d{2,5}(?:[ .-]\d{2,5}){2,4}", ext!()),
];

/// Patterns whose candidates may need a phone word near them to count.
pub(super) const NEEDS_CONTEXT: [usize; 3] = [2, 3, 4];

/// Words that say a number is a phone number.
pub(super) const CONTEXT: &[&str] = &[
    "phone",
    "tel",
    "telephone",
    "mobile",
    "cell",
    "call",
    "fax",
    "contact",
    "sms",
    "whatsapp",
    "reach",
    "dial",
    "ph",
    "mob",
    "landline",
    "hotline",
    "telefon",
    "telefono",
    "téléphone",
    "portable",
    "handy",
];

/// The digits of the number itself (an extension is cut off).
fn number_digits(v: &[u8]) -> Vec<u8> {
    let cut = v
        .iter()
        .position(|b| matches!(b, b'x' | b'e' | b'#'))
        .unwrap_or(v.len());
    v.get(..cut)
        .unwrap_or_default()
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect()
}

/// ITU-T E.164 country calling codes of one and two digits.
const CC2: &[u8] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];
/// Three-digit code zones that hold no assigned code (spare or reserved).
const CC3_SPARE: &[u16] = &[
    210, 214, 215, 217, 219, 259, 280, 281, 282, 283, 284, 285, 286, 287, 288, 289, 292, 293, 294,
    295, 296, 384, 422, 424, 425, 426, 427, 428, 429, 671, 684, 693, 694, 695, 696, 697, 698, 699,
    801, 802, 803, 804, 805, 806, 807, 809, 830, 831, 832, 833, 834, 835, 836, 837, 838, 839, 851,
    854, 857, 858, 859, 884, 885, 887, 889, 890, 891, 892, 893, 894, 895, 896, 897, 898, 899, 969,
    978, 990, 997, 999,
];

/// Length of the country code at the start of `d`, if `d` starts with an assigned one.
fn country_code_len(d: &[u8]) -> Option<usize> {
    let n = |k: usize| {
        d.get(..k)
            .map(|s| s.iter().fold(0u16, |a, &x| a * 10 + u16::from(x)))
    };
    match d.first()? {
        0 => None,
        1 | 7 => Some(1),
        _ => {
            let two = u8::try_from(n(2)?).ok()?;
            if CC2.contains(&two) {
                return Some(2);
            }
            let three = n(3)?;
            (!CC3_SPARE.contains(&three)).then_some(3)
        }
    }
}

/// NANP rules for a ten-digit national number: area code and exchange start with 2-9, and
/// the area code is not an N11 service code.
fn nanp_ok(d: &[u8]) -> bool {
    d.len() == 10
        && d.first().is_some_and(|&a| a >= 2)
        && d.get(3).is_some_and(|&e| e >= 2)
        && !(d.get(1) == Some(&1) && d.get(2) == Some(&1))
}

/// Calendar dates and times shaped like numbers in groups (`05.06.2023`, `2024-01-15`).
fn date_like(v: &[u8]) -> bool {
    let groups: Vec<&[u8]> = v
        .split(|b| !b.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let has = |c: u8| v.contains(&c);
    let dmy = lens.starts_with(&[2, 2, 4]) || lens.starts_with(&[4, 2, 2]);
    (dmy && (has(b'.') || has(b'/') || has(b'-'))) || has(b':')
}

/// One kind of separator between groups (parentheses aside): `030 1234-5678` is a shape no
/// one writes, ranges and lists are.
fn separators_consistent(v: &[u8]) -> bool {
    let mut kinds: Vec<u8> = v
        .iter()
        .copied()
        .take_while(|b| !matches!(b, b'x' | b'e' | b'#'))
        .filter(|b| matches!(b, b' ' | b'.' | b'-' | b'/'))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds.len() <= 1 || (kinds.len() == 2 && kinds.contains(&b' ') && v.contains(&b')'))
}

/// Whether the candidate matched by pattern `pattern` is a plausible phone number, and the
/// confidence it starts from (`None`: not a phone). `context` says a phone word is near.
pub(super) fn plausible(pattern: usize, v: &[u8], context: bool) -> Option<Confidence> {
    let d = number_digits(v);
    match pattern {
        0 => {
            let skip = if v.first() == Some(&b'+') {
                0
            } else if v.starts_with(b"011") {
                3
            } else {
                2
            };
            let trunk = usize::from(memchr::memmem::find(v, b"(0)").is_some());
            let rest = d.get(skip..).unwrap_or_default();
            let cc = country_code_len(rest)?;
            let nsn = rest.len().saturating_sub(cc + trunk);
            let national = rest.get(cc + trunk..).unwrap_or_default();
            let len_ok = if rest.first() == Some(&1) {
                nsn == 10
            } else {
                (6..=13).contains(&nsn) && rest.len() <= 16
            };
            let compact = !v.iter().skip(1).any(|b| !b.is_ascii_digit());
            // A compact run must also follow its plan's digit rules: a random run rarely does.
            let plan_ok = !(compact && rest.first() == Some(&1) && !nanp_ok(national));
            (len_ok && plan_ok && !date_like(v)).then_some(if v.first() == Some(&b'+') {
                Confidence::Medium
            } else {
                Confidence::Low
            })
        }
        1 => {
            let national = if d.len() == 11 {
                d.get(1..).unwrap_or_default()
            } else {
                &d
            };
            (national.len() == 10 && !date_like(v)).then_some(Confidence::Low)
        }
        2 => {
            let compact = v.iter().all(u8::is_ascii_digit);
            let ok = (9..=12).contains(&d.len())
                && d.get(1).is_some_and(|&x| x != 0)
                && !date_like(v)
                && separators_consistent(v)
                && (context || !compact);
            ok.then_some(Confidence::Low)
        }
        3 => {
            let national = if d.len() == 11 {
                d.get(1..).unwrap_or_default()
            } else {
                &d
            };
            (context && nanp_ok(national)).then_some(Confidence::Low)
        }
        _ => (context && (7..=15).contains(&d.len()) && !date_like(v) && separators_consistent(v))
            .then_some(Confidence::Low),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_checked() {
        assert_eq!(country_code_len(&[4, 4, 2, 0]), Some(2));
        assert_eq!(country_code_len(&[1, 4, 1, 5]), Some(1));
        assert_eq!(country_code_len(&[3, 5, 3, 1]), Some(3));
        assert_eq!(country_code_len(&[2, 1, 0, 5]), None);
        assert_eq!(country_code_len(&[0, 4, 4]), None);
    }

    #[test]
    fn nanp_rules_reject_random_runs() {
        assert!(nanp_ok(&[4, 1, 5, 5, 5, 5, 2, 6, 7, 1]));
        assert!(!nanp_ok(&[1, 7, 0, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!nanp_ok(&[4, 1, 5, 0, 5, 5, 2, 6, 7, 1]));
        assert!(!nanp_ok(&[9, 1, 1, 5, 5, 5, 2, 6, 7, 1]));
    }

    #[test]
    fn dates_are_not_phones() {
        assert!(date_like(b"05.06.2023"));
        assert!(date_like(b"2024-01-15"));
        assert!(!date_like(b"030 12345678"));
    }
}
