//! Provider keys never travel back: every value of a credential the gateway holds (the keys it
//! injects into upstream requests) is replaced, by exact match, in every upstream response
//! string, body and header before relay. A streamed text is scrubbed with a hold-back of the
//! longest tail that could still begin a key, so a key split across events is caught too.

use http::HeaderMap;
use std::sync::Arc;

/// What a reflected key is replaced with.
pub(crate) const KEY_PLACEHOLDER: &str = "[REDACTED:provider_key]";

/// The key values to scrub (never logged, never printed).
#[derive(Clone, Default)]
pub(crate) struct KeyScrubber {
    keys: Arc<Vec<String>>,
}

impl std::fmt::Debug for KeyScrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyScrubber")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl KeyScrubber {
    /// A scrubber of `keys` (empty values are ignored: they would match everywhere).
    pub(crate) fn new(keys: impl IntoIterator<Item = String>) -> Self {
        let mut keys: Vec<String> = keys.into_iter().filter(|k| !k.is_empty()).collect();
        // Longest first, so a key that contains another is replaced whole.
        keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
        keys.dedup();
        Self {
            keys: Arc::new(keys),
        }
    }

    /// `s` with every key replaced; `None` when it holds none.
    pub(crate) fn scrub_str(&self, s: &str) -> Option<String> {
        if !self.keys.iter().any(|k| s.contains(k.as_str())) {
            return None;
        }
        let mut out = s.to_owned();
        for k in self.keys.iter() {
            out = out.replace(k.as_str(), KEY_PLACEHOLDER);
        }
        Some(out)
    }

    /// `bytes` with every key replaced (raw bodies, rendered events, object member names).
    pub(crate) fn scrub_bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let hit = |b: &[u8], k: &[u8]| b.windows(k.len()).position(|w| w == k);
        if !self.keys.iter().any(|k| hit(bytes, k.as_bytes()).is_some()) {
            return None;
        }
        let mut cur = bytes.to_vec();
        for k in self.keys.iter() {
            let k = k.as_bytes();
            let mut out = Vec::with_capacity(cur.len());
            let mut rest = cur.as_slice();
            while let Some(p) = hit(rest, k) {
                out.extend_from_slice(&rest[..p]);
                out.extend_from_slice(KEY_PLACEHOLDER.as_bytes());
                rest = &rest[p + k.len()..];
            }
            out.extend_from_slice(rest);
            cur = out;
        }
        Some(cur)
    }

    /// Replaces every header value that contains a key (a header cannot be partly trusted).
    /// Returns whether any was replaced.
    pub(crate) fn scrub_headers(&self, headers: &mut HeaderMap) -> bool {
        let mut changed = false;
        for v in headers.values_mut() {
            if let Some(clean) = self.scrub_bytes(v.as_bytes()) {
                *v = http::HeaderValue::from_bytes(&clean)
                    .unwrap_or_else(|_| http::HeaderValue::from_static(KEY_PLACEHOLDER));
                changed = true;
            }
        }
        changed
    }

    /// The length of the longest tail of `s` that is a proper prefix of some key (at a char
    /// boundary): text that may not be released until more of it arrives.
    fn pending_tail(&self, s: &str) -> usize {
        let mut best = 0;
        for k in self.keys.iter() {
            for l in (best + 1..k.len().min(s.len() + 1)).rev() {
                if k.is_char_boundary(l) && s.ends_with(&k[..l]) {
                    best = l;
                    break;
                }
            }
        }
        best
    }
}

/// Scrubs one streamed text: `push` returns what may be released, `finish` the rest.
#[derive(Debug)]
pub(crate) struct TextScrub {
    keys: KeyScrubber,
    held: String,
    /// How many keys were replaced so far.
    pub hits: usize,
}

impl TextScrub {
    /// A scrubber for one text.
    pub(crate) fn new(keys: KeyScrubber) -> Self {
        Self {
            keys,
            held: String::new(),
            hits: 0,
        }
    }

    /// Adds a fragment; returns the scrubbed text that can no longer be part of a key.
    pub(crate) fn push(&mut self, delta: &str) -> String {
        self.held.push_str(delta);
        if let Some(clean) = self.keys.scrub_str(&self.held) {
            self.hits += 1;
            self.held = clean;
        }
        let keep = self.keys.pending_tail(&self.held);
        let cut = self.held.len() - keep;
        let rest = self.held.split_off(cut);
        std::mem::replace(&mut self.held, rest)
    }

    /// End of the text: whatever is held (it did not complete a key).
    pub(crate) fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-test-KEY-123456";

    #[test]
    fn reflected_provider_key_is_replaced_in_strings_bytes_and_headers() {
        let s = KeyScrubber::new([KEY.to_owned(), String::new()]);
        assert_eq!(
            s.scrub_str(&format!("a {KEY} b")).unwrap(),
            format!("a {KEY_PLACEHOLDER} b")
        );
        assert!(s.scrub_str("nothing").is_none());
        assert_eq!(
            s.scrub_bytes(format!("{KEY}{KEY}").as_bytes()).unwrap(),
            format!("{KEY_PLACEHOLDER}{KEY_PLACEHOLDER}").into_bytes()
        );
        let mut h = HeaderMap::new();
        h.insert("x-echo", format!("Bearer {KEY}").parse().unwrap());
        assert!(s.scrub_headers(&mut h));
        assert!(!h["x-echo"].to_str().unwrap().contains(KEY));
    }

    #[test]
    fn reflected_provider_key_split_across_fragments_is_caught() {
        let s = KeyScrubber::new([KEY.to_owned()]);
        for split in 1..KEY.len() {
            let mut t = TextScrub::new(s.clone());
            let mut out = t.push(&format!("x{}", &KEY[..split]));
            out.push_str(&t.push(&format!("{}y", &KEY[split..])));
            out.push_str(&t.finish());
            assert_eq!(out, format!("x{KEY_PLACEHOLDER}y"), "split {split}");
        }
        let mut t = TextScrub::new(s);
        assert_eq!(t.push("plain text s"), "plain text ");
        assert_eq!(t.push("o"), "so");
    }
}
