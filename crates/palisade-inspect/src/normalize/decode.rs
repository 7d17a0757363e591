//! Finds base64, hex, percent-encoded runs and JSON string escapes in a text and decodes those
//! that turn out to be readable text, so secrets and documents hidden behind an encoding are
//! scanned too. Bounded: the caller limits depth and total decoded bytes.

use super::masks::{MaskClass, TextMasks};
use super::offsets::OffsetMap;
use base64::Engine as _;

/// One decoded run: where it sits in the parent text and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Start of the encoded run in the parent text.
    pub start: usize,
    /// End of the encoded run (exclusive).
    pub end: usize,
    /// The decoded text.
    pub text: String,
    /// Where each stretch of `text` came from in `start..end` (offsets relative to `start`),
    /// for decodings that keep positions (JSON escapes); `None`: every byte maps to the whole
    /// run.
    pub map: Option<OffsetMap>,
}

const MIN_B64: usize = 16;
const MIN_HEX: usize = 16;
const MAX_PERCENT_RUN: usize = 4096;

/// Decoded bytes count as text when they are UTF-8 and almost all printable.
fn readable(bytes: Vec<u8>) -> Option<String> {
    let s = String::from_utf8(bytes).ok()?;
    if s.is_ascii() {
        // The same count as below, by bytes (one char per byte).
        let total = s.len();
        let ok = s
            .bytes()
            .filter(|c| !c.is_ascii_control() || matches!(c, b'\n' | b'\r' | b'\t'))
            .count();
        return (total >= 4 && ok * 100 >= total * 95).then_some(s);
    }
    let total = s.chars().count();
    if total < 4 {
        return None;
    }
    let ok = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .count();
    (ok * 100 >= total * 95).then_some(s)
}

fn b64_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    }))
}

/// Cheap rejection before decoding a whole run: the first 4 characters must decode to 3 bytes
/// that can start readable text (printable ASCII, whitespace or UTF-8 lead/continuation bytes).
/// Identifiers such as `HashMapIterator` fail here without an allocation.
fn prefix_readable(run: &[u8]) -> bool {
    let mut v: u32 = 0;
    for c in run.iter().take(4) {
        match b64_value(*c) {
            Some(x) => v = (v << 6) | x,
            None => return false,
        }
    }
    v.to_be_bytes()
        .iter()
        .skip(1)
        .all(|b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e | 0x80..=0xf4))
}

fn decode_b64(run: &[u8]) -> Option<Vec<u8>> {
    let trimmed: &[u8] = {
        let mut end = run.len();
        while end > 0 && run.get(end - 1) == Some(&b'=') {
            end -= 1;
        }
        run.get(..end)?
    };
    let url = trimmed.iter().any(|b| matches!(b, b'-' | b'_'));
    let std = trimmed.iter().any(|b| matches!(b, b'+' | b'/'));
    if url && std {
        return None;
    }
    let engine = if url {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    // The first 32 characters decode to the first 24 bytes of any successful decoding of the
    // run; an invalid UTF-8 sequence there means `readable` refuses the result anyway, so
    // long runs of random bytes (keys, hashes) are given up on before the full decode.
    if let Some(head) = trimmed.get(..32).filter(|_| trimmed.len() > 64) {
        let bytes = engine.decode(head).ok()?;
        if std::str::from_utf8(&bytes).is_err_and(|e| e.error_len().is_some()) {
            return None;
        }
    }
    engine.decode(trimmed).ok()
}

fn looks_encoded(run: &[u8]) -> bool {
    // Identifiers (snake_case, one case only) are far more common than base64 in code; real
    // base64 of text mixes cases or digits.
    let upper = run.iter().any(u8::is_ascii_uppercase);
    let lower = run.iter().any(u8::is_ascii_lowercase);
    let digit = run.iter().any(u8::is_ascii_digit);
    (upper && lower) || (digit && (upper || lower))
}

/// Base64 (standard or URL-safe) runs that decode to readable text.
pub fn base64_runs(text: &str, out: &mut Vec<Decoded>) {
    let m = TextMasks::new(text.as_bytes());
    m.runs(MaskClass::Base64, 0, text.len(), MIN_B64, |s, e| {
        base64_run(text, s, e, out)
    });
}

/// Hex runs (even length) that decode to readable text.
pub fn hex_runs(text: &str, out: &mut Vec<Decoded>) {
    let m = TextMasks::new(text.as_bytes());
    m.runs(MaskClass::Base64, 0, text.len(), MIN_HEX, |s, e| {
        hex_run(text, s, e, out)
    });
}

/// Base64 and hex in one pass over the masks of `text` (what `Layers::build` uses). Runs of
/// base64-class characters of at least 16 bytes (hex is a subset) are read off the masks, so
/// short runs (ordinary identifiers) cost only their share of a block's bits.
pub fn encoded_runs(text: &str, masks: &TextMasks, out: &mut Vec<Decoded>) {
    masks.runs(
        MaskClass::Base64,
        0,
        text.len(),
        MIN_HEX.min(MIN_B64),
        |s, e| {
            if e - s >= MIN_B64 {
                base64_run(text, s, e, out);
            }
            hex_run(text, s, e, out);
        },
    );
}

fn base64_run(text: &str, start: usize, mut end: usize, out: &mut Vec<Decoded>) {
    let b = text.as_bytes();
    let mut pad = 0;
    while pad < 2 && b.get(end) == Some(&b'=') {
        end += 1;
        pad += 1;
    }
    let run = b.get(start..end).unwrap_or_default();
    if prefix_readable(run) && looks_encoded(run) {
        if let Some(s) = decode_b64(run).and_then(readable) {
            out.push(Decoded {
                start,
                end,
                text: s,
                map: None,
            });
        }
    }
}

/// Hex sub-runs of a base64-class run (hex is a subset of the class).
fn hex_run(text: &str, s: usize, e: usize, out: &mut Vec<Decoded>) {
    let run = text.as_bytes().get(s..e).unwrap_or_default();
    super::runs::class_runs(run, MIN_HEX, &super::runs::HEX, |a, b| {
        let (start, len) = (s + a, (b - a) & !1);
        if let Some(t) = text
            .as_bytes()
            .get(start..start + len)
            .and_then(hex_utf8)
            .and_then(readable)
        {
            out.push(Decoded {
                start,
                end: start + len,
                text: t,
                map: None,
            });
        }
    });
}

/// Hex-decodes an even-length run of hex digits, giving up as soon as the bytes decoded so far
/// contain an invalid UTF-8 sequence (`readable` would refuse the whole anyway). Hashes and
/// keys in source code are random bytes and fail within a few bytes.
fn hex_utf8(run: &[u8]) -> Option<Vec<u8>> {
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(run.len() / 2);
    let mut checked = 0;
    for (i, pair) in run.chunks(2).enumerate() {
        let &[h, l] = pair else {
            return None;
        };
        out.push((nib(h)? << 4) | nib(l)?);
        if i % 8 == 7 {
            match std::str::from_utf8(out.get(checked..).unwrap_or_default()) {
                Ok(_) => checked = out.len(),
                Err(e) if e.error_len().is_some() => return None,
                Err(e) => checked += e.valid_up_to(),
            }
        }
    }
    Some(out)
}

/// Whitespace-delimited runs with at least two `%XX` escapes, percent-decoded.
pub fn percent_runs(text: &str, out: &mut Vec<Decoded>) {
    let b = text.as_bytes();
    let mut pos = 0;
    while let Some(off) = memchr::memchr(b'%', b.get(pos..).unwrap_or_default()) {
        let p = pos + off;
        // Runs are bounded (MAX_PERCENT_RUN each side) so text with many `%` stays linear.
        let lo = p.saturating_sub(MAX_PERCENT_RUN).max(pos);
        let hi = (p + MAX_PERCENT_RUN).min(b.len());
        let start = b
            .get(lo..p)
            .and_then(|h| {
                h.iter()
                    .rposition(|c| c.is_ascii_whitespace() || *c == b'"')
            })
            .map_or(lo, |x| lo + x + 1);
        let end = b
            .get(p..hi)
            .and_then(|t| t.iter().position(|c| c.is_ascii_whitespace() || *c == b'"'))
            .map_or(hi, |x| p + x);
        let run = b.get(start..end).unwrap_or_default();
        let mut decoded = Vec::with_capacity(run.len());
        let mut escapes = 0;
        let mut j = 0;
        while j < run.len() {
            let hexpair = run.get(j + 1..j + 3).and_then(|h| {
                std::str::from_utf8(h)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            });
            match (run.get(j), hexpair) {
                (Some(b'%'), Some(v)) => {
                    decoded.push(v);
                    escapes += 1;
                    j += 3;
                }
                (Some(b'+'), _) => {
                    decoded.push(b' ');
                    j += 1;
                }
                (Some(c), _) => {
                    decoded.push(*c);
                    j += 1;
                }
                (None, _) => break,
            }
        }
        if escapes >= 2 {
            if let Some(s) = readable(decoded) {
                out.push(Decoded {
                    start,
                    end,
                    text: s,
                    map: None,
                });
            }
        }
        pos = end.max(p + 1);
    }
}

/// JSON string contents shorter than this are not worth a layer of their own.
const MIN_JSON: usize = 16;

/// The JSON string contents of `text` that hold escapes (`\n`, `\"`, `\\`, `\uXXXX`, ...),
/// unescaped, as one decoding that keeps positions: a private key or a document inside a JSON
/// string that is itself inside JSON text (tool arguments, a config pasted as a string) reads
/// as it was written. Contents are the stretches between unescaped `"` (the whole text when
/// there is none); one counts only when it is a valid JSON string body (valid escapes, no raw
/// control characters), which source code, prose and Windows paths almost never are. The
/// contents are joined with `\n`, so one decoding (one layer) covers all of them.
pub fn json_runs(text: &str, out: &mut Vec<Decoded>) {
    let b = text.as_bytes();
    if memchr::memchr(b'\\', b).is_none() {
        return;
    }
    let mut joined = String::new();
    let mut map = OffsetMap::default();
    let mut first: Option<usize> = None;
    let mut last_end = 0;
    let mut seg_start = 0;
    let mut i = 0;
    while i <= b.len() {
        match b.get(i) {
            Some(b'\\') => i += 2,
            Some(b'"') | None => {
                let end = i.min(b.len());
                if end >= seg_start + MIN_JSON {
                    let seg = b.get(seg_start..end).unwrap_or_default();
                    let base = *first.get_or_insert(seg_start);
                    let n0 = joined.len();
                    let mut m = OffsetMap::default();
                    if memchr::memchr(b'\\', seg).is_some() && unescape(seg, &mut joined, &mut m) {
                        if n0 > 0 {
                            // The separator maps to nothing of the original.
                            map.push_opaque(n0 - 1, last_end - base, last_end - base);
                        }
                        map.append_shifted(&m, n0, seg_start - base);
                        joined.push('\n');
                        last_end = end;
                    } else {
                        joined.truncate(n0);
                        if n0 == 0 {
                            first = None;
                        }
                    }
                }
                seg_start = end + 1;
                i = end + 1;
            }
            Some(_) => i += 1,
        }
    }
    joined.pop();
    let Some(start) = first.filter(|_| !joined.is_empty()) else {
        return;
    };
    map.set_orig_len(last_end - start);
    if let Some(text) = readable(joined.into_bytes()) {
        out.push(Decoded {
            start,
            end: last_end,
            text,
            map: Some(map),
        });
    }
}

/// Appends the unescaped JSON string body `seg` to `out` and its offsets (relative to `seg`)
/// to `map`; `false` (and `out` untouched) when `seg` is not a valid body.
fn unescape(seg: &[u8], out: &mut String, map: &mut OffsetMap) -> bool {
    let mut bytes = Vec::with_capacity(seg.len());
    let mut i = 0;
    let mut lit = 0;
    while i < seg.len() {
        let Some(&c) = seg.get(i) else { break };
        if c < 0x20 {
            return false;
        }
        if c != b'\\' {
            i += 1;
            continue;
        }
        if i > lit {
            map.push_linear(bytes.len(), lit, i - lit);
            bytes.extend_from_slice(seg.get(lit..i).unwrap_or_default());
        }
        let (ch, len) = match seg.get(i + 1) {
            Some(b'n') => ('\n', 2),
            Some(b't') => ('\t', 2),
            Some(b'r') => ('\r', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'"') => ('"', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'/') => ('/', 2),
            Some(b'u') => match unicode_escape(seg.get(i..).unwrap_or_default()) {
                Some(x) => x,
                None => return false,
            },
            _ => return false,
        };
        map.push_opaque(bytes.len(), i, i + len);
        bytes.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
        i += len;
        lit = i;
    }
    if seg.len() > lit {
        map.push_linear(bytes.len(), lit, seg.len() - lit);
        bytes.extend_from_slice(seg.get(lit..).unwrap_or_default());
    }
    match String::from_utf8(bytes) {
        Ok(s) => {
            out.push_str(&s);
            true
        }
        Err(_) => false,
    }
}

/// `\uXXXX` (or a `\uD8xx\uDCxx` surrogate pair) at the start of `s`: the character and the
/// escape's length.
fn unicode_escape(s: &[u8]) -> Option<(char, usize)> {
    let hex4 = |h: &[u8]| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok();
    let hi = hex4(s.get(2..6)?)?;
    if (0xD800..0xDC00).contains(&hi) {
        if s.get(6..8)? != b"\\u" {
            return None;
        }
        let lo = hex4(s.get(8..12)?)?;
        if !(0xDC00..0xE000).contains(&lo) {
            return None;
        }
        let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
        return Some((c, 12));
    }
    Some((char::from_u32(hi)?, 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_base64_runs_decode_only_when_readable() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let text = "a long readable sentence that is certainly more than forty-eight bytes long";
        let random: Vec<u8> = (0u32..90).map(|i| (i * 97 + 13) as u8).collect();
        for (enc, want) in [
            (STANDARD.encode(text), Some(text.to_owned())),
            (URL_SAFE_NO_PAD.encode(text), Some(text.to_owned())),
            (STANDARD.encode(&random), None),
        ] {
            assert!(enc.len() > 64);
            let plain = decode_plain(enc.as_bytes()).and_then(readable);
            assert_eq!(plain, want);
            assert_eq!(
                decode_b64(enc.as_bytes()).and_then(readable),
                plain,
                "{enc}"
            );
        }
    }

    /// `decode_b64` without the early exit.
    fn decode_plain(run: &[u8]) -> Option<Vec<u8>> {
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
        let t = std::str::from_utf8(run).ok()?.trim_end_matches('=');
        let url = t.contains(['-', '_']);
        let e = if url {
            &URL_SAFE_NO_PAD
        } else {
            &STANDARD_NO_PAD
        };
        e.decode(t).ok()
    }

    #[test]
    fn early_utf8_exit_agrees_with_full_decoding() {
        let cases = [
            hex::encode("plain readable text, long enough to pass several checks"),
            hex::encode("caf\u{e9} na\u{ef}ve \u{1F600} emoji"),
            "deadbeefcafebabe00112233445566778899aabbccddeeff".into(),
            hex::encode(
                [b'a'; 15]
                    .iter()
                    .chain(&[0xe2, 0x82])
                    .copied()
                    .collect::<Vec<u8>>(),
            ),
            "00112233445566778899AABBCCDDEEFF".into(),
        ];
        for c in cases {
            let full = hex::decode(&c).ok().and_then(readable);
            assert_eq!(hex_utf8(c.as_bytes()).and_then(readable), full, "{c}");
        }
    }

    #[test]
    fn json_escapes_decode_with_exact_offsets() {
        let text = r#"{"note": "line one\nline \"two\" \u00e9t\u00e9", "k": "short\n", "x": "no escapes here at all"}"#;
        let mut out = Vec::new();
        json_runs(text, &mut out);
        assert_eq!(out.len(), 1);
        let d = &out[0];
        assert_eq!(d.text, "line one\nline \"two\" \u{e9}t\u{e9}");
        let m = d.map.as_ref().unwrap();
        let two = d.text.find("two").unwrap();
        let (a, b) = m.to_orig(two, two + 3);
        assert_eq!(&text[d.start + a..d.start + b], "two");
        let (a, b) = m.to_orig(two - 1, two);
        assert_eq!(&text[d.start + a..d.start + b], "\\\"");
        // Not JSON string bodies: an invalid escape, a raw newline.
        for t in [
            r"C:\Users\new folder\table.txt",
            "a longer line\\n with\na raw newline",
        ] {
            let mut out = Vec::new();
            json_runs(t, &mut out);
            assert!(out.is_empty(), "{t}");
        }
    }

    #[test]
    fn decodes_base64_hex_and_percent_text_only() {
        let enc = base64::engine::general_purpose::STANDARD.encode("the secret plan is here");
        let text = format!("x {enc} y deadbeefcafebabe0011223344556677 snake_case_identifier_name");
        let mut out = Vec::new();
        base64_runs(&text, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text, "the secret plan is here");
        assert_eq!(&text[out[0].start..out[0].end], enc);

        let mut out = Vec::new();
        hex_runs(
            "k=68656c6c6f20776f726c642121 h=deadbeefcafebabe00112233",
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text, "hello world!!");

        let mut out = Vec::new();
        percent_runs("q=AKIA%20key%3Dvalue done", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text, "q=AKIA key=value");
        assert_eq!(out[0].start, 0);
    }
}
