//! IP addresses as personal data: IPv4 dotted quads and IPv6 (parsed by `std::net`, so only
//! real addresses count), with version strings, OIDs and documentation ranges left out, and
//! private, loopback and link-local addresses marked as less sensitive than public ones.

use palisade_core::Severity;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 dotted quad, or a run of hex groups and colons that may be IPv6 (the parser decides).
pub(super) const PATTERNS: [&str; 2] = [
    r"\b(?:\d{1,3}\.){3}\d{1,3}\b",
    r"(?:[0-9A-Fa-f]{1,4})?(?:::?[0-9A-Fa-f]{1,4}){2,7}(?:::)?|::[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){1,6}",
];

/// Words before a dotted quad that make it a version or an identifier, not an address.
const NOT_ADDRESS: &[&str] = &[
    "version",
    "ver",
    "v",
    "release",
    "build",
    "oid",
    "assembly",
    "fileversion",
];

/// Whether `hay[start..end]` is an address and how sensitive it is (`None`: not an address).
pub(super) fn classify(hay: &[u8], start: usize, end: usize, v4: bool) -> Option<Severity> {
    let v = std::str::from_utf8(hay.get(start..end)?).ok()?;
    let before = start.checked_sub(1).and_then(|i| hay.get(i)).copied();
    let after = hay.get(end).copied();
    let next = hay.get(end + 1).copied();
    let ip: IpAddr = if v4 {
        // Part of a longer dotted run (`1.3.6.1.4.1`, `10.0.0.1.2`) is an OID or a version.
        let dotted_on =
            |b: Option<u8>, n: Option<u8>| b == Some(b'.') && n.is_some_and(|c| c.is_ascii_digit());
        let prev = start.checked_sub(2).and_then(|i| hay.get(i)).copied();
        if dotted_on(after, next) || dotted_on(before, prev) || before == Some(b'v') {
            return None;
        }
        // The word just before it (`Version=`, `ver `), at most three separator bytes away.
        let pre = hay.get(start.saturating_sub(24)..start)?;
        let word_end = pre
            .iter()
            .rposition(u8::is_ascii_alphabetic)
            .map_or(0, |i| i + 1);
        let word_start = pre
            .get(..word_end)?
            .iter()
            .rposition(|b| !b.is_ascii_alphabetic())
            .map_or(0, |i| i + 1);
        let word = pre.get(word_start..word_end)?.to_ascii_lowercase();
        let near = pre.len() - word_end <= 3;
        if near && NOT_ADDRESS.iter().any(|w| word == w.as_bytes()) {
            return None;
        }
        IpAddr::V4(v.parse::<Ipv4Addr>().ok()?)
    } else {
        // IPv6 needs enough structure that `a::b` in code (Rust/C++ paths) is not read as one.
        let word = |b: Option<u8>| b.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
        let groups = v.split(':').filter(|g| !g.is_empty()).count();
        let digits = v.bytes().any(|b| b.is_ascii_digit());
        if word(before) || word(after) || !digits || (groups < 3 && !v.contains("::")) {
            return None;
        }
        if v.contains("::") && groups < 2 {
            return None;
        }
        IpAddr::V6(v.parse::<Ipv6Addr>().ok()?)
    };
    sensitivity(ip)
}

/// Documentation and unspecified addresses are not data; internal ones say less than public.
fn sensitivity(ip: IpAddr) -> Option<Severity> {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            let doc = matches!(o, [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]);
            if doc || a.is_unspecified() || a.is_broadcast() {
                None
            } else if a.is_private() || a.is_loopback() || a.is_link_local() {
                Some(Severity::Low)
            } else {
                Some(Severity::Medium)
            }
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            let doc = s.first() == Some(&0x2001) && s.get(1) == Some(&0x0db8);
            if doc || a.is_unspecified() {
                None
            } else if a.is_loopback()
                || s.first()
                    .is_some_and(|&x| (x & 0xfe00) == 0xfc00 || (x & 0xffc0) == 0xfe80)
            {
                Some(Severity::Low)
            } else {
                Some(Severity::Medium)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classifies the span between `[` and `]`, with the brackets removed from the text.
    fn c(t: &str, v4: bool) -> Option<Severity> {
        let s = t.find('[').unwrap();
        let e = t.find(']').unwrap() - 1;
        let plain = t.replace(['[', ']'], "");
        classify(plain.as_bytes(), s, e, v4)
    }

    #[test]
    fn addresses_and_look_alikes() {
        assert_eq!(c("from [81.2.69.160] at", true), Some(Severity::Medium));
        assert_eq!(c("host [10.1.2.3] up", true), Some(Severity::Low));
        assert_eq!(c("doc [192.0.2.10] only", true), None);
        assert_eq!(c("Version=[1.0.0.0], Culture", true), None);
        assert_eq!(c("oid 1.3.[6.1.4.1].311", true), None);
        assert_eq!(c("bad [300.1.2.3] x", true), None);
        assert_eq!(
            c("v6 [2a03:2880:f10c:83:face:b00c:0:25de] x", false),
            Some(Severity::Medium)
        );
        assert_eq!(
            c("v6 [fe80::1ff:fe23:4567:890a] x", false),
            Some(Severity::Low)
        );
        assert_eq!(c("doc [2001:db8::1] x", false), None);
        assert_eq!(c("time [12:30:45] x", false), None);
    }
}
