//! Maximal runs of bytes of one class (base64 alphabet, digits) of at least a minimum length,
//! found 64 bytes at a time: a branch-free loop builds a bit mask per block and the runs are
//! read off the mask with bit counts. The per-byte state machine this replaces mispredicted a
//! branch at every identifier boundary of source code, where most runs are short.

/// A byte class: a lookup table, and the same test on 8 bytes at once (SWAR) returning the
/// high bit of each byte lane set where the byte is in the class.
pub struct ByteClass {
    table: [bool; 256],
    kind: Kind,
}

/// Which 8-byte test (a plain enum rather than a function pointer so the test inlines).
#[derive(Clone, Copy)]
enum Kind {
    Digits,
    Hex,
    Base64,
}

const HI: u64 = 0x8080_8080_8080_8080;
const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// Lanes of `y` (each < 0x80) within `lo..=hi`: `y + (0x80 - lo)` has its high bit set iff
/// `y >= lo`, `(0x80 + hi) - y` iff `y <= hi`; neither carries nor borrows across lanes.
fn in_range(y: u64, lo: u8, hi: u8) -> u64 {
    y.wrapping_add(splat(0x80 - lo)) & splat(0x80 + hi).wrapping_sub(y) & HI
}

fn digits8(x: u64) -> u64 {
    in_range(x & LO7, b'0', b'9') & !(x & HI)
}

fn hex8(x: u64) -> u64 {
    let y = x & LO7;
    (in_range(y, b'0', b'9') | in_range(y | splat(0x20), b'a', b'f')) & !(x & HI)
}

fn base64_8(x: u64) -> u64 {
    let y = x & LO7;
    // `+ - /` are the odd bytes of 0x2b..=0x2f (bit 0 of a lane shifted to its bit 7).
    let class = in_range(y, b'0', b'9')
        | in_range(y | splat(0x20), b'a', b'z')
        | (in_range(y, b'+', b'/') & (y << 7))
        | in_range(y, b'_', b'_');
    class & !(x & HI)
}

/// One bit per lane (bit k for byte k) from high-bit lane flags.
fn movemask(flags: u64) -> u64 {
    (flags >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

const fn table(kind: Kind) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = match kind {
            Kind::Digits => c.is_ascii_digit(),
            Kind::Hex => c.is_ascii_hexdigit(),
            Kind::Base64 => {
                c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'-' || c == b'_'
            }
        };
        i += 1;
    }
    t
}

/// ASCII digits.
pub static DIGITS: ByteClass = ByteClass {
    table: table(Kind::Digits),
    kind: Kind::Digits,
};

/// ASCII hex digits, either case.
pub static HEX: ByteClass = ByteClass {
    table: table(Kind::Hex),
    kind: Kind::Hex,
};

/// The base64 alphabet, standard and URL-safe (hex is a subset).
pub static BASE64: ByteClass = ByteClass {
    table: table(Kind::Base64),
    kind: Kind::Base64,
};

impl ByteClass {
    /// Whether `c` is in the class.
    pub fn contains(&self, c: u8) -> bool {
        self.table[usize::from(c)]
    }

    /// Bit j set where `block[j]` (at most 64 bytes) is in the class.
    #[inline]
    fn mask(&self, block: &[u8]) -> u64 {
        match self.kind {
            Kind::Digits => self.mask_with(block, digits8),
            Kind::Hex => self.mask_with(block, hex8),
            Kind::Base64 => self.mask_with(block, base64_8),
        }
    }

    #[inline(always)]
    fn mask_with(&self, block: &[u8], swar: impl Fn(u64) -> u64) -> u64 {
        // Full blocks (all but the last) take a fixed-size path the compiler unrolls into eight
        // straight-line loads and tests, with no loop counter or remainder handling.
        if let Ok(full) = <&[u8; 64]>::try_from(block) {
            let mut m = 0u64;
            for g in 0..8 {
                let mut w = [0u8; 8];
                w.copy_from_slice(&full[8 * g..8 * g + 8]);
                m |= movemask(swar(u64::from_le_bytes(w))) << (8 * g);
            }
            return m;
        }
        let mut m = 0u64;
        let mut groups = block.chunks_exact(8);
        for (g, w) in (&mut groups).enumerate() {
            let x = u64::from_le_bytes(<[u8; 8]>::try_from(w).unwrap_or([0; 8]));
            m |= movemask(swar(x)) << (8 * g);
        }
        let done = block.len() - groups.remainder().len();
        for (j, &c) in groups.remainder().iter().enumerate() {
            m |= u64::from(self.contains(c)) << (done + j);
        }
        m
    }
}

/// Bit i of the result is set iff bits i..i+min of `w` are all set (`1 <= min <= 64`).
/// Inlined so that a constant `min` turns the loop into a few shifts by constants.
#[inline(always)]
fn long_enough(w: u128, min: usize) -> u128 {
    let (mut r, mut have) = (w, 1);
    while have < min {
        let step = have.min(min - have);
        r &= r >> step;
        have += step;
    }
    r
}

/// Calls `f(start, end)` for every maximal run of `class` bytes in `b` at least `min` long,
/// in order.
///
/// Per 64-byte block: the class mask of the block and the next one give, with a few shifts,
/// the positions where a long-enough run starts, so blocks without one cost a handful of
/// instructions whatever the number of short runs (words, single digits) they hold.
pub fn class_runs(b: &[u8], min: usize, class: &ByteClass, f: impl FnMut(usize, usize)) {
    let min = min.max(1);
    if min > 64 {
        return byte_runs(b, min, class, f);
    }
    let mask_at = |k: usize| {
        let from = k.saturating_mul(64);
        b.get(from..(from + 64).min(b.len()))
            .map_or(0, |blk| class.mask(blk))
    };
    mask_runs(b.len(), min, mask_at, f);
}

/// Calls `f(start, end)` for every maximal run of set bits at least `min` long (`1..=64`) in
/// a `len`-bit string given 64 bits at a time: `mask_at(k)` holds bits `64k..64k + 64`, zero
/// past `len`.
#[inline(always)]
pub(crate) fn mask_runs(
    len: usize,
    min: usize,
    mask_at: impl Fn(usize) -> u64,
    mut f: impl FnMut(usize, usize),
) {
    let min = min.clamp(1, 64);
    let blocks = len.div_ceil(64);
    let mut cur = mask_at(0);
    let mut prev_top = 0u64;
    let mut resume = 0usize;
    for k in 0..blocks {
        let next = mask_at(k + 1);
        if cur == 0 {
            // No class byte in this block (common for digits): no run starts here.
            prev_top = 0;
            cur = next;
            continue;
        }
        let base = k * 64;
        let w = u128::from(cur) | (u128::from(next) << 64);
        let mut starts = (long_enough(w, min) as u64) & !((cur << 1) | prev_top);
        if resume > base {
            let skip = resume - base;
            starts = if skip >= 64 {
                0
            } else {
                starts & (!0u64 << skip)
            };
        }
        while starts != 0 {
            let bit = starts.trailing_zeros() as usize;
            let s = base + bit;
            let e = run_end(len, s, cur >> bit, base, &mask_at);
            f(s, e);
            resume = e;
            starts = match e.checked_sub(base) {
                Some(off) if off < 64 => starts & (!0u64 << off),
                _ => 0,
            };
        }
        prev_top = cur >> 63;
        cur = next;
    }
}

/// End of the run starting at `s` (bit `s - base` of the block at `base`; `from_s` is that
/// block's mask shifted so bit 0 is `s`), following it into later blocks.
fn run_end(
    len: usize,
    s: usize,
    from_s: u64,
    base: usize,
    mask_at: &impl Fn(usize) -> u64,
) -> usize {
    let ones = from_s.trailing_ones() as usize;
    if s - base + ones < 64 {
        return (s + ones).min(len);
    }
    let mut k = base / 64 + 1;
    loop {
        let m = mask_at(k);
        let ones = m.trailing_ones() as usize;
        if ones < 64 || k.saturating_mul(64) >= len {
            return (k * 64 + ones).min(len);
        }
        k += 1;
    }
}

/// The byte-at-a-time definition (for `min > 64`, never used by the decoders).
fn byte_runs(b: &[u8], min: usize, class: &ByteClass, mut f: impl FnMut(usize, usize)) {
    let mut i = 0;
    while i < b.len() {
        if !b.get(i).is_some_and(|&c| class.contains(c)) {
            i += 1;
            continue;
        }
        let s = i;
        while b.get(i).is_some_and(|&c| class.contains(c)) {
            i += 1;
        }
        if i - s >= min {
            f(s, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious byte-at-a-time definition, to compare against.
    fn naive(b: &[u8], min: usize, class: &ByteClass) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if !class.contains(b[i]) {
                i += 1;
                continue;
            }
            let s = i;
            while i < b.len() && class.contains(b[i]) {
                i += 1;
            }
            if i - s >= min {
                out.push((s, i));
            }
        }
        out
    }

    #[test]
    fn equals_the_byte_loop_across_block_boundaries() {
        let mut seed = 7u64;
        for len in [0usize, 1, 2, 63, 64, 65, 127, 128, 129, 300, 1000] {
            for density in [1u64, 3, 5, 8, 10] {
                let b: Vec<u8> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        if (seed >> 33) % 10 < density {
                            b'0' + ((seed >> 40) % 10) as u8
                        } else {
                            b' '
                        }
                    })
                    .collect();
                for min in [1, 2, 3, 16, 64, 65] {
                    let mut got = Vec::new();
                    class_runs(&b, min, &DIGITS, |s, e| got.push((s, e)));
                    assert_eq!(got, naive(&b, min, &DIGITS), "len {len} min {min}");
                }
            }
        }
        // Every byte value, against both classes' tables (checks the 8-byte tests).
        for _ in 0..50 {
            let b: Vec<u8> = (0..500)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (seed >> 40) as u8
                })
                .collect();
            for class in [&DIGITS, &HEX, &BASE64] {
                for min in [1, 2, 16] {
                    let mut got = Vec::new();
                    class_runs(&b, min, class, |s, e| got.push((s, e)));
                    assert_eq!(got, naive(&b, min, class));
                }
            }
        }
        for c in 0..=255u8 {
            let x = u64::from_le_bytes([c; 8]);
            assert_eq!(movemask(base64_8(x)) == 0xff, BASE64.contains(c), "{c}");
            assert_eq!(movemask(digits8(x)) == 0xff, DIGITS.contains(c), "{c}");
            assert_eq!(movemask(hex8(x)) == 0xff, HEX.contains(c), "{c}");
        }
        for n in [64, 128, 200] {
            let all = vec![b'7'; n];
            let mut got = Vec::new();
            class_runs(&all, 2, &DIGITS, |s, e| got.push((s, e)));
            assert_eq!(got, vec![(0, n)]);
        }
    }
}
