//! Class bitmaps of 64-byte blocks of text, for the hand-written
//! pre-tokenizers: bit `j` of a mask says whether byte `at + j` is an ASCII
//! letter, an ASCII digit, ASCII whitespace (`\t\n\x0b\x0c\r `), a line
//! break (`\r`, `\n`), a space, an apostrophe, or ASCII at all. Bytes past the end of the text are in no class, so a run of any
//! class stops at the end.
//!
//! With these, the end of a run of one class is a `trailing_zeros` instead
//! of a loop over bytes. x86-64 computes a block with AVX-512BW where the
//! CPU has it (detected once) and SSE2 (the architecture's baseline)
//! elsewhere; other targets, and the tail of the text, use the scalar
//! reference both kernels are tested against.

/// Class masks of one 64-byte block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Block {
    pub letter: u64,
    pub digit: u64,
    pub space: u64,
    pub newline: u64,
    pub blank: u64,
    pub apos: u64,
    pub ascii: u64,
}

/// The masks of `text[at..at + 64]` (bytes past the end in no class).
#[inline]
pub(crate) fn block(text: &[u8], at: usize) -> Block {
    #[cfg(target_arch = "x86_64")]
    if let Some(chunk) = text.get(at..at + 64) {
        let chunk: &[u8; 64] = chunk.try_into().unwrap_or(&[0; 64]);
        if x86::has_avx512bw() {
            // SAFETY: AVX-512BW (and F) detected at run time; 64 bytes.
            return unsafe { x86::block_avx512(chunk) };
        }
        // SAFETY: SSE2 is part of the x86-64 baseline; `chunk` is 64 bytes.
        return unsafe { x86::block(chunk) };
    }
    block_scalar(text.get(at..).unwrap_or_default())
}

/// The scalar reference: masks of the first 64 bytes of `bytes`.
pub(crate) fn block_scalar(bytes: &[u8]) -> Block {
    let mut m = Block::default();
    for (j, &c) in bytes.iter().take(64).enumerate() {
        let bit = 1u64 << j;
        if c.is_ascii_alphabetic() {
            m.letter |= bit;
        }
        if c.is_ascii_digit() {
            m.digit |= bit;
        }
        if matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            m.space |= bit;
        }
        if c == b'\r' || c == b'\n' {
            m.newline |= bit;
        }
        if c == b' ' {
            m.blank |= bit;
        }
        if c == b'\'' {
            m.apos |= bit;
        }
        if c.is_ascii() {
            m.ascii |= bit;
        }
    }
    m
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use std::sync::atomic::{AtomicU8, Ordering};

    use super::Block;

    /// Whether the CPU has AVX-512BW, detected on first use.
    #[inline(always)]
    pub(super) fn has_avx512bw() -> bool {
        static HAS: AtomicU8 = AtomicU8::new(0);
        match HAS.load(Ordering::Relaxed) {
            0 => {
                let yes = std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("avx512f");
                HAS.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
                yes
            }
            v => v == 2,
        }
    }

    /// AVX-512BW masks of a 64-byte block: one load, a compare per class.
    ///
    /// # Safety
    /// The CPU must support AVX-512F and AVX-512BW.
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    pub(super) unsafe fn block_avx512(chunk: &[u8; 64]) -> Block {
        // SAFETY: `chunk` is 64 readable bytes; unaligned load.
        let v = unsafe { _mm512_loadu_si512(chunk.as_ptr().cast()) };
        let set = |b: u8| _mm512_set1_epi8(b as i8);
        // Unsigned compares: bytes >= 0x80 (lowered: >= 0xa0) are in no class.
        let between = |x: __m512i, lo: u8, hi: u8| {
            _mm512_cmpge_epu8_mask(x, set(lo)) & _mm512_cmple_epu8_mask(x, set(hi))
        };
        let lower = _mm512_or_si512(v, set(0x20));
        let blank = _mm512_cmpeq_epi8_mask(v, set(b' '));
        Block {
            letter: between(lower, b'a', b'z'),
            digit: between(v, b'0', b'9'),
            space: between(v, b'\t', b'\r') | blank,
            newline: _mm512_cmpeq_epi8_mask(v, set(b'\r')) | _mm512_cmpeq_epi8_mask(v, set(b'\n')),
            blank,
            apos: _mm512_cmpeq_epi8_mask(v, set(b'\'')),
            ascii: !_mm512_movepi8_mask(v),
        }
    }

    /// SSE2 masks of a 64-byte block, 16 bytes at a time.
    ///
    /// # Safety
    /// The CPU must support SSE2 (every x86-64 CPU does).
    #[target_feature(enable = "sse2")]
    #[inline]
    pub(super) unsafe fn block(chunk: &[u8; 64]) -> Block {
        let mut m = Block::default();
        for q in 0..4 {
            // SAFETY: `q * 16 + 16 <= 64`, inside `chunk`; unaligned load.
            let v = unsafe { _mm_loadu_si128(chunk.as_ptr().add(q * 16).cast()) };
            // Signed compares: bytes >= 0x80 are negative, in no class.
            let between = |v: __m128i, lo: u8, hi: u8| {
                _mm_and_si128(
                    _mm_cmpgt_epi8(v, _mm_set1_epi8(lo as i8 - 1)),
                    _mm_cmplt_epi8(v, _mm_set1_epi8(hi as i8 + 1)),
                )
            };
            let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
            let letter = between(lower, b'a', b'z');
            let digit = between(v, b'0', b'9');
            let blank = _mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8));
            let apos = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\'' as i8));
            let space = _mm_or_si128(between(v, b'\t', b'\r'), blank);
            let newline = _mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\r' as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
            );
            let bits = |x: __m128i| (_mm_movemask_epi8(x) as u16 as u64) << (q * 16);
            m.letter |= bits(letter);
            m.digit |= bits(digit);
            m.space |= bits(space);
            m.newline |= bits(newline);
            m.blank |= bits(blank);
            m.apos |= bits(apos);
            m.ascii |= !bits(v) & (0xffff << (q * 16));
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_equals_the_scalar_reference_on_every_byte_and_at_the_tail() {
        // Every byte value at every position of a block, then random text
        // and every cut near the end of the text.
        let all: Vec<u8> = (0..=255u8).chain(0..=255).chain(0..=255).collect();
        for at in 0..all.len() {
            let want = block_scalar(&all[at..]);
            assert_eq!(block(&all, at), want, "at {at}");
        }
        let mut state = 0x853c_49e6_748f_ea9bu64;
        let text: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b"aZ09 \t\n\r'_.,\x0b\x0c\x80\xc3\xa9\xff\x7f\x1f@[`{"[(state % 24) as usize]
            })
            .collect();
        for at in 0..text.len() {
            assert_eq!(block(&text, at), block_scalar(&text[at..]), "at {at}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn each_x86_kernel_equals_the_scalar_reference() {
        let all: Vec<u8> = (0..=255u8).chain(0..=255).chain(0..=255).collect();
        for at in 0..all.len() - 64 {
            let chunk: &[u8; 64] = all[at..at + 64].try_into().unwrap();
            let want = block_scalar(chunk);
            // SAFETY: SSE2 is baseline.
            assert_eq!(unsafe { x86::block(chunk) }, want, "sse2 at {at}");
            if x86::has_avx512bw() {
                // SAFETY: detected just above.
                assert_eq!(unsafe { x86::block_avx512(chunk) }, want, "avx512 at {at}");
            }
        }
    }

    #[test]
    fn classes_of_a_known_block() {
        let m = block_scalar(b"ab 1\n\xc3\xa9.'");
        assert_eq!(m.letter, 0b11);
        assert_eq!(m.digit, 0b1000);
        assert_eq!(m.space, 0b10100);
        assert_eq!(m.newline, 0b1_0000);
        assert_eq!(m.blank, 0b100);
        assert_eq!(m.apos, 0b1_0000_0000);
        assert_eq!(m.ascii, 0b1_1001_1111);
    }
}
