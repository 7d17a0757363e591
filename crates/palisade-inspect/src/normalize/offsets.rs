//! The offset map from normalized text back to the original leaf bytes, so that a finding or a
//! redaction computed on NFKC/stripped text lands on the right bytes of what the client sent.

/// One stretch of normalized text and the original bytes it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seg {
    /// Start in normalized text.
    n_start: usize,
    /// Start in original text.
    o_start: usize,
    /// End in original text (exclusive).
    o_end: usize,
    /// Whether the stretch is byte-for-byte unchanged (so positions inside map linearly).
    linear: bool,
}

/// Maps byte ranges of normalized text to byte ranges of the original.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetMap {
    /// Empty means identity.
    segs: Vec<Seg>,
    /// Length of the original text.
    orig_len: usize,
}

impl OffsetMap {
    /// The identity map of a text of `len` bytes.
    pub fn identity(len: usize) -> Self {
        Self {
            segs: Vec::new(),
            orig_len: len,
        }
    }

    /// Whether the map is the identity.
    pub fn is_identity(&self) -> bool {
        self.segs.is_empty()
    }

    /// Appends an unchanged stretch.
    pub(crate) fn push_linear(&mut self, n_start: usize, o_start: usize, len: usize) {
        if let Some(last) = self.segs.last_mut() {
            // Merge adjacent linear runs so ASCII-heavy text stays a handful of segments.
            if last.linear
                && last.o_end == o_start
                && last.n_start + (last.o_end - last.o_start) == n_start
            {
                last.o_end = o_start + len;
                return;
            }
        }
        self.segs.push(Seg {
            n_start,
            o_start,
            o_end: o_start + len,
            linear: true,
        });
    }

    /// Appends a stretch whose normalized bytes all map to the whole original range.
    pub(crate) fn push_opaque(&mut self, n_start: usize, o_start: usize, o_end: usize) {
        self.segs.push(Seg {
            n_start,
            o_start,
            o_end,
            linear: false,
        });
    }

    /// Appends every stretch of `other`, its normalized offsets moved by `n_shift` and its
    /// original offsets by `o_shift` (joining the maps of pieces decoded one after another).
    pub(crate) fn append_shifted(&mut self, other: &OffsetMap, n_shift: usize, o_shift: usize) {
        for s in &other.segs {
            self.segs.push(Seg {
                n_start: s.n_start + n_shift,
                o_start: s.o_start + o_shift,
                o_end: s.o_end + o_shift,
                linear: s.linear,
            });
        }
    }

    pub(crate) fn set_orig_len(&mut self, len: usize) {
        self.orig_len = len;
    }

    fn seg_at(&self, n: usize) -> Option<&Seg> {
        let i = self.segs.partition_point(|s| s.n_start <= n);
        self.segs.get(i.checked_sub(1)?)
    }

    fn start_of(&self, n: usize) -> usize {
        match self.seg_at(n) {
            None => n.min(self.orig_len),
            Some(s) if s.linear => (s.o_start + (n - s.n_start)).min(s.o_end),
            Some(s) => s.o_start,
        }
    }

    fn end_of(&self, n_last: usize) -> usize {
        match self.seg_at(n_last) {
            None => (n_last + 1).min(self.orig_len),
            Some(s) if s.linear => (s.o_start + (n_last - s.n_start) + 1).min(s.o_end),
            Some(s) => s.o_end,
        }
    }

    /// Maps the normalized range `start..end` to an original range covering it.
    pub fn to_orig(&self, start: usize, end: usize) -> (usize, usize) {
        if self.segs.is_empty() {
            return (start.min(self.orig_len), end.min(self.orig_len));
        }
        let s = self.start_of(start);
        let e = if end > start { self.end_of(end - 1) } else { s };
        (s, e.max(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_linear_and_opaque_segments() {
        // original "ab\u{200b}ｃd" -> normalized "abcd"
        let mut m = OffsetMap::default();
        m.push_linear(0, 0, 2);
        m.push_opaque(2, 5, 8); // fullwidth c (3 bytes at 5..8) -> "c"
        m.push_linear(3, 8, 1);
        m.set_orig_len(9);
        assert_eq!(m.to_orig(0, 2), (0, 2));
        assert_eq!(m.to_orig(1, 3), (1, 8));
        assert_eq!(m.to_orig(2, 4), (5, 9));
        assert_eq!(OffsetMap::identity(4).to_orig(1, 9), (1, 4));
    }
}
