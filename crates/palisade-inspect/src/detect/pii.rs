//! Structured personal data: e-mail, phone numbers (`phone`), US SSN (range-checked), payment
//! cards (Luhn and every issuer range), IBAN (length and mod-97, any case, `iban`) and IP
//! addresses (`ip_addr`). Context words around a candidate raise or lower its confidence, so
//! `SSN: 123-45-6789` and `test fixture 123-45-6789` are weighed differently.

pub use super::iban::iban_valid;
use super::secrets::compile_ascii;
use super::{ip_addr, phone};
use crate::normalize::masks::MaskClass;
use crate::normalize::TextMasks;
use crate::InspectError;
use palisade_core::{Confidence, Severity};
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
    /// Severity (IP addresses: internal ones are less sensitive than public ones).
    pub severity: Severity,
}

/// Compiled PII patterns.
pub struct PiiScanner {
    email: meta::Regex,
    numbers: meta::Regex,
    phones: meta::Regex,
    ips: meta::Regex,
}

impl std::fmt::Debug for PiiScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiScanner")
    }
}

const EMAIL: &str =
    r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b";
/// Pattern order matters: leftmost-first, earlier patterns win at the same start.
/// Phones and IP addresses are separate searches: a candidate one pattern rejects (a phone
/// that is no card) must still be seen by the others.
const NUMBERS: [&str; 4] = [
    r"\b\d{3}[- ]\d{2}[- ]\d{4}\b",
    r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?\b",
    r"\b\d(?:[ -]?\d){11,18}\b",
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
const CTX_IP: &[&str] = &[
    "ip", "ipv4", "ipv6", "address", "addr", "host", "client", "from",
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

/// Search windows (start, end) for each costlier search, merged.
#[derive(Debug, Default)]
struct Windows {
    /// Around every run of two or more digits (cards, IBANs, SSNs).
    numbers: Vec<(usize, usize)>,
    /// Around a run of seven digits, or three runs starting within 12 bytes (`415-555-2671`;
    /// `+33 1 23 45 67 89` has runs of two): the least any phone number has.
    phones: Vec<(usize, usize)>,
    /// Around a run next to a `.` or `:` (`10.0.0.1`, `2a03:2880::`).
    ips: Vec<(usize, usize)>,
}

fn push_merged(v: &mut Vec<(usize, usize)>, ws: usize, we: usize) {
    match v.last_mut() {
        Some(last) if ws <= last.1 => last.1 = last.1.max(we),
        _ => v.push((ws, we)),
    }
}

/// Windows around runs of two or more digits (every number pattern contains one), merged; the
/// number regexes only run inside them, so prose and code without numbers cost one byte loop.
/// Digit runs come from `masks` when the decoder already classified this text.
fn number_windows(hay: &[u8], masks: Option<&TextMasks>) -> Windows {
    let mut out = Windows::default();
    // Starts of the two runs before this one.
    let mut recent = [usize::MAX; 2];
    let window = |s: usize, i: usize| {
        let end = |n: usize| (i + n).min(hay.len());
        push_merged(&mut out.numbers, s.saturating_sub(24), end(48));
        let first = recent.first().copied().unwrap_or(usize::MAX);
        let grouped = first != usize::MAX && s - first <= 12;
        recent = [recent.get(1).copied().unwrap_or(usize::MAX), s];
        if i - s >= 7 || grouped {
            let from = if grouped { first } else { s };
            push_merged(&mut out.phones, from.saturating_sub(24), end(24));
        }
        let sep = |b: Option<&u8>| matches!(b, Some(b'.' | b':'));
        if sep(hay.get(i)) || sep(s.checked_sub(1).and_then(|k| hay.get(k))) {
            push_merged(&mut out.ips, s.saturating_sub(40), end(40));
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

/// Issuer identification ranges (ISO/IEC 7812 as the networks publish them) and the lengths
/// each issues. Maestro's 50 and 56-69 cover Discover, UnionPay, RuPay, Mir-less 6x ranges.
pub fn card_issuer_ok(d: &[u8]) -> bool {
    let p = |n: usize| {
        d.get(..n)
            .unwrap_or_default()
            .iter()
            .fold(0u32, |a, &x| a * 10 + u32::from(x))
    };
    let len = d.len();
    let visa = d.first() == Some(&4) && matches!(len, 13 | 16 | 19);
    let mastercard = ((51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4))) && len == 16;
    let amex = matches!(p(2), 34 | 37) && len == 15;
    let maestro_discover_unionpay =
        (p(2) == 50 || (56..=69).contains(&p(2))) && (12..=19).contains(&len);
    let jcb = ((3528..=3589).contains(&p(4)) && (16..=19).contains(&len))
        || (matches!(p(4), 1800 | 2131) && len == 15);
    let diners = matches!(p(2), 30 | 36 | 38 | 39) && (14..=19).contains(&len);
    let mir = (2200..=2204).contains(&p(4)) && (16..=19).contains(&len);
    let rupay_troy = (matches!(p(2), 81 | 82) || p(4) == 9792) && len == 16;
    let uatp = d.first() == Some(&1) && len == 15;
    visa || mastercard
        || amex
        || maestro_discover_unionpay
        || jcb
        || diners
        || mir
        || rupay_troy
        || uatp
}

/// Compiles a set of ASCII-only patterns searched together (leftmost-first).
fn compile_set(id: &str, patterns: &[&str]) -> Result<meta::Regex, InspectError> {
    meta::Regex::builder()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .unicode(false)
                .utf8(false),
        )
        .configure(meta::Config::new().utf8_empty(false))
        .build_many(patterns)
        .map_err(|e| InspectError::Pattern {
            id: id.into(),
            message: e.to_string(),
        })
}

fn overlaps(out: &[PiiHit], s: usize, e: usize) -> bool {
    out.iter().any(|h| h.start < e && s < h.end)
}

impl PiiScanner {
    /// Compiles the patterns.
    pub fn new() -> Result<Self, InspectError> {
        Ok(Self {
            email: compile_ascii("pii-email", EMAIL)?,
            numbers: compile_set("pii-numbers", &NUMBERS)?,
            phones: compile_set("pii-phone", &phone::PATTERNS)?,
            ips: compile_set("pii-ip-address", &ip_addr::PATTERNS)?,
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
        let w = number_windows(hay, masks);
        // Checksummed kinds first: a card or IBAN is not also a phone or an address.
        for &(ws, we) in &w.numbers {
            self.numbers_in(hay, ws, we, &mut out);
        }
        for &(ws, we) in &w.phones {
            self.phones_in(hay, ws, we, &mut out);
        }
        for &(ws, we) in &w.ips {
            self.ips_in(hay, ws, we, &mut out);
        }
        out.sort_by_key(|h| (h.start, h.end));
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
                    severity: Severity::High,
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
                    // Twelve-digit Maestro numbers are as long as many order ids: only with a
                    // card word near.
                    let long_enough = d.len() >= 13 || has_any(&ctx, CTX_CARD);
                    (consistent && long_enough && card_issuer_ok(&d) && luhn(&d))
                        .then(|| {
                            hit(
                                "pii-payment-card",
                                adjust(Confidence::Medium, &ctx, CTX_CARD),
                            )
                        })
                        .flatten()
                }
                _ => (has_any(&ctx, CTX_SSN) && ssn_valid(&digits(v)))
                    .then(|| hit("pii-us-ssn", adjust(Confidence::Medium, &ctx, CTX_SSN)))
                    .flatten(),
            };
            out.extend(found);
        }
    }

    fn phones_in(&self, hay: &[u8], ws: usize, we: usize, out: &mut Vec<PiiHit>) {
        for m in self.phones.find_iter(Input::new(hay).span(ws..we)) {
            let (s, e) = (m.start(), m.end());
            if overlaps(out, s, e) {
                continue;
            }
            let v = hay.get(s..e).unwrap_or_default();
            // Most candidates in code fail on shape alone: read the context only when needed.
            let pattern = m.pattern().as_usize();
            let base = match phone::plausible(pattern, v, false) {
                Some(b) => Some(b),
                None if phone::NEEDS_CONTEXT.contains(&pattern) => {
                    phone::plausible(pattern, v, has_any(&context(hay, s, e), phone::CONTEXT))
                }
                None => None,
            };
            let Some(base) = base else {
                continue;
            };
            let ctx = context(hay, s, e);
            if let Some(confidence) = adjust(base, &ctx, phone::CONTEXT) {
                out.push(PiiHit {
                    id: "pii-phone",
                    start: s,
                    end: e,
                    confidence,
                    severity: Severity::Medium,
                });
            }
        }
    }

    fn ips_in(&self, hay: &[u8], ws: usize, we: usize, out: &mut Vec<PiiHit>) {
        for m in self.ips.find_iter(Input::new(hay).span(ws..we)) {
            let (s, e) = (m.start(), m.end());
            if overlaps(out, s, e) {
                continue;
            }
            let Some(severity) = ip_addr::classify(hay, s, e, m.pattern().as_usize() == 0) else {
                continue;
            };
            let ctx = context(hay, s, e);
            if let Some(confidence) = adjust(Confidence::Medium, &ctx, CTX_IP) {
                out.push(PiiHit {
                    id: "pii-ip-address",
                    start: s,
                    end: e,
                    confidence,
                    severity,
                });
            }
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
                severity: Severity::Medium,
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

    fn found(s: &PiiScanner, t: &str, id: &str) -> bool {
        s.scan(t).iter().any(|h| h.id == id)
    }

    fn luhn_fix(prefix: &str, len: usize) -> String {
        let mut d: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        let mut x = 3u8;
        while d.len() < len - 1 {
            x = x.wrapping_mul(7).wrapping_add(5);
            d.push(x % 10);
        }
        d.push(0);
        let check = (0..10u8)
            .find(|c| {
                *d.last_mut().unwrap() = *c;
                luhn(&d)
            })
            .unwrap();
        *d.last_mut().unwrap() = check;
        d.iter().map(|x| char::from(b'0' + x)).collect()
    }

    #[test]
    fn phone_formats_with_extensions_prefixes_and_national_forms() {
        let s = PiiScanner::new().unwrap();
        for t in [
            "call 415-555-2671x4587 today",
            "reach me at 001-415-555-2671 please",
            "(415)555-2671 x123",
            "+1-415-555-2671",
            "+14155552671",
            "+44 20 7946 0958",
            "+44 (0)20 7946 0958",
            "Tel: 030 12345678",
            "01 23 45 67 89",
            "(0151) 496 0123",
            "+49 30 901820",
            "0044 20 7946 0958",
            "phone 4155552671",
            "415.555.2671 ext. 12",
        ] {
            assert!(found(&s, t, "pii-phone"), "{t}: {:?}", s.scan(t));
        }
    }

    #[test]
    fn random_digit_runs_dates_and_versions_are_not_phones() {
        let s = PiiScanner::new().unwrap();
        for t in [
            "order 4155552671 shipped",
            "ts 1700000000123",
            "build 2024-01-15 done",
            "on 05.06.2023 14:30",
            "+0 1234 5678",
            "+210 5555 5555",
            "phone 1234567890",
            "version 1.2.3",
            "range 0-100 200",
            "id 0123456789",
        ] {
            assert!(!found(&s, t, "pii-phone"), "{t}: {:?}", s.scan(t));
        }
    }

    #[test]
    fn every_issuer_range_with_luhn() {
        let s = PiiScanner::new().unwrap();
        for (prefix, len) in [
            ("4", 16),
            ("51", 16),
            ("2221", 16),
            ("37", 15),
            ("6011", 16),
            ("50", 16),
            ("56", 16),
            ("6759", 18),
            ("69", 19),
            ("3530", 16),
            ("2131", 15),
            ("1800", 15),
            ("36", 14),
            ("2200", 16),
            ("62", 19),
        ] {
            let n = luhn_fix(prefix, len);
            let t = format!("card {n} exp 04/29");
            assert!(found(&s, &t, "pii-payment-card"), "{t}");
            let bad = format!(
                "{}{}",
                &n[..len - 1],
                (n.as_bytes()[len - 1] - b'0' + 1) % 10
            );
            assert!(
                !found(&s, &format!("card {bad} exp"), "pii-payment-card"),
                "{bad}"
            );
        }
        // Twelve-digit Maestro only with a card word near.
        let twelve = luhn_fix("50", 12);
        assert!(found(
            &s,
            &format!("maestro card {twelve}"),
            "pii-payment-card"
        ));
        assert!(!found(&s, &format!("order {twelve}"), "pii-payment-card"));
    }

    #[test]
    fn window_gates_pass_every_shape_they_guard() {
        let gates = |t: &str| {
            let w = number_windows(t.as_bytes(), None);
            (!w.phones.is_empty(), !w.ips.is_empty())
        };
        assert_eq!(gates("call 415-555-2671x4587"), (true, false));
        assert!(gates("+33 1 23 45 67 89").0);
        assert!(gates("+14155552671").0);
        assert!(!gates("let a = 10;\nlet b = 20;\nlet c = 30;\nlet d = 40;").0);
        assert!(gates("host 10.0.0.12 up").1);
        assert!(gates("fe80::1ff:fe23").1);
        assert!(!gates("x = 42; y = 77").1);
    }

    #[test]
    fn iban_in_any_case() {
        let s = PiiScanner::new().unwrap();
        assert!(found(&s, "iban gb82west12345698765432", "pii-iban"));
        assert!(found(&s, "pay to de89 3704 0044 0532 0130 00", "pii-iban"));
        assert!(!found(&s, "pay to de89 3704 0044 0532 0130 01", "pii-iban"));
    }

    #[test]
    fn ip_addresses_are_their_own_detector_with_internal_ones_less_severe() {
        let s = PiiScanner::new().unwrap();
        let hit = |t: &str| s.scan(t).into_iter().find(|h| h.id == "pii-ip-address");
        assert_eq!(
            hit("client 81.2.69.160 logged in").map(|h| h.severity),
            Some(Severity::Medium)
        );
        assert_eq!(
            hit("host 10.0.0.12 up").map(|h| h.severity),
            Some(Severity::Low)
        );
        assert_eq!(
            hit("peer 127.0.0.1:8080").map(|h| h.severity),
            Some(Severity::Low)
        );
        assert!(hit("from 2a03:2880:f10c:83:face:b00c:0:25de").is_some());
        assert!(hit("docs 192.0.2.44 and 2001:db8::12").is_none());
        assert!(hit("Version=4.0.0.0, Culture=neutral").is_none());
        assert!(hit("oid 1.3.6.1.4.1.311.21.8").is_none());
        assert!(hit("std::vec::Vec<u8> and a::b::c12").is_none());
        assert!(hit("at 12:30:45 and mac 00:1a:2b:3c:4d:5e").is_none());
    }
}
