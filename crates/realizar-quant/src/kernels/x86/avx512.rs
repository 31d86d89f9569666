//! AVX-512 kernels (F, BW, VL, DQ, VNNI, VBMI).
//!
//! Q4_0 dot products take 4 blocks (a group) per 512-bit register: a
//! `vpermt2b` over the group's 72 bytes gathers the 4 blocks' 16 nibble
//! bytes; `and 0x0F` gives the low nibbles (elements 0..16 of each block),
//! `srl 4` and `and` the high ones (16..32), and two `vpdpbusd` add their
//! products with activations stored in that order ([`Q8Activations`]'s
//! group layout) to a register preloaded with `-8 sum y` of each lane's 8
//! elements (the `- 8` of every nibble). Each 32-bit lane then holds the
//! exact integer dot product of 8 elements, 4 lanes per block, and one
//! conversion and FMA per group scale them. Q8_0 takes two blocks per
//! register, made unsigned by `xor 0x80` and corrected by `-128 sum y` per
//! lane (8 lanes of 4 elements per block), one conversion and FMA per two
//! blocks.
//!
//! Both main loops take 8 blocks per step and convert their 8 `f16` scales
//! together (`vpermt2b`, one 256-bit `vcvtph2ps` and multiply by the
//! activations' scales); a `vpermps` then spreads them over the lanes.
//! 512-bit vector work runs on ports 0 and 5 only, so uops are what count:
//! about 11 per 4 Q4_0 blocks, against 16 with two blocks per register and
//! a scale conversion per pair. The matvec runs them over [`ROWS`] rows
//! side by side (`rows_q4_0`, `rows_q8_0`), activations loaded once per
//! step for all rows. Paired runs (`--bench matvec_pairs`, DRAM matvec over
//! `read2`): Q4_0 59–65 % (one conversion per pair) → 69–76 % (scales
//! batched) → 84–85 % (groups) → 97–110 % (4 rows); Q8_0 77–78 % →
//! 84–87 % → 101–119 %.

use super::PREFETCH_BYTES;
use crate::activations::{GROUP, Q8Activations};
use crate::blocks::{BlockQ4_0, BlockQ8_0, QK};
use crate::kernels::{COLS, QuantIsa, QuantKernels, ROWS, scalar};
use half::f16;
use std::arch::x86_64::*;

/// The AVX-512 VNNI table.
pub static KERNELS: QuantKernels = QuantKernels {
    isa: QuantIsa::Avx512Vnni,
    quantize_q4_0,
    quantize_q8_0,
    dequantize_q4_0,
    dequantize_q8_0,
    dot_q4_0,
    dot_q8_0,
    dot_rows_q4_0: Some(rows_q4_0),
    dot_rows_q8_0: Some(rows_q8_0),
    dot_cols_q4_0: Some(cols_q4_0),
};

/// `roundf` (half away from zero) of every lane, exactly.
#[inline]
#[target_feature(enable = "avx512f")]
fn round_away(t: __m512) -> __m512 {
    let tr = _mm512_roundscale_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(t);
    let frac = _mm512_abs_ps(_mm512_sub_ps(t, tr)); // exact
    let up = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(frac, _mm512_set1_ps(0.5));
    let sign = _mm512_set1_epi32(i32::MIN);
    let one = _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_and_si512(_mm512_castps_si512(t), sign),
        _mm512_castps_si512(_mm512_set1_ps(1.0)),
    ));
    _mm512_mask_add_ps(tr, up, tr, one)
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn quantize_q8_0_impl(x: &[f32], y: &mut [BlockQ8_0]) {
    for (b, xs) in y.iter_mut().zip(x.chunks_exact(QK)) {
        // SAFETY: xs holds exactly 32 floats.
        let v = unsafe {
            [
                _mm512_loadu_ps(xs.as_ptr()),
                _mm512_loadu_ps(xs.as_ptr().add(16)),
            ]
        };
        let amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v[0]), _mm512_abs_ps(v[1])));
        let d = amax / 127.0;
        let id = _mm512_set1_ps(if d != 0.0 { 1.0 / d } else { 0.0 });
        for (k, v) in v.into_iter().enumerate() {
            let q = _mm512_cvttps_epi32(round_away(_mm512_mul_ps(v, id)));
            // SAFETY: qs is 32 bytes; this writes bytes 16k..16k+16.
            unsafe {
                _mm_storeu_si128(
                    b.qs.as_mut_ptr().add(16 * k) as *mut __m128i,
                    _mm512_cvtepi32_epi8(q),
                )
            };
        }
        b.d = f16::from_f32(d);
    }
}

fn quantize_q8_0(x: &[f32], y: &mut [BlockQ8_0]) {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { quantize_q8_0_impl(x, y) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn quantize_q4_0_impl(x: &[f32], y: &mut [BlockQ4_0]) {
    for (b, xs) in y.iter_mut().zip(x.chunks_exact(QK)) {
        // SAFETY: xs holds exactly 32 floats.
        let v = unsafe {
            [
                _mm512_loadu_ps(xs.as_ptr()),
                _mm512_loadu_ps(xs.as_ptr().add(16)),
            ]
        };
        let a = [_mm512_abs_ps(v[0]), _mm512_abs_ps(v[1])];
        let amax = _mm512_reduce_max_ps(_mm512_max_ps(a[0], a[1]));
        // The first value of largest magnitude, sign included (ggml's strict `<` scan).
        let max = if amax > 0.0 {
            let am = _mm512_set1_ps(amax);
            let mask = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(a[0], am) as u32
                | (_mm512_cmp_ps_mask::<_CMP_EQ_OQ>(a[1], am) as u32) << 16;
            xs[(mask.trailing_zeros() as usize).min(QK - 1)]
        } else {
            0.0
        };
        let d = max / -8.0;
        let id = _mm512_set1_ps(if d != 0.0 { 1.0 / d } else { 0.0 });
        let half = _mm512_set1_ps(8.5);
        let q = v.map(|v| {
            let t = _mm512_cvttps_epi32(_mm512_add_ps(_mm512_mul_ps(v, id), half));
            _mm512_cvtepi32_epi8(_mm512_max_epi32(
                _mm512_min_epi32(t, _mm512_set1_epi32(15)),
                _mm512_setzero_si512(),
            ))
        });
        let packed = _mm_or_si128(q[0], _mm_slli_epi16::<4>(q[1]));
        // SAFETY: qs is 16 bytes.
        unsafe { _mm_storeu_si128(b.qs.as_mut_ptr() as *mut __m128i, packed) };
        b.d = f16::from_f32(d);
    }
}

fn quantize_q4_0(x: &[f32], y: &mut [BlockQ4_0]) {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { quantize_q4_0_impl(x, y) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn dequantize_q4_0_impl(x: &[BlockQ4_0], y: &mut [f32]) {
    let (lo, eight) = (_mm_set1_epi8(0x0F), _mm_set1_epi8(8));
    for (b, ys) in x.iter().zip(y.chunks_exact_mut(QK)) {
        // SAFETY: qs is 16 bytes.
        let raw = unsafe { _mm_loadu_si128(b.qs.as_ptr() as *const __m128i) };
        let d = _mm512_set1_ps(b.d.to_f32());
        let halves = [
            _mm_sub_epi8(_mm_and_si128(raw, lo), eight),
            _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16::<4>(raw), lo), eight),
        ];
        for (k, h) in halves.into_iter().enumerate() {
            let f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(h)), d);
            // SAFETY: ys holds exactly 32 floats; this writes 16k..16k+16.
            unsafe { _mm512_storeu_ps(ys.as_mut_ptr().add(16 * k), f) };
        }
    }
}

fn dequantize_q4_0(x: &[BlockQ4_0], y: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { dequantize_q4_0_impl(x, y) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")]
fn dequantize_q8_0_impl(x: &[BlockQ8_0], y: &mut [f32]) {
    for (b, ys) in x.iter().zip(y.chunks_exact_mut(QK)) {
        let d = _mm512_set1_ps(b.d.to_f32());
        for k in 0..2 {
            // SAFETY: qs is 32 bytes and ys 32 floats; this reads 16 bytes and
            // writes 16 floats at 16k.
            unsafe {
                let q = _mm_loadu_si128(b.qs.as_ptr().add(16 * k) as *const __m128i);
                let f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), d);
                _mm512_storeu_ps(ys.as_mut_ptr().add(16 * k), f);
            }
        }
    }
}

fn dequantize_q8_0(x: &[BlockQ8_0], y: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { dequantize_q8_0_impl(x, y) }
}

/// Bytes `0..36` set: two Q4_0 blocks, or the scales of two Q8_0 blocks.
const PAIR_MASK: u64 = (1 << 36) - 1;

/// Integer dot products of two Q4_0 blocks at `b` with 64 activation quants
/// at `y` plus `bias`: 16 lanes, the first 8 of block 0, the rest of block 1.
///
/// # Safety
/// `b` must be valid for reading 36 bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")]
unsafe fn q4_pair_ints(b: *const u8, y: __m512i, bias: __m512i) -> __m512i {
    // Byte k of the result: nibble byte (k % 16) of block k / 32, twice per block.
    let idx = _mm512_set_epi8(
        35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, //
        35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, //
        17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, //
        17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
    );
    // The second copy of each block's bytes gives its high nibbles.
    let shift = _mm512_set_epi64(
        0x0004_0004_0004_0004,
        0x0004_0004_0004_0004,
        0,
        0,
        0x0004_0004_0004_0004,
        0x0004_0004_0004_0004,
        0,
        0,
    );
    // SAFETY: the caller guarantees 36 readable bytes; the mask reads no more.
    let raw = unsafe { _mm512_maskz_loadu_epi8(PAIR_MASK, b as *const i8) };
    let q = _mm512_and_si512(
        _mm512_srlv_epi16(_mm512_permutexvar_epi8(idx, raw), shift),
        _mm512_set1_epi8(0x0F),
    );
    _mm512_dpbusd_epi32(bias, q, y)
}

/// The `f16` scales of the pair of blocks at `b` (words 0 and `second`)
/// as `f32` times `dy`: the first block's in lanes 0..8, the second's in
/// lanes 8..16.
///
/// # Safety
/// `b` must be valid for reading 36 bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")]
unsafe fn pair_scales(b: *const u8, second: i16, dy: __m512) -> __m512 {
    let s = second;
    let didx = _mm512_set_epi16(
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
        s, s, s, s, s, s, s, s, 0, 0, 0, 0, 0, 0, 0, 0,
    );
    // SAFETY: the caller guarantees 36 readable bytes; the mask reads no more.
    let raw = unsafe { _mm512_maskz_loadu_epi8(PAIR_MASK, b as *const i8) };
    let dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(didx, raw)));
    _mm512_mul_ps(dw, dy)
}

/// Byte indices (into 128 bytes) of the `f16` scales of 8 consecutive
/// blocks of `stride` bytes, in the first 16 bytes of a `vpermt2b` result.
const fn scale_bytes(stride: usize) -> [u8; 64] {
    let mut t = [0u8; 64];
    let mut k = 0;
    while k < 8 && stride * k + 1 < 128 {
        t[2 * k] = (stride * k) as u8;
        t[2 * k + 1] = (stride * k + 1) as u8;
        k += 1;
    }
    t
}

/// Byte indices, into a 4-block Q4_0 group's bytes `0..64` then `64..72`,
/// of its blocks' nibble bytes (`18k + 2..18k + 18`), 16 per block.
static Q4_GROUP_NIBBLES: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        t[i] = (18 * (i / 16) + 2 + i % 16) as u8;
        i += 1;
    }
    t
};

/// Byte indices of the 8 scales of two 4-block Q4_0 groups, the first
/// group's bytes `0..64` then the second's (scales at `18k`, `18k + 1`).
static Q4_GROUP_SCALES: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut k = 0;
    while k < 8 {
        let at = 64 * (k / 4) + 18 * (k % 4);
        t[2 * k] = at as u8;
        t[2 * k + 1] = (at + 1) as u8;
        k += 1;
    }
    t
};

/// `vpermps` indices giving lane `4k + l` of group `g` (0 or 1) the scale
/// of block `4g + k`.
static GROUP_SCALE_LANES: [[u32; 16]; 2] = {
    let mut t = [[0u32; 16]; 2];
    let mut l = 0;
    while l < 16 {
        t[0][l] = (l / 4) as u32;
        t[1][l] = (4 + l / 4) as u32;
        l += 1;
    }
    t
};

/// The group's nibble bytes past its first 64 (bytes 64..72).
const GROUP_TAIL: u64 = 0xFF;

/// The index registers of the Q4_0 group kernels: nibble gather, scale
/// gather, and the scale lanes of the two groups of a step.
#[inline]
#[target_feature(enable = "avx512f")]
fn q4_tables() -> (__m512i, __m512i, [__m512i; 2]) {
    // SAFETY: the tables are 64 bytes long.
    unsafe {
        (
            _mm512_loadu_si512(Q4_GROUP_NIBBLES.as_ptr() as *const _),
            _mm512_loadu_si512(Q4_GROUP_SCALES.as_ptr() as *const _),
            GROUP_SCALE_LANES.map(|l| _mm512_loadu_si512(l.as_ptr() as *const _)),
        )
    }
}

/// The two 4-block groups of Q4_0 weights at `bp` (8 blocks, 144 bytes),
/// each as its bytes `0..64` and `64..72` (masked).
///
/// # Safety
/// `bp` must be valid for reading 144 bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn q4_step_weights(bp: *const u8) -> [(__m512i, __m512i); 2] {
    // SAFETY: the loads cover bytes 0..64, 64..72 (masked), 72..136 and
    // 136..144 (masked) of the 144 the caller guarantees.
    unsafe {
        [
            (
                _mm512_loadu_si512(bp as *const _),
                _mm512_maskz_loadu_epi8(GROUP_TAIL, bp.add(64) as *const i8),
            ),
            (
                _mm512_loadu_si512(bp.add(72) as *const _),
                _mm512_maskz_loadu_epi8(GROUP_TAIL, bp.add(136) as *const i8),
            ),
        ]
    }
}

/// The activations of the 8-block step at block `i` for the Q4_0 group
/// kernels: the two groups' quants (low halves, high halves), their lane
/// biases, and the 8 scales.
///
/// # Safety
/// `x` must hold at least `i + 8` blocks, `i` a multiple of 8.
#[inline]
#[target_feature(enable = "avx512f,avx2")]
unsafe fn q4_step_acts(x: &Q8Activations, i: usize) -> ([__m512i; 4], [__m512i; 2], __m256) {
    let g = i / GROUP;
    // SAFETY: with i + 8 blocks, groups g and g + 1 are whole and lie inside
    // x's group arrays, and blocks i..i + 8 have scales in x.d.
    unsafe {
        let gy = x.qs_groups.as_ptr().add(GROUP * QK * g);
        let bg = x.bias_groups.as_ptr();
        (
            [0, 1, 2, 3].map(|k| _mm512_loadu_si512(gy.add(64 * k) as *const _)),
            [0, 1].map(|h| _mm512_loadu_si512(bg.add(16 * (g + h)) as *const _)),
            _mm256_loadu_ps(x.d.as_ptr().add(i)),
        )
    }
}

/// `acc` plus one Q4_0 group's dot products with the activations, scaled:
/// `nib` the group's low and high nibbles, `y` the activation halves in
/// the same order, `bias` the lane biases, `lane` the `vpermps` indices
/// taking each lane's scale from `sc` (the step's 8 scale products).
#[inline]
#[target_feature(enable = "avx512f,avx512vnni")]
fn q4_group_fma(
    acc: __m512,
    nib: (__m512i, __m512i),
    y: (__m512i, __m512i),
    bias: __m512i,
    lane: __m512i,
    sc: __m512,
) -> __m512 {
    let s = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(bias, nib.0, y.0), nib.1, y.1);
    _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_permutexvar_ps(lane, sc), acc)
}

/// `sum w_i x_i` of each of `R` Q4_0 rows with `x`, the rows read in
/// turn 144 bytes at a time: `R` weight streams in flight per core, and the
/// activations loaded once for all of them.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")]
fn dot_rows_q4_0<const R: usize>(w: [&[BlockQ4_0]; R], x: &Q8Activations) -> [f32; R] {
    let n = w.iter().map(|r| r.len()).fold(x.blocks.len(), usize::min);
    let wp = w.map(|r| r.as_ptr() as *const u8);
    let (nidx, sidx, lanes) = q4_tables();
    let low = _mm512_set1_epi8(0x0F);
    let mut acc = [_mm512_setzero_ps(); R];
    let mut i = 0;
    // Two groups of 4 blocks (144 bytes of weights) per row and step. A
    // group's 64 nibble bytes are gathered into one register (`vpermt2b`);
    // its low nibbles (elements 0..16 of each block) and high nibbles
    // (16..32) meet activations stored in that order (`qs_groups`), two
    // `vpdpbusd` leave 4 lanes of 8 elements per block, and one conversion
    // and FMA per group scale them. The 8 scales come from the same loads
    // in one `vpermt2b`, a 256-bit `vcvtph2ps` and multiply. About 11
    // vector uops per 4 blocks against 16 for two blocks per register.
    while i + 8 <= n {
        // SAFETY: n >= i + 8 blocks of x.
        let (y, bias, dy) = unsafe { q4_step_acts(x, i) };
        for (a, &p) in acc.iter_mut().zip(&wp) {
            let bp = p.wrapping_add(18 * i);
            for l in 0..3 {
                _mm_prefetch::<_MM_HINT_T0>(bp.wrapping_add(PREFETCH_BYTES + 64 * l) as *const i8);
            }
            // SAFETY: blocks i..i + 8 < n lie inside this row.
            let groups = unsafe { q4_step_weights(bp) };
            let dw = _mm256_cvtph_ps(_mm512_castsi512_si128(_mm512_permutex2var_epi8(
                groups[0].0,
                sidx,
                groups[1].0,
            )));
            let sc = _mm512_castps256_ps512(_mm256_mul_ps(dw, dy));
            for (h, (head, tail)) in groups.into_iter().enumerate() {
                let q = _mm512_permutex2var_epi8(head, nidx, tail);
                let nib = (
                    _mm512_and_si512(q, low),
                    _mm512_and_si512(_mm512_srli_epi16::<4>(q), low),
                );
                *a = q4_group_fma(*a, nib, (y[2 * h], y[2 * h + 1]), bias[h], lanes[h], sc);
            }
        }
        i += 8;
    }
    let mut out = [0.0f32; R];
    for ((o, a), row) in out.iter_mut().zip(acc).zip(w) {
        *o = q4_finish(a, row, x, i, n);
    }
    out
}

/// Finishes a Q4_0 dot product begun in `acc`: the pairs of blocks from
/// `from` to `n` (at most `row`'s and `x`'s lengths), then a last odd
/// block, and the sum of the lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")]
fn q4_finish(mut acc: __m512, row: &[BlockQ4_0], x: &Q8Activations, from: usize, n: usize) -> f32 {
    let n = n.min(row.len()).min(x.blocks.len());
    let p = row.as_ptr() as *const u8;
    let mut j = from;
    while j + 2 <= n {
        // SAFETY: blocks j, j + 1 < n lie inside the row (36 bytes from
        // block j) and inside x's arrays (64 quants, 16 scales, 16 sums).
        let (s, scale) = unsafe {
            let b = p.add(18 * j);
            (
                q4_pair_ints(
                    b,
                    _mm512_loadu_si512(x.qs.as_ptr().add(QK * j) as *const _),
                    _mm512_loadu_si512(x.bias8.as_ptr().add(8 * j) as *const _),
                ),
                pair_scales(b, 9, _mm512_loadu_ps(x.d8.as_ptr().add(8 * j))),
            )
        };
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc);
        j += 2;
    }
    let mut sum = _mm512_reduce_add_ps(acc);
    if j < n {
        sum += scalar::dot_q4_0_blocks(&row[j..n], &x.blocks[j..n]);
    }
    sum
}

/// `sum w_i x_i` of one Q4_0 row with each of `C` activation vectors: the
/// row's nibbles and scales are decoded once per step for all of them
/// (prompt processing). Each result equals [`dot_rows_q4_0`]'s for that
/// vector bit for bit (the same operations per vector, in the same order).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")]
fn dot_cols_q4_0<const C: usize>(w: &[BlockQ4_0], x: [&Q8Activations; C]) -> [f32; C] {
    let n = x.iter().map(|x| x.blocks.len()).fold(w.len(), usize::min);
    let p = w.as_ptr() as *const u8;
    let (nidx, sidx, lanes) = q4_tables();
    let low = _mm512_set1_epi8(0x0F);
    let mut acc = [_mm512_setzero_ps(); C];
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: blocks i..i + 8 < n lie inside the row.
        let groups = unsafe { q4_step_weights(p.wrapping_add(18 * i)) };
        let dw = _mm256_cvtph_ps(_mm512_castsi512_si128(_mm512_permutex2var_epi8(
            groups[0].0,
            sidx,
            groups[1].0,
        )));
        let nibbles = groups.map(|(head, tail)| {
            let q = _mm512_permutex2var_epi8(head, nidx, tail);
            (
                _mm512_and_si512(q, low),
                _mm512_and_si512(_mm512_srli_epi16::<4>(q), low),
            )
        });
        for (a, x) in acc.iter_mut().zip(&x) {
            // SAFETY: n >= i + 8 blocks of every x.
            let (y, bias, dy) = unsafe { q4_step_acts(x, i) };
            let sc = _mm512_castps256_ps512(_mm256_mul_ps(dw, dy));
            for (h, nib) in nibbles.into_iter().enumerate() {
                *a = q4_group_fma(*a, nib, (y[2 * h], y[2 * h + 1]), bias[h], lanes[h], sc);
            }
        }
        i += 8;
    }
    let mut out = [0.0f32; C];
    for ((o, a), x) in out.iter_mut().zip(acc).zip(x) {
        *o = q4_finish(a, w, x, i, n);
    }
    out
}

fn cols_q4_0(w: &[BlockQ4_0], x: [&Q8Activations; COLS]) -> [f32; COLS] {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { dot_cols_q4_0(w, x) }
}

fn dot_q4_0(w: &[BlockQ4_0], x: &Q8Activations) -> f32 {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { dot_rows_q4_0([w], x)[0] }
}

fn rows_q4_0(w: [&[BlockQ4_0]; ROWS], x: &Q8Activations) -> [f32; ROWS] {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { dot_rows_q4_0(w, x) }
}

/// Integer dot products of two Q8_0 blocks at `b` with 64 activation quants
/// at `y`, `bias128` their `-128 sum y` per lane.
///
/// # Safety
/// `b` must be valid for reading 68 bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")]
unsafe fn q8_pair_ints(b: *const u8, y: __m512i, bias128: __m512i) -> __m512i {
    // SAFETY: the caller guarantees 68 readable bytes: quants at 2..34 and 36..68.
    let q = unsafe {
        _mm512_inserti64x4::<1>(
            _mm512_castsi256_si512(_mm256_loadu_si256(b.add(2) as *const __m256i)),
            _mm256_loadu_si256(b.add(36) as *const __m256i),
        )
    };
    let qu = _mm512_xor_si512(q, _mm512_set1_epi8(-128));
    _mm512_dpbusd_epi32(bias128, qu, y)
}

/// `vpermps` indices spreading scale `2p` over lanes 0..8 and `2p + 1` over
/// lanes 8..16, for the pairs `p` of an 8-block step.
static PAIR_SCALE_LANES: [[u32; 16]; 4] = {
    let mut t = [[0u32; 16]; 4];
    let mut p = 0;
    while p < 4 {
        let mut l = 0;
        while l < 16 {
            t[p][l] = (2 * p + l / 8) as u32;
            l += 1;
        }
        p += 1;
    }
    t
};

/// The scales of 4 Q8_0 blocks lie in their first 128 bytes.
static Q8_SCALE_BYTES: [u8; 64] = scale_bytes(34);
/// Blocks 0 and 1's scale bytes (0, 1, 34, 35) of 4 Q8_0 blocks.
const Q8_SCALES_LO: u64 = 0b11 | 0b11 << 34;
/// Blocks 2 and 3's scale bytes (68, 69, 102, 103), from byte 64.
const Q8_SCALES_HI: u64 = 0b11 << 4 | 0b11 << 38;

/// `sum w_i x_i` of each of `R` Q8_0 rows with `x`, the rows read in turn
/// 272 bytes at a time (see [`dot_rows_q4_0`]).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")]
fn dot_rows_q8_0<const R: usize>(w: [&[BlockQ8_0]; R], x: &Q8Activations) -> [f32; R] {
    let n = w.iter().map(|r| r.len()).fold(x.blocks.len(), usize::min);
    let wp = w.map(|r| r.as_ptr() as *const u8);
    let (yq, yd, yd1, ys) = (
        x.qs.as_ptr(),
        x.d8.as_ptr(),
        x.d.as_ptr(),
        x.bias128.as_ptr(),
    );
    // SAFETY: both tables are 64 bytes long.
    let (sidx, lanes) = unsafe {
        (
            _mm512_loadu_si512(Q8_SCALE_BYTES.as_ptr() as *const _),
            PAIR_SCALE_LANES.map(|l| _mm512_loadu_si512(l.as_ptr() as *const _)),
        )
    };
    // Two accumulators per row: four FMAs per row and step would otherwise
    // wait on each other.
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    let mut i = 0;
    // Eight blocks (272 bytes) per row and step, the scales converted
    // together as in the Q4_0 kernel (two `vpermt2b`, each over 4 blocks'
    // first 128 bytes); two blocks per register.
    while i + 8 <= n {
        // SAFETY: blocks i..i + 8 < n: 256 quants, 64 sums and 8 scales of x.
        let (y, bias, dy) = unsafe {
            (
                [0, 1, 2, 3].map(|p| _mm512_loadu_si512(yq.add(QK * (i + 2 * p)) as *const _)),
                [0, 1, 2, 3].map(|p| _mm512_loadu_si512(ys.add(8 * (i + 2 * p)) as *const _)),
                _mm256_loadu_ps(yd1.add(i)),
            )
        };
        for (a, &p) in acc.iter_mut().zip(&wp) {
            let bp = p.wrapping_add(34 * i);
            for l in 0..5 {
                _mm_prefetch::<_MM_HINT_T0>(bp.wrapping_add(PREFETCH_BYTES + 64 * l) as *const i8);
            }
            // SAFETY: blocks i..i + 8 < n lie inside this row (272 bytes
            // from bp; the scale loads reach byte 264).
            let sc = unsafe {
                // Masked loads of the scale bytes only: from whole 64-byte
                // loads LLVM rebuilds the quant loads with shuffles (slower).
                let scales = |p: *const u8| {
                    _mm512_permutex2var_epi8(
                        _mm512_maskz_loadu_epi8(Q8_SCALES_LO, p as *const i8),
                        sidx,
                        _mm512_maskz_loadu_epi8(Q8_SCALES_HI, p.add(64) as *const i8),
                    )
                };
                let (first, second) = (scales(bp), scales(bp.add(136)));
                let h = _mm_unpacklo_epi64(
                    _mm512_castsi512_si128(first),
                    _mm512_castsi512_si128(second),
                );
                _mm512_castps256_ps512(_mm256_mul_ps(_mm256_cvtph_ps(h), dy))
            };
            for (k, lane) in lanes.iter().enumerate() {
                // SAFETY: blocks i + 2k, i + 2k + 1 < n lie inside this row
                // (68 bytes from block i + 2k).
                let s = unsafe { q8_pair_ints(bp.add(68 * k), y[k], bias[k]) };
                let a = &mut a[k & 1];
                *a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_permutexvar_ps(*lane, sc), *a);
            }
        }
        i += 8;
    }
    let mut out = [0.0f32; R];
    for ((o, a), (&p, row)) in out.iter_mut().zip(acc).zip(wp.iter().zip(w)) {
        let mut a = _mm512_add_ps(a[0], a[1]);
        let mut j = i;
        while j + 2 <= n {
            // SAFETY: blocks j, j + 1 < n lie inside the row (68 bytes from
            // block j) and inside x's arrays (64 quants, 16 scales, 16 sums).
            let (s, scale) = unsafe {
                let b = p.add(34 * j);
                (
                    q8_pair_ints(
                        b,
                        _mm512_loadu_si512(yq.add(QK * j) as *const _),
                        _mm512_loadu_si512(ys.add(8 * j) as *const _),
                    ),
                    pair_scales(b, 17, _mm512_loadu_ps(yd.add(8 * j))),
                )
            };
            a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, a);
            j += 2;
        }
        *o = _mm512_reduce_add_ps(a);
        if j < n {
            *o += scalar::dot_q8_0_blocks(&row[j..n], &x.blocks[j..n]);
        }
    }
    out
}

fn dot_q8_0(w: &[BlockQ8_0], x: &Q8Activations) -> f32 {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { dot_rows_q8_0([w], x)[0] }
}

fn rows_q8_0(w: [&[BlockQ8_0]; ROWS], x: &Q8Activations) -> [f32; ROWS] {
    // SAFETY: this table is handed out only on CPUs with these features.
    unsafe { dot_rows_q8_0(w, x) }
}
