//! AVX2 + FMA (+ F16C) kernels.

use super::exp::exp256;
use crate::kernels::{Gemm, Isa, Kernels, scalar};
use half::{bf16, f16};
use std::arch::x86_64::*;

/// Sum of the 8 lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

/// Loads 8 `f32` lanes from a pointer to 8 elements of the given type.
macro_rules! load8 {
    (f32, $p:expr) => {
        // SAFETY: the caller guarantees 8 readable elements at $p.
        unsafe { _mm256_loadu_ps($p) }
    };
    (f16, $p:expr) => {
        // SAFETY: the caller guarantees 8 readable elements (16 bytes) at $p.
        _mm256_cvtph_ps(unsafe { _mm_loadu_si128($p as *const __m128i) })
    };
    (bf16, $p:expr) => {
        // SAFETY: the caller guarantees 8 readable elements (16 bytes) at $p.
        _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(unsafe {
            _mm_loadu_si128($p as *const __m128i)
        })))
    };
}

macro_rules! dot_kernel {
    ($name:ident, $impl_name:ident, $t:ident, $scalar:path) => {
        #[target_feature(enable = "avx2,fma,f16c")]
        fn $impl_name(w: &[$t], x: &[f32]) -> f32 {
            let n = w.len().min(x.len());
            let (pw, px) = (w.as_ptr(), x.as_ptr());
            let mut acc = [_mm256_setzero_ps(); 4];
            let mut i = 0;
            let stream = super::streams(n * std::mem::size_of::<$t>());
            // The loads below read 8 elements at i + 8k <= n - 8: inside both slices.
            while i + 32 <= n {
                if stream {
                    super::prefetch_ahead(pw.wrapping_add(i), 32 * std::mem::size_of::<$t>());
                }
                for (k, a) in acc.iter_mut().enumerate() {
                    let o = i + 8 * k;
                    *a = _mm256_fmadd_ps(load8!($t, pw.add(o)), load8!(f32, px.add(o)), *a);
                }
                i += 32;
            }
            while i + 8 <= n {
                acc[0] = _mm256_fmadd_ps(load8!($t, pw.add(i)), load8!(f32, px.add(i)), acc[0]);
                i += 8;
            }
            let v = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
            hsum(v) + $scalar(&w[i..n], &x[i..n])
        }

        fn $name(w: &[$t], x: &[f32]) -> f32 {
            // SAFETY: this table is handed out only on CPUs with avx2, fma and f16c.
            unsafe { $impl_name(w, x) }
        }
    };
}

dot_kernel!(dot_f32, dot_f32_avx2, f32, scalar::dot_f32);
dot_kernel!(dot_f16, dot_f16_avx2, f16, scalar::dot_f16);
dot_kernel!(dot_bf16, dot_bf16_avx2, bf16, scalar::dot_bf16);

/// Compiles a portable loop for AVX2 (LLVM vectorises the inlined body).
macro_rules! autovec {
    ($name:ident, $impl_name:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty, $body:path) => {
        #[target_feature(enable = "avx2,fma,f16c")]
        fn $impl_name($($arg: $ty),*) -> $ret {
            $body($($arg),*)
        }
        fn $name($($arg: $ty),*) -> $ret {
            // SAFETY: this table is handed out only on CPUs with avx2, fma and f16c.
            unsafe { $impl_name($($arg),*) }
        }
    };
}

autovec!(add, add_avx2, (a: &[f32], b: &[f32], out: &mut [f32]) -> (), scalar::add);
autovec!(mul, mul_avx2, (a: &[f32], b: &[f32], out: &mut [f32]) -> (), scalar::mul);
autovec!(scale, scale_avx2, (a: &[f32], s: f32, out: &mut [f32]) -> (), scalar::scale);
autovec!(max, max_avx2, (x: &[f32]) -> f32, scalar::max);

/// Applies `f` to every full 8-lane chunk of `x` and `tail` to the rest.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn map8(x: &mut [f32], f: impl Fn(__m256) -> __m256, tail: fn(&mut [f32])) {
    let mut chunks = x.chunks_exact_mut(8);
    for c in &mut chunks {
        // SAFETY: c holds exactly 8 elements.
        let v = unsafe { _mm256_loadu_ps(c.as_ptr()) };
        // SAFETY: as above.
        unsafe { _mm256_storeu_ps(c.as_mut_ptr(), f(v)) };
    }
    tail(chunks.into_remainder());
}

#[target_feature(enable = "avx2,fma")]
fn exp_shift_sum_avx2(x: &mut [f32], shift: f32) -> f32 {
    let s = _mm256_set1_ps(shift);
    let mut acc = _mm256_setzero_ps();
    let mut chunks = x.chunks_exact_mut(8);
    for c in &mut chunks {
        // SAFETY: c holds exactly 8 elements.
        let v = exp256(_mm256_sub_ps(unsafe { _mm256_loadu_ps(c.as_ptr()) }, s));
        acc = _mm256_add_ps(acc, v);
        // SAFETY: as above.
        unsafe { _mm256_storeu_ps(c.as_mut_ptr(), v) };
    }
    hsum(acc) + scalar::exp_shift_sum(chunks.into_remainder(), shift)
}

fn exp_shift_sum(x: &mut [f32], shift: f32) -> f32 {
    // SAFETY: this table is handed out only on CPUs with avx2 and fma.
    unsafe { exp_shift_sum_avx2(x, shift) }
}

#[target_feature(enable = "avx2,fma")]
fn silu_avx2(x: &mut [f32]) {
    let one = _mm256_set1_ps(1.0);
    map8(
        x,
        |v| {
            _mm256_div_ps(
                v,
                _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), v))),
            )
        },
        scalar::silu,
    );
}

fn silu(x: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with avx2 and fma.
    unsafe { silu_avx2(x) }
}

#[target_feature(enable = "avx2,fma")]
fn gelu_tanh_avx2(x: &mut [f32]) {
    let (half, one, two) = (
        _mm256_set1_ps(0.5),
        _mm256_set1_ps(1.0),
        _mm256_set1_ps(2.0),
    );
    let (k, c) = (
        _mm256_set1_ps(scalar::SQRT_2_OVER_PI),
        _mm256_set1_ps(0.044715),
    );
    map8(
        x,
        |v| {
            let v3 = _mm256_mul_ps(_mm256_mul_ps(v, v), v);
            let y = _mm256_mul_ps(k, _mm256_fmadd_ps(c, v3, v));
            // tanh(y) = 1 - 2 / (exp(2y) + 1)
            let e = exp256(_mm256_mul_ps(two, y));
            let t = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one)));
            _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, t))
        },
        scalar::gelu_tanh,
    );
}

fn gelu_tanh(x: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with avx2 and fma.
    unsafe { gelu_tanh_avx2(x) }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn f16_to_f32_avx2(src: &[f16], dst: &mut [f32]) {
    let n = src.len().min(dst.len());
    let mut i = 0;
    while i + 8 <= n {
        // i + 8 <= n and both slices hold n elements.
        let v = load8!(f16, src.as_ptr().add(i));
        // SAFETY: as above.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr().add(i), v) };
        i += 8;
    }
    scalar::f16_to_f32(&src[i..n], &mut dst[i..n]);
}

fn f16_to_f32(src: &[f16], dst: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with avx2 and f16c.
    unsafe { f16_to_f32_avx2(src, dst) }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn bf16_to_f32_avx2(src: &[bf16], dst: &mut [f32]) {
    let n = src.len().min(dst.len());
    let mut i = 0;
    while i + 8 <= n {
        // i + 8 <= n and both slices hold n elements.
        let v = load8!(bf16, src.as_ptr().add(i));
        // SAFETY: as above.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr().add(i), v) };
        i += 8;
    }
    scalar::bf16_to_f32(&src[i..n], &mut dst[i..n]);
}

fn bf16_to_f32(src: &[bf16], dst: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with avx2.
    unsafe { bf16_to_f32_avx2(src, dst) }
}

const MR: usize = 6;
const NR: usize = 16;
const KC: usize = 256;

#[target_feature(enable = "avx2,fma")]
unsafe fn gemm_6x16(kc: usize, a: &[f32], b: &[f32], c: *mut f32, ldc: usize, accumulate: bool) {
    scalar::check_tile(kc, KC, MR, NR, a, b, ldc);
    let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c);
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    for p in 0..kc {
        // SAFETY: check_tile guarantees kc rows of NR in b and MR rows of stride KC in a.
        let (b0, b1) = unsafe {
            (
                _mm256_loadu_ps(pb.add(p * NR)),
                _mm256_loadu_ps(pb.add(p * NR + 8)),
            )
        };
        for (i, row) in acc.iter_mut().enumerate() {
            // SAFETY: as above.
            let av = _mm256_set1_ps(unsafe { *pa.add(i * KC + p) });
            row[0] = _mm256_fmadd_ps(av, b0, row[0]);
            row[1] = _mm256_fmadd_ps(av, b1, row[1]);
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (h, &v) in row.iter().enumerate() {
            // SAFETY: the caller guarantees the tile at c (stride ldc) is valid.
            unsafe {
                let q = pc.add(i * ldc + 8 * h);
                let v = if accumulate {
                    _mm256_add_ps(_mm256_loadu_ps(q), v)
                } else {
                    v
                };
                _mm256_storeu_ps(q, v);
            }
        }
    }
}

/// # Safety
/// As `GemmMicroKernel`: `c` addresses a writable tile at stride `ldc`.
unsafe fn gemm_ukernel(kc: usize, a: &[f32], b: &[f32], c: *mut f32, ldc: usize, accumulate: bool) {
    // SAFETY: the caller upholds the tile contract; this table is handed out only on CPUs with avx2 and fma.
    unsafe { gemm_6x16(kc, a, b, c, ldc, accumulate) }
}

/// The AVX2 kernel table; reachable only through `kernels_for(Isa::Avx2)`.
pub(crate) static KERNELS: Kernels = Kernels {
    isa: Isa::Avx2,
    dot_f32,
    dot_f16,
    dot_bf16,
    add,
    mul,
    scale,
    max,
    exp_shift_sum,
    silu,
    gelu_tanh,
    f16_to_f32,
    bf16_to_f32,
    gemm: Gemm {
        mr: MR,
        nr: NR,
        kc: KC,
        mc: 96,
        nc: 2048,
        kernel: gemm_ukernel,
    },
};
