//! The portable reference kernels.
//!
//! Written so that LLVM can vectorise them for the baseline target, and used
//! as bodies (`#[inline(always)]`) of the auto-vectorised ops in the ISA
//! files. Every SIMD kernel is tested against these.

use super::{Gemm, Isa, Kernels};
use half::{bf16, f16};

/// Accumulator lanes of the reductions: independent partial sums let the
/// compiler vectorise, and fix the summation order.
const LANES: usize = 8;

/// `sum a[i] * b[i]` over the common length.
#[inline(always)]
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    dot_with(a, b, |v| v)
}

/// `sum w[i] * x[i]` with half-precision `w`.
#[inline(always)]
pub fn dot_f16(w: &[f16], x: &[f32]) -> f32 {
    dot_with(w, x, f16::to_f32)
}

/// `sum w[i] * x[i]` with bfloat16 `w`.
#[inline(always)]
pub fn dot_bf16(w: &[bf16], x: &[f32]) -> f32 {
    dot_with(w, x, bf16::to_f32)
}

#[inline(always)]
fn dot_with<T: Copy>(w: &[T], x: &[f32], cvt: impl Fn(T) -> f32) -> f32 {
    let n = w.len().min(x.len());
    let (w, x) = (&w[..n], &x[..n]);
    let mut acc = [0.0f32; LANES];
    let mut wc = w.chunks_exact(LANES);
    let mut xc = x.chunks_exact(LANES);
    for (wb, xb) in (&mut wc).zip(&mut xc) {
        for l in 0..LANES {
            acc[l] += cvt(wb[l]) * xb[l];
        }
    }
    let mut tail = 0.0f32;
    for (&a, &b) in wc.remainder().iter().zip(xc.remainder()) {
        tail += cvt(a) * b;
    }
    acc.iter().sum::<f32>() + tail
}

/// `out[i] = a[i] + b[i]`.
#[inline(always)]
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x + y;
    }
}

/// `out[i] = a[i] * b[i]`.
#[inline(always)]
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x * y;
    }
}

/// `out[i] = a[i] * s`.
#[inline(always)]
pub fn scale(a: &[f32], s: f32, out: &mut [f32]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = x * s;
    }
}

/// The largest element, skipping NaNs; `-inf` when there is none.
#[inline(always)]
pub fn max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let mut c = x.chunks_exact(LANES);
    for b in &mut c {
        for l in 0..LANES {
            acc[l] = acc[l].max(b[l]);
        }
    }
    let mut m = f32::NEG_INFINITY;
    for &v in c.remainder().iter().chain(acc.iter()) {
        m = m.max(v);
    }
    m
}

/// `x[i] = exp(x[i] - shift)`, returning the sum.
pub fn exp_shift_sum(x: &mut [f32], shift: f32) -> f32 {
    let mut sum = 0.0f32;
    for v in x.iter_mut() {
        *v = (*v - shift).exp();
        sum += *v;
    }
    sum
}

/// SiLU (swish) in place.
pub fn silu(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v /= 1.0 + (-*v).exp();
    }
}

/// `sqrt(2 / pi)`, the constant of the tanh form of GELU.
pub const SQRT_2_OVER_PI: f32 = 0.797_884_6;

/// GELU, tanh approximation, in place.
pub fn gelu_tanh(x: &mut [f32]) {
    for v in x.iter_mut() {
        let u = *v;
        *v = 0.5 * u * (1.0 + (SQRT_2_OVER_PI * (u + 0.044715 * u * u * u)).tanh());
    }
}

/// Widens half-precision values.
#[inline(always)]
pub fn f16_to_f32(src: &[f16], dst: &mut [f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = s.to_f32();
    }
}

/// Widens bfloat16 values.
#[inline(always)]
pub fn bf16_to_f32(src: &[bf16], dst: &mut [f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = s.to_f32();
    }
}

const MR: usize = 4;
const NR: usize = 8;
const KC: usize = 256;

/// Checks that a micro-kernel's slices cover its tile; an internal invariant.
#[inline(always)]
pub(crate) fn check_tile(
    kc: usize,
    kc_stride: usize,
    mr: usize,
    nr: usize,
    a: &[f32],
    b: &[f32],
    ldc: usize,
) {
    assert!(
        kc <= kc_stride && a.len() >= (mr - 1) * kc_stride + kc && b.len() >= kc * nr && ldc >= nr,
        "gemm micro-kernel called with a short buffer"
    );
}

/// The portable `4 x 8` micro-kernel.
///
/// # Safety
/// As [`GemmMicroKernel`](super::GemmMicroKernel): `c` addresses a writable `4 x 8` tile at stride `ldc`.
pub unsafe fn gemm_ukernel(
    kc: usize,
    a: &[f32],
    b: &[f32],
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    check_tile(kc, KC, MR, NR, a, b, ldc);
    let mut acc = [[0.0f32; NR]; MR];
    for (p, bp) in b.chunks_exact(NR).take(kc).enumerate() {
        for i in 0..MR {
            let av = a[i * KC + p];
            for j in 0..NR {
                acc[i][j] += av * bp[j];
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        // SAFETY: the caller guarantees the tile's row i (NR elements at
        // i * ldc) is valid and not otherwise accessed.
        let crow = unsafe { std::slice::from_raw_parts_mut(c.add(i * ldc), NR) };
        if accumulate {
            for (cv, &v) in crow.iter_mut().zip(row) {
                *cv += v;
            }
        } else {
            crow.copy_from_slice(row);
        }
    }
}

/// The scalar kernel table.
pub static KERNELS: Kernels = Kernels {
    isa: Isa::Scalar,
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
        mc: 64,
        nc: 1024,
        kernel: gemm_ukernel,
    },
};
