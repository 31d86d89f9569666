//! The number kernel of the request parser: the usual JSON number shape,
//! `digits[.digits]` in at most 15 bytes, read from one 16-byte vector
//! without a branch on how many digits it has.
//!
//! A feature value written by a client's JSON library is such a number
//! (`0.18431373`, `1.0`, `255`); how many digits each has varies from one
//! to the next, and a parser that loops or branches on that count pays a
//! mispredicted branch on most numbers. Here the digits and the dot are
//! classified 16 bytes at once (two bit masks), one byte shuffle (a table
//! indexed by length and dot position) drops the dot and right-aligns the
//! digits, and three multiply-adds turn them into an integer.
//!
//! The array reader built on it (`numbers_sse41`) finds the elements from a
//! bitmap of the separators of each 64 bytes, so that where a number starts
//! does not depend on reading the one before it; an element whose length is
//! thereby known is checked by `exact` in one branch.
//!
//! [`short_decimal`] is the entry point: the SSE4.1 kernel where the CPU has
//! it (decided once, cached by the standard library), otherwise
//! [`short_decimal_scalar`], the reference the kernel is tested against.
//! Both only read; anything outside the shape (a sign, an exponent, more
//! than 15 bytes, a leading zero, fewer than 16 bytes left in the body) is
//! `None`, and the caller's general path reads the number instead.

/// A number of the short shape: `mantissa / 10^frac_digits`, `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Short {
    /// All the digits, the dot removed, as an integer (< 10^15).
    pub mantissa: u64,
    /// Digits after the dot (0 without one).
    pub frac_digits: usize,
    /// Bytes of the number's text.
    pub len: usize,
}

/// The number at `b[i..]` if it has the short shape and 16 bytes of body
/// start at `i` (the kernel where the CPU has SSE4.1, else the reference).
#[cfg(test)]
fn short_decimal(b: &[u8], i: usize) -> Option<Short> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.1") {
            let window = b.get(i..i.checked_add(16)?)?;
            // SAFETY: SSE4.1 checked just above; `window` is 16 bytes.
            return unsafe { x86::kernel(window) };
        }
    }
    short_decimal_scalar(b, i)
}

#[cfg(target_arch = "x86_64")]
pub(super) use x86::numbers_sse41;

/// The reference: the same answer as the kernel, a byte at a time.
#[cfg(test)]
pub(super) fn short_decimal_scalar(b: &[u8], i: usize) -> Option<Short> {
    let window = b.get(i..i.checked_add(16)?)?;
    let len = window
        .iter()
        .position(|c| !(c.is_ascii_digit() || *c == b'.'))
        .unwrap_or(16);
    let text = &window[..len];
    let dot = text.iter().position(|&c| c == b'.');
    let dots = text.iter().filter(|&&c| c == b'.').count();
    let valid = (1..=15).contains(&len)
        && dots <= 1
        && dot.is_none_or(|d| d > 0 && d + 1 < len)
        && !(text[0] == b'0' && len > 1 && dot != Some(1))
        && !matches!(window[len], b'e' | b'E');
    if !valid {
        return None;
    }
    let mantissa = text
        .iter()
        .filter(|c| c.is_ascii_digit())
        .fold(0u64, |m, &c| m * 10 + u64::from(c - b'0'));
    Some(Short {
        mantissa,
        frac_digits: dot.map_or(0, |d| len - d - 1),
        len,
    })
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Short;
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_madd_epi16,
        _mm_maddubs_epi16, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi32,
        _mm_set1_epi8, _mm_set1_epi16, _mm_set1_epi32, _mm_shuffle_epi8, _mm_sub_epi8,
    };

    /// Byte shuffles, index `len * 17 + dot` (`dot` 16 when there is none):
    /// output byte `p` takes the `q`-th digit of the text (skipping the
    /// dot), `q = p - (16 - digits)`, or zero (`0x80`) left of the digits.
    static SHUFFLE: [[u8; 16]; 16 * 17] = shuffles();

    const fn shuffles() -> [[u8; 16]; 16 * 17] {
        let mut t = [[0x80u8; 16]; 16 * 17];
        let mut len = 0;
        while len < 16 {
            let mut dot = 0;
            while dot <= 16 {
                let has_dot = dot < len;
                let digits = len - has_dot as usize;
                let mut p = 16 - digits;
                while p < 16 {
                    let q = p - (16 - digits);
                    t[len * 17 + dot][p] = if has_dot && q >= dot { q + 1 } else { q } as u8;
                    p += 1;
                }
                dot += 1;
            }
            len += 1;
        }
        t
    }

    /// The parser's `numbers` compiled for SSE4.1: the elements are found
    /// from a bitmap of the separators (`,` and `]`) of each 64 bytes, and
    /// each is read by the kernel (inlined) when it is exactly one short
    /// number, by the general path otherwise (a sign, spaces, an exponent,
    /// anything malformed). Where an element starts is known from the
    /// bitmap, not from where the previous one ended, so the numbers are
    /// read independently of one another (the processor overlaps them).
    /// The last 64 bytes of the body go through the element loop.
    ///
    /// # Safety
    /// The CPU must have SSE4.1.
    #[target_feature(enable = "sse4.1")]
    pub(in crate::api::json) unsafe fn numbers_sse41(
        c: &mut super::super::Cursor<'_>,
        out: &mut Vec<f32>,
    ) -> Option<()> {
        let short = |b: &[u8], i: usize| {
            let window = b.get(i..i.checked_add(16)?)?;
            // SAFETY: this function runs only with SSE4.1 (its contract);
            // `window` is 16 readable bytes.
            unsafe { kernel(window) }
        };
        c.eat(b'[')?;
        if c.try_eat(b']') {
            return Some(());
        }
        let b = c.b;
        // The current element is `b[start..p]`, `p` its separator; start
        // <= base always (both advance past separators already seen).
        let mut start = c.i;
        let mut base = start;
        while let Some(block) = b.get(base..).and_then(|r| r.first_chunk::<64>()) {
            let mut seps = separators(block);
            while seps != 0 {
                let p = base + seps.trailing_zeros() as usize;
                seps &= seps - 1;
                let len = p - start;
                let known = match b.get(start..).and_then(|r| r.first_chunk::<16>()) {
                    Some(window) if (1..=15).contains(&len) => exact(window, len),
                    _ => None,
                };
                match known {
                    Some(s) => out.push(super::super::short_value(s, b, start)?),
                    None => {
                        // The general path must end, after blanks, at `p`:
                        // a number contains no separator, so it cannot
                        // pass it, and anything before it is malformed.
                        c.i = start;
                        out.push(c.number_with(short)?);
                        c.ws();
                        if c.i != p {
                            return None;
                        }
                    }
                }
                if b[p] == b']' {
                    c.i = p + 1;
                    return Some(());
                }
                start = p + 1;
            }
            base += 64;
        }
        c.i = start;
        c.elements_with(out, short)
    }

    /// Bit `k` set where `block[k]` is `,` or `]`.
    #[target_feature(enable = "sse4.1")]
    #[inline]
    fn separators(block: &[u8; 64]) -> u64 {
        let (comma, close) = (_mm_set1_epi8(b',' as i8), _mm_set1_epi8(b']' as i8));
        let mut m = 0u64;
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            // SAFETY: `chunk` holds 16 bytes; the load is unaligned.
            let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()) };
            let hit = _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, close));
            m |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
        }
        m
    }

    /// The kernel: `window` is the 16 bytes from the number's first digit.
    ///
    /// # Safety
    /// The CPU must have SSE4.1; `window` must be 16 bytes long.
    #[target_feature(enable = "sse4.1")]
    #[inline]
    pub(super) unsafe fn kernel(window: &[u8]) -> Option<Short> {
        debug_assert_eq!(window.len(), 16);
        // SAFETY: `window` holds 16 bytes; the load is unaligned.
        let v = unsafe { _mm_loadu_si128(window.as_ptr().cast::<__m128i>()) };
        let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        // A digit is a byte whose `b - '0'` (unsigned) is at most 9.
        let digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
        let dot = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8));
        let digits = _mm_movemask_epi8(digit) as u32;
        let dots_all = _mm_movemask_epi8(dot) as u32;
        // Bits 16.. of the complement are set, so len <= 16.
        let len = (!(digits | dots_all)).trailing_zeros() as usize;
        let dots = dots_all & ((1u32 << len) - 1);
        let dot_at = (dots | 1 << 16).trailing_zeros() as usize;
        let has_dot = dots != 0;
        if len == 0
            || len > 15
            || dots & dots.wrapping_sub(1) != 0
            || dot_at == 0
            || (has_dot && dot_at + 1 == len)
            || (window[0] == b'0' && len > 1 && dot_at != 1)
            || matches!(window[len], b'e' | b'E')
        {
            return None;
        }
        Some(Short {
            mantissa: digits_value(d, len, dot_at),
            frac_digits: if has_dot { len - dot_at - 1 } else { 0 },
            len,
        })
    }

    /// The kernel when the number is known to be exactly `window[..len]`
    /// (the next byte is its separator), `len` in 1..=15: the same answer
    /// as [`kernel`] there, with every check in one branch.
    #[target_feature(enable = "sse4.1")]
    #[inline]
    pub(super) fn exact(window: &[u8; 16], len: usize) -> Option<Short> {
        debug_assert!((1..=15).contains(&len));
        // SAFETY: `window` holds 16 bytes; the load is unaligned.
        let v = unsafe { _mm_loadu_si128(window.as_ptr().cast::<__m128i>()) };
        let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
        let dot = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8));
        let want = (1u32 << len) - 1;
        let digits = _mm_movemask_epi8(digit) as u32 & want;
        let dots = _mm_movemask_epi8(dot) as u32 & want;
        let dot_at = (dots | 1 << 16).trailing_zeros() as usize;
        // A byte neither digit nor dot, two dots, a dot first or last.
        let bad = ((digits | dots) ^ want)
            | (dots & dots.wrapping_sub(1))
            | (dots & (1 | want ^ want >> 1));
        // A leading zero must be the whole integer part.
        let leading_zero = (window[0] == b'0') & (len > 1) & (dot_at != 1);
        if bad != 0 || leading_zero {
            return None;
        }
        Some(Short {
            mantissa: digits_value(d, len, dot_at),
            frac_digits: if dots != 0 { len - dot_at - 1 } else { 0 },
            len,
        })
    }

    /// The digits of a checked short number as an integer: `d` is its
    /// bytes minus `'0'`, `len` its length, `dot_at` its dot's index (16
    /// without one).
    #[target_feature(enable = "sse4.1")]
    #[inline]
    fn digits_value(d: __m128i, len: usize, dot_at: usize) -> u64 {
        let mask = &SHUFFLE[len * 17 + dot_at.min(16)];
        // SAFETY: `mask` is 16 bytes; the load is unaligned.
        let mask = unsafe { _mm_loadu_si128(mask.as_ptr().cast::<__m128i>()) };
        // Right-aligned digit values, most significant first, zeros left.
        let s = _mm_shuffle_epi8(d, mask);
        // Pairs (10a + b), quads (100p + q), then the two 8-digit halves.
        let pairs = _mm_maddubs_epi16(s, _mm_set1_epi16(0x010A));
        let quads = _mm_madd_epi16(pairs, _mm_set1_epi32(0x0001_0064));
        let quads = _mm_packus_epi32(quads, quads);
        let eights = _mm_madd_epi16(quads, _mm_set1_epi32(0x0001_2710));
        let halves = _mm_cvtsi128_si64(eights) as u64;
        (halves & 0xFFFF_FFFF) * 100_000_000 + (halves >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn padded(n: &str) -> Vec<u8> {
        format!("{n},               ").into_bytes()
    }

    #[test]
    fn usual_numbers() {
        for (n, m, f) in [
            ("0.18431373", 18_431_373, 8),
            ("0.5", 5, 1),
            ("1.0", 10, 1),
            ("255", 255, 0),
            ("0", 0, 0),
            ("1234567.1234567", 12_345_671_234_567, 7),
            ("999999999999999", 999_999_999_999_999, 0),
        ] {
            let want = Short {
                mantissa: m,
                frac_digits: f,
                len: n.len(),
            };
            assert_eq!(short_decimal(&padded(n), 0), Some(want), "{n}");
            assert_eq!(short_decimal_scalar(&padded(n), 0), Some(want), "{n}");
        }
        for n in [
            "01",
            "00.5",
            "1.",
            ".5",
            "1..2",
            "1.2.3",
            "-1",
            "1e5",
            "1.5E3",
            "1234567890123456",
            "",
        ] {
            assert_eq!(short_decimal(&padded(n), 0), None, "{n}");
            assert_eq!(short_decimal_scalar(&padded(n), 0), None, "{n}");
        }
        // Fewer than 16 bytes left: the general path's job.
        assert_eq!(short_decimal(b"0.5]}", 0), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The kernel equals the reference on any window (bytes from a
        /// number-heavy alphabet, so that the short shape is common).
        #[test]
        fn kernel_matches_the_reference(
            w in proptest::collection::vec(prop::sample::select(b"0123456789..0000,]eE- \x80\xff".to_vec()), 16..24),
            at in 0usize..8,
        ) {
            prop_assert_eq!(short_decimal(&w, at), short_decimal_scalar(&w, at));
        }

        /// With the length known (a separator right after it), the
        /// one-branch kernel equals the general one.
        #[test]
        fn exact_matches_the_kernel(
            mut w in proptest::collection::vec(prop::sample::select(b"0123456789..0000,]eE- \x80\xff".to_vec()), 16),
            len in 1usize..=15,
            sep in prop::sample::select(b",]".to_vec()),
        ) {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("sse4.1") {
                w[len] = sep;
                let window: &[u8; 16] = w.as_slice().try_into().unwrap();
                // SAFETY: SSE4.1 checked just above.
                let (got, want) = unsafe { (x86::exact(window, len), x86::kernel(window)) };
                prop_assert_eq!(got, want.filter(|s| s.len == len));
            }
        }

        /// On valid short numbers both give the digits' value.
        #[test]
        fn value_of_decimals(int in "(0|[1-9][0-9]{0,6})", frac in proptest::option::of("[0-9]{1,7}")) {
            let n = match &frac { Some(f) => format!("{int}.{f}"), None => int.clone() };
            let s = short_decimal(&padded(&n), 0).expect("short shape");
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(s.mantissa, digits.parse::<u64>().unwrap());
            prop_assert_eq!(s.frac_digits, frac.map_or(0, |f| f.len()));
            prop_assert_eq!(s.len, n.len());
        }
    }
}
