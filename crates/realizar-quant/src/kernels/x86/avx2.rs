//! AVX2 + FMA + F16C kernels, and the AVX-VNNI dot products.
//!
//! Quantize and dequantize are bit-identical to the scalar reference (same
//! `f32` operations per element, no FMA). The dot products take one block
//! per 256-bit register: nibbles are unpacked to bytes `0..=15` in element
//! order, multiplied with the activations' bytes by `vpmaddubsw` (or
//! `vpdpbusd` with AVX-VNNI) and corrected by `-8 sum y` per 32-bit lane
//! (kept ready in [`Q8Activations`]), so each lane holds the exact integer
//! dot product of its 4 elements, as in ggml's AVX2 kernel; lanes are
//! converted to `f32` and accumulated with one FMA per block against
//! `dw * dy`. The same code runs over [`ROWS`] rows side by side for the
//! matvec (activations loaded once per block for all rows), each row's
//! result equal to the one-row kernel's.

use super::PREFETCH_BYTES;
use crate::activations::Q8Activations;
use crate::blocks::{BlockQ4_0, BlockQ8_0, QK};
use crate::kernels::{QuantIsa, QuantKernels, ROWS, scalar};
use half::f16;
use std::arch::x86_64::*;

/// The AVX2 table.
pub static KERNELS: QuantKernels = QuantKernels {
    isa: QuantIsa::Avx2,
    quantize_q4_0,
    quantize_q8_0,
    dequantize_q4_0,
    dequantize_q8_0,
    dot_q4_0: dot_q4_0_avx2,
    dot_q8_0: dot_q8_0_avx2,
    dot_rows_q4_0: Some(dot_rows_q4_0_avx2),
    dot_rows_q8_0: Some(dot_rows_q8_0_avx2),
    dot_cols_q4_0: None,
};

/// The AVX-VNNI table (AVX2 with `vpdpbusd` dot products).
pub static KERNELS_VNNI: QuantKernels = QuantKernels {
    isa: QuantIsa::AvxVnni,
    quantize_q4_0,
    quantize_q8_0,
    dequantize_q4_0,
    dequantize_q8_0,
    dot_q4_0: dot_q4_0_vnni,
    dot_q8_0: dot_q8_0_vnni,
    dot_rows_q4_0: Some(dot_rows_q4_0_vnni),
    dot_rows_q8_0: Some(dot_rows_q8_0_vnni),
    dot_cols_q4_0: None,
};

/// Sum of the 8 lanes.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn hsum256(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

/// Max of the 8 lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn hmax256(v: __m256) -> f32 {
    let m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    let m = _mm_max_ss(m, _mm_movehdup_ps(m));
    _mm_cvtss_f32(m)
}

/// Loads the 32 values of a block.
///
/// # Safety
/// `p` must be valid for reading 32 `f32`s.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load_block(p: *const f32) -> [__m256; 4] {
    // SAFETY: the caller guarantees 32 readable floats at p.
    unsafe {
        [
            _mm256_loadu_ps(p),
            _mm256_loadu_ps(p.add(8)),
            _mm256_loadu_ps(p.add(16)),
            _mm256_loadu_ps(p.add(24)),
        ]
    }
}

/// Packs 32 `i32` lanes holding `-128..=127` into 32 bytes, in lane order.
#[inline]
#[target_feature(enable = "avx2")]
fn pack_i32_to_i8(i: [__m256i; 4]) -> __m256i {
    let a = _mm256_packs_epi32(i[0], i[1]);
    let b = _mm256_packs_epi32(i[2], i[3]);
    let p = _mm256_packs_epi16(a, b);
    // packs work per 128-bit half: dwords come out as 0 2 4 6 1 3 5 7 (in units of 4 values).
    _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

/// `roundf` (half away from zero) of every lane, exactly.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn round_away(t: __m256) -> __m256 {
    let sign = _mm256_set1_ps(-0.0);
    let tr = _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(t);
    let frac = _mm256_andnot_ps(sign, _mm256_sub_ps(t, tr)); // exact
    let up = _mm256_cmp_ps::<_CMP_GE_OQ>(frac, _mm256_set1_ps(0.5));
    let one = _mm256_or_ps(_mm256_and_ps(t, sign), _mm256_set1_ps(1.0));
    _mm256_add_ps(tr, _mm256_and_ps(up, one))
}

#[target_feature(enable = "avx2,fma,f16c")]
fn quantize_q8_0_impl(x: &[f32], y: &mut [BlockQ8_0]) {
    let sign = _mm256_set1_ps(-0.0);
    for (b, xs) in y.iter_mut().zip(x.chunks_exact(QK)) {
        // SAFETY: xs holds exactly 32 floats.
        let v = unsafe { load_block(xs.as_ptr()) };
        let m01 = _mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1]));
        let m23 = _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3]));
        let amax = hmax256(_mm256_max_ps(m01, m23));
        let d = amax / 127.0;
        let id = _mm256_set1_ps(if d != 0.0 { 1.0 / d } else { 0.0 });
        let q = v.map(|v| _mm256_cvttps_epi32(round_away(_mm256_mul_ps(v, id))));
        let packed = pack_i32_to_i8(q);
        // SAFETY: qs is 32 bytes.
        unsafe { _mm256_storeu_si256(b.qs.as_mut_ptr() as *mut __m256i, packed) };
        b.d = f16::from_f32(d);
    }
}

fn quantize_q8_0(x: &[f32], y: &mut [BlockQ8_0]) {
    // SAFETY: this table is handed out only on CPUs with AVX2, FMA and F16C.
    unsafe { quantize_q8_0_impl(x, y) }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn quantize_q4_0_impl(x: &[f32], y: &mut [BlockQ4_0]) {
    let sign = _mm256_set1_ps(-0.0);
    for (b, xs) in y.iter_mut().zip(x.chunks_exact(QK)) {
        // SAFETY: xs holds exactly 32 floats.
        let v = unsafe { load_block(xs.as_ptr()) };
        let a = v.map(|v| _mm256_andnot_ps(sign, v));
        let amax = hmax256(_mm256_max_ps(
            _mm256_max_ps(a[0], a[1]),
            _mm256_max_ps(a[2], a[3]),
        ));
        // The first value of largest magnitude, sign included (ggml's strict `<` scan).
        let max = if amax > 0.0 {
            let am = _mm256_set1_ps(amax);
            let mut mask = 0u32;
            for (k, a) in a.iter().enumerate() {
                let m = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(*a, am)) as u32;
                mask |= m << (8 * k);
            }
            xs[(mask.trailing_zeros() as usize).min(QK - 1)]
        } else {
            0.0
        };
        let d = max / -8.0;
        let id = _mm256_set1_ps(if d != 0.0 { 1.0 / d } else { 0.0 });
        let half = _mm256_set1_ps(8.5);
        let q = v.map(|v| {
            let t = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(v, id), half));
            _mm256_max_epi32(
                _mm256_min_epi32(t, _mm256_set1_epi32(15)),
                _mm256_setzero_si256(),
            )
        });
        let bytes = pack_i32_to_i8(q);
        let lo = _mm256_castsi256_si128(bytes);
        let hi = _mm256_extracti128_si256::<1>(bytes);
        let packed = _mm_or_si128(lo, _mm_slli_epi16::<4>(hi));
        // SAFETY: qs is 16 bytes.
        unsafe { _mm_storeu_si128(b.qs.as_mut_ptr() as *mut __m128i, packed) };
        b.d = f16::from_f32(d);
    }
}

fn quantize_q4_0(x: &[f32], y: &mut [BlockQ4_0]) {
    // SAFETY: this table is handed out only on CPUs with AVX2, FMA and F16C.
    unsafe { quantize_q4_0_impl(x, y) }
}

/// Writes `bytes` (32 signed values) times `d` as 32 floats at `out`.
///
/// # Safety
/// `out` must be valid for writing 32 `f32`s.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn store_scaled(bytes: __m256i, d: __m256, out: *mut f32) {
    let lo = _mm256_castsi256_si128(bytes);
    let hi = _mm256_extracti128_si256::<1>(bytes);
    let parts = [
        lo,
        _mm_unpackhi_epi64(lo, lo),
        hi,
        _mm_unpackhi_epi64(hi, hi),
    ];
    for (k, p) in parts.into_iter().enumerate() {
        let f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(p)), d);
        // SAFETY: the caller guarantees 32 writable floats at out.
        unsafe { _mm256_storeu_ps(out.add(8 * k), f) };
    }
}

/// The 32 nibbles of a Q4_0 block's `qs` as bytes `0..=15`, in element order.
#[inline]
#[target_feature(enable = "avx2")]
fn unpack_nibbles(raw: __m128i) -> __m256i {
    let both = _mm256_set_m128i(_mm_srli_epi16::<4>(raw), raw);
    _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dequantize_q4_0_impl(x: &[BlockQ4_0], y: &mut [f32]) {
    let eight = _mm256_set1_epi8(8);
    for (b, ys) in x.iter().zip(y.chunks_exact_mut(QK)) {
        // SAFETY: qs is 16 bytes.
        let raw = unsafe { _mm_loadu_si128(b.qs.as_ptr() as *const __m128i) };
        let q = _mm256_sub_epi8(unpack_nibbles(raw), eight);
        let d = _mm256_set1_ps(b.d.to_f32());
        // SAFETY: ys holds exactly 32 floats.
        unsafe { store_scaled(q, d, ys.as_mut_ptr()) };
    }
}

fn dequantize_q4_0(x: &[BlockQ4_0], y: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with AVX2, FMA and F16C.
    unsafe { dequantize_q4_0_impl(x, y) }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn dequantize_q8_0_impl(x: &[BlockQ8_0], y: &mut [f32]) {
    for (b, ys) in x.iter().zip(y.chunks_exact_mut(QK)) {
        // SAFETY: qs is 32 bytes.
        let q = unsafe { _mm256_loadu_si256(b.qs.as_ptr() as *const __m256i) };
        let d = _mm256_set1_ps(b.d.to_f32());
        // SAFETY: ys holds exactly 32 floats.
        unsafe { store_scaled(q, d, ys.as_mut_ptr()) };
    }
}

fn dequantize_q8_0(x: &[BlockQ8_0], y: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with AVX2, FMA and F16C.
    unsafe { dequantize_q8_0_impl(x, y) }
}

/// `sum (u8 q) * (i8 y)` per 32-bit lane plus `bias`, without VNNI.
/// `q` must be at most 127 per byte so `vpmaddubsw` cannot saturate
/// (nibbles are at most 15).
#[inline]
#[target_feature(enable = "avx2")]
fn dot_u8_i8_bias_avx2(q: __m256i, y: __m256i, bias: __m256i) -> __m256i {
    let pairs = _mm256_maddubs_epi16(q, y);
    _mm256_add_epi32(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)), bias)
}

/// `sum (u8 q) * (i8 y)` per 32-bit lane plus `bias`, with AVX-VNNI.
#[inline]
#[target_feature(enable = "avx2,avxvnni")]
fn dot_u8_i8_bias_vnni(q: __m256i, y: __m256i, bias: __m256i) -> __m256i {
    _mm256_dpbusd_avx_epi32(bias, q, y)
}

/// `sum w * y` per 32-bit lane of two signed byte vectors, without VNNI:
/// `|w| * sign(y, w)` through `vpmaddubsw` (exact while `y != -128`, which
/// Q8_0 quantization never produces).
#[inline]
#[target_feature(enable = "avx2")]
fn dot_i8_i8_avx2(w: __m256i, y: __m256i, _bias: __m256i) -> __m256i {
    let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(y, w));
    _mm256_madd_epi16(pairs, _mm256_set1_epi16(1))
}

/// `sum w * y` per 32-bit lane of two signed byte vectors, with AVX-VNNI:
/// `sum (w + 128) y - 128 sum y` per lane, exact for every byte.
#[inline]
#[target_feature(enable = "avx2,avxvnni")]
fn dot_i8_i8_vnni(w: __m256i, y: __m256i, bias: __m256i) -> __m256i {
    let wu = _mm256_xor_si256(w, _mm256_set1_epi8(-128));
    _mm256_dpbusd_avx_epi32(_mm256_slli_epi32::<4>(bias), wu, y)
}

/// Defines the Q4_0 and Q8_0 dot kernels (one row, and [`ROWS`] rows side
/// by side) for one feature set and one integer-dot helper.
macro_rules! dot_kernels {
    (
        $features:literal,
        $q4:ident,
        $q4_rows:ident,
        $q4_impl:ident,
        $q8:ident,
        $q8_rows:ident,
        $q8_impl:ident,
        $dot_u8:ident,
        $dot_i8:ident
    ) => {
        /// `sum w_i x_i` of each of `R` Q4_0 rows, read side by side two
        /// blocks at a time, the activations loaded once for all rows.
        #[target_feature(enable = $features)]
        fn $q4_impl<const R: usize>(w: [&[BlockQ4_0]; R], x: &Q8Activations) -> [f32; R] {
            let n = w.iter().map(|r| r.len()).fold(x.blocks.len(), usize::min);
            let wp = w.map(|r| r.as_ptr() as *const u8);
            let (yq, yd, ys) = (x.qs.as_ptr(), x.d8.as_ptr(), x.bias8.as_ptr());
            let lo = _mm256_set1_epi8(0x0F);
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            let mut i = 0;
            while i + 2 <= n {
                for &p in &wp {
                    let bp = p.wrapping_add(18 * i);
                    _mm_prefetch::<_MM_HINT_T0>(bp.wrapping_add(PREFETCH_BYTES) as *const i8);
                }
                for k in 0..2 {
                    let j = i + k;
                    // SAFETY: block j < n lies inside x's arrays (32 quants,
                    // 8 scales, 8 sums at j).
                    let (y, bias, dy) = unsafe {
                        (
                            _mm256_loadu_si256(yq.add(QK * j) as *const __m256i),
                            _mm256_loadu_si256(ys.add(8 * j) as *const __m256i),
                            _mm256_loadu_ps(yd.add(8 * j)),
                        )
                    };
                    for (a, &p) in acc.iter_mut().zip(&wp) {
                        let b = p.wrapping_add(18 * j);
                        // SAFETY: block j < n lies inside this row (18 bytes from b).
                        let (raw, dw) = unsafe {
                            (
                                _mm_loadu_si128(b.add(2) as *const __m128i),
                                _mm_set1_epi16((b as *const i16).read()),
                            )
                        };
                        let q =
                            _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16::<4>(raw), raw), lo);
                        let s = $dot_u8(q, y, bias);
                        let scale = _mm256_mul_ps(_mm256_cvtph_ps(dw), dy);
                        a[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), scale, a[k]);
                    }
                }
                i += 2;
            }
            let mut out = [0.0f32; R];
            for ((o, a), row) in out.iter_mut().zip(acc).zip(w) {
                *o = hsum256(_mm256_add_ps(a[0], a[1]));
                if i < n {
                    *o += scalar::dot_q4_0_blocks(&row[i..n], &x.blocks[i..n]);
                }
            }
            out
        }

        fn $q4(w: &[BlockQ4_0], x: &Q8Activations) -> f32 {
            // SAFETY: this table is handed out only on CPUs with these features.
            unsafe { $q4_impl([w], x)[0] }
        }

        fn $q4_rows(w: [&[BlockQ4_0]; ROWS], x: &Q8Activations) -> [f32; ROWS] {
            // SAFETY: this table is handed out only on CPUs with these features.
            unsafe { $q4_impl(w, x) }
        }

        /// `sum w_i x_i` of each of `R` Q8_0 rows (see the Q4_0 kernel).
        #[target_feature(enable = $features)]
        fn $q8_impl<const R: usize>(w: [&[BlockQ8_0]; R], x: &Q8Activations) -> [f32; R] {
            let n = w.iter().map(|r| r.len()).fold(x.blocks.len(), usize::min);
            let wp = w.map(|r| r.as_ptr() as *const u8);
            let (yq, yd, ys) = (x.qs.as_ptr(), x.d8.as_ptr(), x.bias8.as_ptr());
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            let mut i = 0;
            while i + 2 <= n {
                for &p in &wp {
                    let bp = p.wrapping_add(34 * i);
                    _mm_prefetch::<_MM_HINT_T0>(bp.wrapping_add(PREFETCH_BYTES) as *const i8);
                    _mm_prefetch::<_MM_HINT_T0>(bp.wrapping_add(PREFETCH_BYTES + 64) as *const i8);
                }
                for k in 0..2 {
                    let j = i + k;
                    // SAFETY: block j < n lies inside x's arrays (32 quants,
                    // 8 scales, 8 sums at j).
                    let (y, bias, dy) = unsafe {
                        (
                            _mm256_loadu_si256(yq.add(QK * j) as *const __m256i),
                            _mm256_loadu_si256(ys.add(8 * j) as *const __m256i),
                            _mm256_loadu_ps(yd.add(8 * j)),
                        )
                    };
                    for (a, &p) in acc.iter_mut().zip(&wp) {
                        let b = p.wrapping_add(34 * j);
                        // SAFETY: block j < n lies inside this row (34 bytes from b).
                        let (q, dw) = unsafe {
                            (
                                _mm256_loadu_si256(b.add(2) as *const __m256i),
                                _mm_set1_epi16((b as *const i16).read()),
                            )
                        };
                        let s = $dot_i8(q, y, bias);
                        let scale = _mm256_mul_ps(_mm256_cvtph_ps(dw), dy);
                        a[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), scale, a[k]);
                    }
                }
                i += 2;
            }
            let mut out = [0.0f32; R];
            for ((o, a), row) in out.iter_mut().zip(acc).zip(w) {
                *o = hsum256(_mm256_add_ps(a[0], a[1]));
                if i < n {
                    *o += scalar::dot_q8_0_blocks(&row[i..n], &x.blocks[i..n]);
                }
            }
            out
        }

        fn $q8(w: &[BlockQ8_0], x: &Q8Activations) -> f32 {
            // SAFETY: this table is handed out only on CPUs with these features.
            unsafe { $q8_impl([w], x)[0] }
        }

        fn $q8_rows(w: [&[BlockQ8_0]; ROWS], x: &Q8Activations) -> [f32; ROWS] {
            // SAFETY: this table is handed out only on CPUs with these features.
            unsafe { $q8_impl(w, x) }
        }
    };
}

dot_kernels!(
    "avx2,fma,f16c",
    dot_q4_0_avx2,
    dot_rows_q4_0_avx2,
    dot_q4_0_avx2_impl,
    dot_q8_0_avx2,
    dot_rows_q8_0_avx2,
    dot_q8_0_avx2_impl,
    dot_u8_i8_bias_avx2,
    dot_i8_i8_avx2
);

dot_kernels!(
    "avx2,fma,f16c,avxvnni",
    dot_q4_0_vnni,
    dot_rows_q4_0_vnni,
    dot_q4_0_vnni_impl,
    dot_q8_0_vnni,
    dot_rows_q8_0_vnni,
    dot_q8_0_vnni_impl,
    dot_u8_i8_bias_vnni,
    dot_i8_i8_vnni
);
