//! Structured personal data: e-mail, phone numbers, US SSN (range-checked), payment cards (Luhn
//! and issuer prefix) and IBAN (mod-97). Context words around a candidate raise or lower its
//! confidence, so `SSN: 123-45-6789` and `test fixture 123-45-6789` are weighed differently.

use super::secrets::compile_ascii;
use crate::normalize::masks::MaskClass;
use crate::normalize::TextMasks;
use crate::InspectError;
use palisade_core::Confidence;
use regex_automata::{meta, Input};

/// A PII candidate that passed its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiiHit {
    /// Detector id (`pii-email`, `pii-us-ssn`, ...).
    pub id: &'static str,
    /// Start of the value.
    pub start: usize,
    /// End of the value (exclusive).
    pub end: usize,
    /// Confidence after context.
    pub confidence: Confidence,
}

/// Compiled PII patterns.
pub struct PiiScanner {
    email: meta::Regex,
    numbers: meta::Regex,
}

impl std::fmt::Debug for PiiScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiScanner")
    }
}

const EMAIL: &str =
    r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b";
/// Pattern order matters: leftmost-first, earlier patterns win at the same start.
const NUMBERS: [&str; 5] = [
    r"\b\d{3}[- ]\d{2}[- ]\d{4}\b",
    r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
    r"\b\d(?:[ -]?\d){12,18}\b",
    r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b|\+\d{1,3}(?:[ .-]?\d{2,4}){2,5}\b",
    r"\b\d{9}\b",
];

const CTX_SSN: &[&str] = &["ssn", "social security", "social sec", "taxpayer", "tin"];
const CTX_CARD: &[&str] = &[
    "card",
    "visa",
    "mastercard",
    "amex",
    "credit",
    "debit",
    "payment",
    "pan",
];
const CTX_PHONE: &[&str] = &[
    "phone", "tel", "mobile", "cell", "call", "fax", "contact", "sms",
];
const CTX_IBAN: &[&str] = &["iban", "account", "bank", "transfer", "wire"];
const CTX_NEG: &[&str] = &[
    "test",
    "example",
    "sample",
    "fake",
    "dummy",
    "mock",
    "version",
    "uuid",
    "build",
    "timestamp",
    "0x",
];

fn context(hay: &[u8], start: usize, end: usize) -> Vec<u8> {
    let s = start.saturating_sub(48);
    let e = (end + 24).min(hay.len());
    let mut v = hay.get(s..start).unwrap_or_default().to_vec();
    v.push(b' ');
    v.extend_from_slice(hay.get(end..e).unwrap_or_default());
    v.to_ascii_lowercase()
}

fn has_any(ctx: &[u8], words: &[&str]) -> bool {
    words.iter().any(|w| {
        let mut from = 0;
        while let Some(p) = ctx
            .get(from..)
            .and_then(|c| memchr::memmem::find(c, w.as_bytes()))
        {
            let at = from + p;
            let before = at.checked_sub(1).and_then(|i| ctx.get(i));
            let after = ctx.get(at + w.len());
            let word_char = |c: Option<&u8>| c.is_some_and(u8::is_ascii_alphanumeric);
            if !word_char(before) && !word_char(after) {
                return true;
            }
            from = at + 1;
        }
        false
    })
}

fn adjust(base: Confidence, ctx: &[u8], positive: &[&str]) -> Option<Confidence> {
    let up = has_any(ctx, positive);
    let down = has_any(ctx, CTX_NEG);
    Some(match (base, up, down) {
        (c, true, false) => raise(c),
        (Confidence::Low, false, true) => return None,
        (c, false, true) => lower(c),
        (c, _, _) => c,
    })
}

fn raise(c: Confidence) -> Confidence {
    match c {
        Confidence::Low => Confidence::Medium,
        _ => Confidence::High,
    }
}

fn lower(c: Confidence) -> Confidence {
    match c {
        Confidence::High => Confidence::Medium,
        _ => Confidence::Low,
    }
}

/// Windows around runs of two or more digits (every number pattern contains one), merged; the
/// number regex only runs inside them, so prose and code without numbers cost one byte loop.
/// Digit runs come from `masks` when the decoder already classified this text.
fn number_windows(hay: &[u8], masks: Option<&TextMasks>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let window = |s: usize, i: usize| {
        let (ws, we) = (s.saturating_sub(24), (i + 48).min(hay.len()));
        match out.last_mut() {
            Some(last) if ws <= last.1 => last.1 = last.1.max(we),
            _ => out.push((ws, we)),
        }
    };
    match masks.filter(|m| m.len() == hay.len()) {
        Some(m) => m.runs(MaskClass::Digits, 0, hay.len(), 2, window),
        None => crate::normalize::runs::class_runs(hay, 2, &crate::normalize::runs::DIGITS, window),
    }
    out
}

fn digits(v: &[u8]) -> Vec<u8> {
    v.iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect()
}

/// US SSN validity: area not 000, 666 or 9xx; group not 00; serial not 0000; not the
/// well-known advertising numbers.
pub fn ssn_valid(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let n = |r: std::ops::Range<usize>| {
        d.get(r)
            .unwrap_or_default()
            .iter()
            .fold(0u32, |a, &x| a * 10 + u32::from(x))
    };
    let (area, group, serial) = (n(0..3), n(3..5), n(5..9));
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !matches!(
            (area, group, serial),
            (78, 5, 1120) | (219, 9, 9999) | (123, 45, 6789)
        )
}

/// Luhn checksum over digits.
pub fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    matches!(sum % 10, 0)
}

fn card_issuer_ok(d: &[u8]) -> bool {
    let p = |n: usize| {
        d.get(..n)
            .unwrap_or_default()
            .iter()
            .fold(0u32, |a, &x| a * 10 + u32::from(x))
    };
    let len = d.len();
    (d.first() == Some(&4) && matches!(len, 13 | 16 | 19))
        || ((51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4))) && len == 16
        || matches!(p(2), 34 | 37) && len == 15
        || (p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3))) && (16..=19).contains(&len)
        || (3528..=3589).contains(&p(4)) && (16..=19).contains(&len)
        || matches!(p(2), 36 | 38 | 30) && (14..=19).contains(&len)
}

/// IBAN mod-97 check (ISO 13616) on an IBAN without spaces.
pub fn iban_valid(iban: &[u8]) -> bool {
    if !(15..=34).contains(&iban.len()) {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem: u32 = 0;
    for &c in tail.iter().chain(head) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

impl PiiScanner {
    /// Compiles the patterns.
    pub fn new() -> Result<Self, InspectError> {
        let numbers = meta::Regex::builder()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .configure(meta::Config::new().utf8_empty(false))
            .build_many(&NUMBERS)
            .map_err(|e| InspectError::Pattern {
                id: "pii-numbers".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            email: compile_ascii("pii-email", EMAIL)?,
            numbers,
        })
    }

    /// Finds PII in `text`.
    pub fn scan(&self, text: &str) -> Vec<PiiHit> {
        self.scan_with_masks(text, None)
    }

    /// Finds PII in `text`, reading digit runs off `masks` (the masks of `text` that decoding
    /// computed) when given, instead of classifying the text again. Same hits as `scan`.
    pub fn scan_with_masks(&self, text: &str, masks: Option<&TextMasks>) -> Vec<PiiHit> {
        let hay = text.as_bytes();
        let mut out = Vec::new();
        self.emails(hay, &mut out);
        for (ws, we) in number_windows(hay, masks) {
            self.numbers_in(hay, ws, we, &mut out);
        }
        out
    }

    fn numbers_in(&self, hay: &[u8], ws: usize, we: usize, out: &mut Vec<PiiHit>) {
        for m in self.numbers.find_iter(Input::new(hay).span(ws..we)) {
            let (s, e) = (m.start(), m.end());
            let v = hay.get(s..e).unwrap_or_default();
            let ctx = context(hay, s, e);
            let hit = |id, c: Option<Confidence>| {
                c.map(|confidence| PiiHit {
                    id,
                    start: s,
                    end: e,
                    confidence,
                })
            };
            let found = match m.pattern().as_usize() {
                0 => {
                    let sep_ok = v.get(3) == v.get(6);
                    (sep_ok && ssn_valid(&digits(v)))
                        .then(|| hit("pii-us-ssn", adjust(Confidence::Medium, &ctx, CTX_SSN)))
                        .flatten()
                }
                1 => {
                    let compact: Vec<u8> = v.iter().copied().filter(|b| *b != b' ').collect();
                    iban_valid(&compact)
                        .then(|| hit("pii-iban", adjust(Confidence::High, &ctx, CTX_IBAN)))
                        .flatten()
                }
                2 => {
                    let d = digits(v);
                    let seps: Vec<u8> = v.iter().copied().filter(|b| !b.is_ascii_digit()).collect();
                    let consistent = seps.windows(2).all(|w| w.first() == w.get(1));
                    (consistent && card_issuer_ok(&d) && luhn(&d))
                        .then(|| {
                            hit(
                                "pii-payment-card",
                                adjust(Confidence::Medium, &ctx, CTX_CARD),
                            )
                        })
                        .flatten()
                }
                3 => {
                    let n = digits(v).len();
                    ((10..=15).contains(&n))
                        .then(|| hit("pii-phone", adjust(Confidence::Low, &ctx, CTX_PHONE)))
                        .flatten()
                }
                _ => (has_any(&ctx, CTX_SSN) && ssn_valid(&digits(v)))
                    .then(|| hit("pii-us-ssn", adjust(Confidence::Medium, &ctx, CTX_SSN)))
                    .flatten(),
            };
            out.extend(found);
        }
    }

    fn emails(&self, hay: &[u8], out: &mut Vec<PiiHit>) {
        let mut last_end = 0;
        for at in memchr::memchr_iter(b'@', hay) {
            if at < last_end {
                continue;
            }
            let s = at.saturating_sub(64).max(last_end);
            let e = (at + 256).min(hay.len());
            let Some(m) = self.email.find(Input::new(hay).span(s..e)) else {
                continue;
            };
            if m.start() > at || m.end() <= at {
                continue;
            }
            last_end = m.end();
            let v = hay
                .get(m.start()..m.end())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let domain = v.rsplit(|b| *b == b'@').next().unwrap_or_default();
            let doc_domain = matches!(
                domain,
                b"example.com" | b"example.org" | b"example.net" | b"localhost.localdomain"
            ) || domain.ends_with(b".example")
                || domain.ends_with(b".invalid")
                || domain.ends_with(b".test");
            if doc_domain {
                continue;
            }
            out.push(PiiHit {
                id: "pii-email",
                start: m.start(),
                end: m.end(),
                confidence: Confidence::High,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &PiiScanner, t: &str) -> Vec<(&'static str, Confidence)> {
        s.scan(t)
            .into_iter()
            .map(|h| (h.id, h.confidence))
            .collect()
    }

    #[test]
    fn true_and_false_positives_per_kind() {
        let s = PiiScanner::new().unwrap();
        let cases: &[(&str, Option<&str>)] = &[
            ("mail jane.doe@acme-corp.com now", Some("pii-email")),
            ("mail user@example.com now", None),
            ("SSN: 536-22-8107", Some("pii-us-ssn")),
            ("SSN: 666-22-8107", None),
            ("ssn 536228107", Some("pii-us-ssn")),
            ("order 536228107", None),
            ("card 4539 1488 0343 6467 exp", Some("pii-payment-card")),
            ("card 4539 1488 0343 6468 exp", None),
            ("IBAN GB82 WEST 1234 5698 7654 32", Some("pii-iban")),
            ("IBAN GB82 WEST 1234 5698 7654 33", None),
            ("phone: (415) 555-2671", Some("pii-phone")),
            ("version 1.2.3", None),
        ];
        for (text, want) in cases {
            let got = ids(&s, text);
            match want {
                Some(id) => assert!(got.iter().any(|(g, _)| g == id), "{text}: {got:?}"),
                None => assert!(got.is_empty(), "{text}: {got:?}"),
            }
        }
    }

    #[test]
    fn context_moves_confidence() {
        let s = PiiScanner::new().unwrap();
        let with = ids(&s, "SSN: 536-22-8107");
        let plain = ids(&s, "ref 536-22-8107");
        let neg = ids(&s, "test fixture 536-22-8107");
        assert_eq!(with, vec![("pii-us-ssn", Confidence::High)]);
        assert_eq!(plain, vec![("pii-us-ssn", Confidence::Medium)]);
        assert_eq!(neg, vec![("pii-us-ssn", Confidence::Low)]);
        assert!(iban_valid(b"DE89370400440532013000"));
        assert!(luhn(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
    }

    #[test]
    fn digit_runs_from_the_decoders_masks_give_the_same_hits() {
        let s = PiiScanner::new().unwrap();
        let parts = [
            "SSN: 536-22-8107 ",
            "card 4539 1488 0343 6467 ",
            "IBAN GB82 WEST 1234 5698 7654 32 ",
            "(415) 555-2671 ",
            "v1.2.3 ",
            "x7 ",
            "fn main() { let n = 42; } ",
            "a\u{e9}b ",
        ];
        let mut seed = 11u64;
        for _ in 0..300 {
            let mut t = String::new();
            while t.len() < 600 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                t.push_str(parts[(seed >> 33) as usize % parts.len()]);
            }
            let masks = TextMasks::new(t.as_bytes());
            let with = s.scan_with_masks(&t, Some(&masks));
            assert_eq!(with, s.scan(&t));
            // Masks of another text are ignored rather than misread.
            assert_eq!(s.scan_with_masks(&t, Some(&TextMasks::new(b"12"))), with);
        }
    }
}
