//! The base64 and digit class masks of a whole text, computed together in one pass and kept,
//! so the decoder (base64 runs) and the PII number windows read their runs off the same bits
//! instead of each classifying the text again. (Hex sub-runs only occur inside base64 runs,
//! which are rare, so hex is classified there, on demand.)

use super::runs::mask_runs;

/// Which class of bytes to read runs of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskClass {
    /// The base64 alphabet, standard and URL-safe (`runs::BASE64`).
    Base64,
    /// ASCII digits (`runs::DIGITS`).
    Digits,
}

/// One bit per byte of a text for each class (bit `i % 64` of word `i / 64` for byte `i`).
#[derive(Debug, Clone, Default)]
pub struct TextMasks {
    len: usize,
    base64: Vec<u64>,
    digits: Vec<u64>,
}

/// Bits 0 and 1 of the result: `c` is base64, a digit. Written branch-free on single
/// bytes so the compiler turns the 64-byte loop below into 16-byte vector compares.
#[inline(always)]
fn flags(c: u8) -> u8 {
    let digit = c.wrapping_sub(b'0') < 10;
    let lower = c | 0x20;
    let alpha = lower.wrapping_sub(b'a') < 26;
    let sym = (c == b'+') | (c == b'/') | (c == b'-') | (c == b'_');
    u8::from(digit | alpha | sym) | (u8::from(digit) << 1)
}

/// Bit `k` set iff bit 0 of byte `k` of `x` is set (the other bits of each byte must be 0).
fn pack(x: u64) -> u64 {
    x.wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The two masks of one 64-byte block.
#[inline(always)]
fn block(b: &[u8; 64]) -> [u64; 2] {
    let mut f = [0u8; 64];
    for (d, &c) in f.iter_mut().zip(b) {
        *d = flags(c);
    }
    let ones = u64::from_le_bytes([1; 8]);
    let mut m = [0u64; 2];
    for (g, w) in f.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(w).unwrap_or([0; 8]));
        for (j, mj) in m.iter_mut().enumerate() {
            *mj |= pack((x >> j) & ones) << (8 * g);
        }
    }
    m
}

/// Bits `pos..pos + 64` of `masks`, cleared from `end` on.
fn bits_at(masks: &[u64], pos: usize, end: usize) -> u64 {
    if pos >= end {
        return 0;
    }
    let (i, off) = (pos / 64, pos % 64);
    let word = |j: usize| masks.get(j).copied().unwrap_or(0);
    let mut m = word(i) >> off;
    if off != 0 {
        m |= word(i + 1) << (64 - off);
    }
    match end - pos {
        n if n >= 64 => m,
        n => m & ((1u64 << n) - 1),
    }
}

impl TextMasks {
    /// Classifies every byte of `b` once.
    pub fn new(b: &[u8]) -> Self {
        let n = b.len().div_ceil(64);
        let mut t = Self {
            len: b.len(),
            base64: Vec::with_capacity(n),
            digits: Vec::with_capacity(n),
        };
        let mut chunks = b.chunks_exact(64);
        for c in &mut chunks {
            t.push(block(<&[u8; 64]>::try_from(c).unwrap_or(&[0; 64])));
        }
        if !chunks.remainder().is_empty() {
            // A zero byte is in no class, so padding the last block changes no bit.
            let mut last = [0u8; 64];
            if let Some(dst) = last.get_mut(..chunks.remainder().len()) {
                dst.copy_from_slice(chunks.remainder());
            }
            t.push(block(&last));
        }
        t
    }

    fn push(&mut self, [b64, dig]: [u64; 2]) {
        self.base64.push(b64);
        self.digits.push(dig);
    }

    /// Length of the text the masks were computed from.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the text was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Calls `f(start, end)` (positions in the whole text) for every maximal run of `class`
    /// bytes of `text[from..to]` at least `min` long, in order; runs are cut at `from` and `to`.
    /// Inlined so that the callers' constant `min` reaches `runs::long_enough`.
    #[inline(always)]
    pub fn runs(
        &self,
        class: MaskClass,
        from: usize,
        to: usize,
        min: usize,
        mut f: impl FnMut(usize, usize),
    ) {
        let masks = match class {
            MaskClass::Base64 => &self.base64,
            MaskClass::Digits => &self.digits,
        };
        let to = to.min(self.len);
        if from >= to {
            return;
        }
        let mask_at = |k: usize| bits_at(masks, from.saturating_add(k.saturating_mul(64)), to);
        // Runs of at least `min > 64` are the maximal runs of at least 64 that are long enough.
        mask_runs(to - from, min.min(64), mask_at, |s, e| {
            if e - s >= min {
                f(from + s, from + e);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::runs::{class_runs, ByteClass, BASE64, DIGITS};
    use proptest::prelude::*;

    fn classes() -> [(MaskClass, &'static ByteClass); 2] {
        [(MaskClass::Base64, &BASE64), (MaskClass::Digits, &DIGITS)]
    }

    #[test]
    fn every_byte_value_is_classified_as_the_tables_say() {
        for c in 0..=255u8 {
            let f = flags(c);
            assert_eq!(f & 1 != 0, BASE64.contains(c), "{c}");
            assert_eq!(f & 2 != 0, DIGITS.contains(c), "{c}");
        }
    }

    /// The byte-at-a-time definition: maximal runs of `class` bytes in `b[from..to]`.
    fn naive(
        b: &[u8],
        from: usize,
        to: usize,
        min: usize,
        class: &ByteClass,
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = from;
        while i < to {
            let s = i;
            while i < to && class.contains(b[i]) {
                i += 1;
            }
            if i - s >= min.max(1) {
                out.push((s, i));
            }
            i = i.max(s + 1);
        }
        out
    }

    /// Bytes drawn mostly from the classes' edges so runs of every length occur.
    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        let pick = prop::sample::select(b"0123456789aAfFgGzZ+/-_= .:\x00\xff\x80".to_vec());
        prop::collection::vec(prop_oneof![4 => pick, 1 => any::<u8>()], 0..400)
    }

    proptest! {
        #[test]
        fn runs_equal_class_runs_on_every_window(
            b in bytes(),
            a in 0usize..400,
            len in 0usize..400,
            min in prop::sample::select(vec![1usize, 2, 3, 16, 63, 64, 65, 100]),
        ) {
            let m = TextMasks::new(&b);
            prop_assert_eq!(m.len(), b.len());
            let from = a.min(b.len());
            let to = (from + len).min(b.len());
            for (mc, bc) in classes() {
                let mut got = Vec::new();
                m.runs(mc, from, to, min, |s, e| got.push((s, e)));
                let mut want = Vec::new();
                class_runs(&b[from..to], min, bc, |s, e| want.push((from + s, from + e)));
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(got, naive(&b, from, to, min, bc));
            }
        }
    }

    #[test]
    fn long_runs_across_many_blocks_are_one_run() {
        let mut b = vec![b'7'; 300];
        b[150] = b' ';
        let m = TextMasks::new(&b);
        let mut got = Vec::new();
        m.runs(MaskClass::Digits, 5, 290, 2, |s, e| got.push((s, e)));
        assert_eq!(got, vec![(5, 150), (151, 290)]);
        let mut got = Vec::new();
        m.runs(MaskClass::Base64, 0, 300, 149, |s, e| got.push((s, e)));
        assert_eq!(got, vec![(0, 150), (151, 300)]);
    }
}
