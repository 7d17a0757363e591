//! RFC 8785 JSON Canonicalization Scheme (JCS) for pinning tool definitions: object members
//! sorted by their UTF-16 code units, no whitespace, strings with only the escapes JSON
//! requires, and numbers written as ECMAScript's `Number.prototype.toString` writes the IEEE
//! double they denote. Two servers that send the same definition with different key order,
//! spacing, escapes or number spelling get one hash; any change of meaning gets another.

use serde_json::{Number, Value};
use std::cmp::Ordering;

/// The canonical text of `v`.
pub fn canonicalize(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut members: Vec<(&String, &Value)> = m.iter().collect();
            members.sort_by(|a, b| utf16_cmp(a.0, b.0));
            out.push('{');
            for (i, (k, x)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(x, out);
            }
            out.push('}');
        }
    }
}

/// JCS sorts by UTF-16 code units, which differs from UTF-8/code point order above U+FFFF.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// serde_json writes strings exactly as JCS §3.2.2.2 asks: `\"`, `\\`, the short escapes
/// `\b \t \n \f \r`, `\u00xx` (lowercase hex) for other controls, everything else literal.
fn write_string(s: &str, out: &mut String) {
    // Serializing a str cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// 2^53: integers up to this magnitude are exact doubles and print as themselves.
const EXACT: u64 = 1 << 53;

fn number(n: &Number) -> String {
    if let Some(u) = n.as_u64() {
        if u <= EXACT {
            return u.to_string();
        }
    }
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= EXACT {
            return i.to_string();
        }
    }
    // Larger integers denote the double they round to, as in ECMAScript.
    es_number(n.as_f64().unwrap_or(0.0))
}

/// ECMAScript `Number::toString` (ECMA-262 §6.1.6.1.20) for a finite double, from Rust's
/// shortest round-trip digits.
pub fn es_number(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned(); // also -0
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.push_str(&"0".repeat((n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&(n - 1).abs().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    //! Vectors from RFC 8785 itself: §3.2.2 (the sample object), §3.2.3 (sorting) and
    //! Appendix B (IEEE 754 bit patterns and their ECMAScript text).
    use super::*;
    use crate::strict_json;

    #[test]
    fn rfc8785_sample_object() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let v = strict_json::parse(input.as_bytes(), 1 << 16).unwrap();
        assert_eq!(
            canonicalize(&v),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn rfc8785_sorting_by_utf16_code_units() {
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let v = strict_json::parse(input.as_bytes(), 1 << 16).unwrap();
        // Compare positions in the canonical text itself (a re-parsed map could re-sort).
        let c = canonicalize(&v);
        let pos = |k: &str| {
            c.find(&format!("{}:", serde_json::to_string(k).unwrap()))
                .unwrap()
        };
        let want = [
            "\r",
            "1",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ];
        for w in want.windows(2) {
            assert!(pos(w[0]) < pos(w[1]), "{:?} before {:?} in {c}", w[0], w[1]);
        }
    }

    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: [(u64, &str); 14] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x0010000000000000, "2.2250738585072014e-308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
        ];
        for (bits, want) in cases {
            assert_eq!(es_number(f64::from_bits(bits)), want, "{bits:#x}");
        }
    }

    #[test]
    fn same_meaning_same_text_and_large_integers_round() {
        let a = strict_json::parse(br#"{"b": [1, 2.0, 1e2], "a": "x"}"#, 1 << 10).unwrap();
        let b = strict_json::parse(br#"{"a":"\u0078","b":[1,2,100]}"#, 1 << 10).unwrap();
        assert_eq!(canonicalize(&a), canonicalize(&b));
        let big = strict_json::parse(b"18446744073709551615", 100).unwrap();
        assert_eq!(canonicalize(&big), "18446744073709552000");
    }
}
