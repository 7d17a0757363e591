//! PEP 440 versions, the subset advisory matching needs, ordered exactly as `packaging` does:
//! epoch, release (trailing zeros ignored), pre-release (a < b < rc), post, dev, local.

use std::cmp::Ordering;

/// A parsed PEP 440 version. Equality follows the ordering (`1.0 == 1.0.0`).
#[derive(Debug, Clone)]
pub struct Pep440 {
    epoch: u64,
    release: Vec<u64>,
    /// (kind 0=a 1=b 2=rc, number)
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<LocalPart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LocalPart {
    Num(u64),
    Str(String),
}

impl Ord for LocalPart {
    fn cmp(&self, other: &Self) -> Ordering {
        // Numeric segments sort after alphanumeric ones (PEP 440 local version ordering).
        match (self, other) {
            (Self::Num(a), Self::Num(b)) => a.cmp(b),
            (Self::Str(a), Self::Str(b)) => a.cmp(b),
            (Self::Num(_), Self::Str(_)) => Ordering::Greater,
            (Self::Str(_), Self::Num(_)) => Ordering::Less,
        }
    }
}
impl PartialOrd for LocalPart {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reads a run of digits starting at `*i`.
fn number(s: &[u8], i: &mut usize) -> Option<u64> {
    let start = *i;
    while s.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    std::str::from_utf8(s.get(start..*i)?).ok()?.parse().ok()
}

fn skip_sep(s: &[u8], i: &mut usize) {
    if matches!(s.get(*i), Some(b'.' | b'-' | b'_')) {
        *i += 1;
    }
}

fn eat(s: &[u8], i: &mut usize, words: &[&str]) -> bool {
    for w in words {
        if s.get(*i..*i + w.len()).is_some_and(|x| x == w.as_bytes()) {
            *i += w.len();
            return true;
        }
    }
    false
}

impl Pep440 {
    /// Parses (normalizing case, `v` prefix, separators and spelled-out pre-release words).
    pub fn parse(input: &str) -> Option<Self> {
        let lower = input.trim().to_ascii_lowercase();
        let (main, local) = match lower.split_once('+') {
            Some((m, l)) => (m.to_owned(), Some(l.to_owned())),
            None => (lower, None),
        };
        let s = main.strip_prefix('v').unwrap_or(&main).as_bytes();
        let mut i = 0;
        let mut epoch = 0;
        let first = number(s, &mut i)?;
        let mut release = vec![first];
        if s.get(i) == Some(&b'!') {
            i += 1;
            epoch = first;
            release = vec![number(s, &mut i)?];
        }
        while s.get(i) == Some(&b'.') && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            release.push(number(s, &mut i)?);
        }
        let mut v = Self {
            epoch,
            release,
            pre: None,
            post: None,
            dev: None,
            local: Vec::new(),
        };
        // pre-release
        let save = i;
        skip_sep(s, &mut i);
        let kind = if eat(s, &mut i, &["alpha", "a"]) {
            Some(0)
        } else if eat(s, &mut i, &["beta", "b"]) {
            Some(1)
        } else if eat(s, &mut i, &["rc", "c", "preview", "pre"]) {
            Some(2)
        } else {
            None
        };
        match kind {
            Some(k) => {
                skip_sep(s, &mut i);
                v.pre = Some((k, number(s, &mut i).unwrap_or(0)));
            }
            None => i = save,
        }
        // post-release: `.post1`, `-1`
        let save = i;
        if s.get(i) == Some(&b'-') && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            v.post = number(s, &mut i);
        } else {
            skip_sep(s, &mut i);
            if eat(s, &mut i, &["post", "rev", "r"]) {
                skip_sep(s, &mut i);
                v.post = Some(number(s, &mut i).unwrap_or(0));
            } else {
                i = save;
            }
        }
        let save = i;
        skip_sep(s, &mut i);
        if eat(s, &mut i, &["dev"]) {
            skip_sep(s, &mut i);
            v.dev = Some(number(s, &mut i).unwrap_or(0));
        } else {
            i = save;
        }
        if i != s.len() {
            return None;
        }
        if let Some(l) = local {
            for part in l.split(['.', '-', '_']) {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return None;
                }
                v.local.push(match part.parse() {
                    Ok(n) => LocalPart::Num(n),
                    Err(_) => LocalPart::Str(part.to_owned()),
                });
            }
        }
        Some(v)
    }

    fn trimmed_release(&self) -> &[u64] {
        let mut end = self.release.len();
        while end > 1 && self.release.get(end - 1) == Some(&0) {
            end -= 1;
        }
        self.release.get(..end).unwrap_or(&self.release)
    }

    /// Sort key of the pre/post/dev segments, following packaging's `_cmpkey`.
    fn suffix_key(&self) -> (i8, u8, u64, i8, u64, i8, u64) {
        // pre: a dev-only release sorts before any pre-release; no pre sorts after all.
        let (p0, p1, p2) = match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => (-1, 0, 0),
            (None, _, _) => (1, 0, 0),
            (Some((k, n)), _, _) => (0, k, n),
        };
        let (q0, q1) = self.post.map_or((-1, 0), |n| (0, n));
        let (d0, d1) = self.dev.map_or((1, 0), |n| (0, n));
        (p0, p1, p2, q0, q1, d0, d1)
    }
}

impl Ord for Pep440 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.trimmed_release().cmp(other.trimmed_release()))
            .then_with(|| self.suffix_key().cmp(&other.suffix_key()))
            .then_with(|| self.local.cmp(&other.local))
    }
}
impl PartialEq for Pep440 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pep440 {}
impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Pep440 {
        Pep440::parse(s).unwrap_or_else(|| panic!("parse {s}"))
    }

    #[test]
    fn ordering_matches_pep440_examples() {
        // The canonical ordering example from PEP 440 ("Summary of permitted suffixes and relative ordering").
        let ordered = [
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.5",
        ];
        for w in ordered.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn normalization() {
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("1.0").cmp(&v("1.0.0")), Ordering::Equal);
        assert_eq!(v("1.0-ALPHA.1").cmp(&v("1.0a1")), Ordering::Equal);
        assert_eq!(v("1.0-1").cmp(&v("1.0.post1")), Ordering::Equal);
        assert_eq!(v("v1.82.8").cmp(&v("1.82.8")), Ordering::Equal);
        assert!(Pep440::parse("1.0+").is_none());
        assert!(Pep440::parse("banana").is_none());
        assert!(v("1.82.10") > v("1.82.8"));
    }
}
