//! NEON kernels.

use crate::kernels::{Gemm, Isa, Kernels, scalar};
use half::{bf16, f16};
use std::arch::aarch64::*;

/// Loads 4 `f32` lanes from a pointer to 4 elements of the given type.
macro_rules! load4 {
    (f32, $p:expr) => {
        // SAFETY: the caller guarantees 4 readable elements at $p.
        unsafe { vld1q_f32($p) }
    };
    (bf16, $p:expr) => {
        // SAFETY: the caller guarantees 4 readable elements (8 bytes) at $p.
        vreinterpretq_f32_u32(vshll_n_u16::<16>(unsafe { vld1_u16($p as *const u16) }))
    };
    (f16, $p:expr) => {{
        // Half-precision vector types are not stable in Rust yet: widen
        // through `half`, then load.
        // SAFETY: the caller guarantees 4 readable elements at $p.
        let src = unsafe { std::slice::from_raw_parts($p, 4) };
        let tmp: [f32; 4] = [
            src[0].to_f32(),
            src[1].to_f32(),
            src[2].to_f32(),
            src[3].to_f32(),
        ];
        // SAFETY: tmp holds 4 elements.
        unsafe { vld1q_f32(tmp.as_ptr()) }
    }};
}

macro_rules! dot_kernel {
    ($name:ident, $impl_name:ident, $t:ident, $scalar:path) => {
        #[target_feature(enable = "neon")]
        fn $impl_name(w: &[$t], x: &[f32]) -> f32 {
            let n = w.len().min(x.len());
            let (pw, px) = (w.as_ptr(), x.as_ptr());
            let mut acc = [vdupq_n_f32(0.0); 4];
            let mut i = 0;
            // The loads below read 4 elements at i + 4k <= n - 4: inside both slices.
            while i + 16 <= n {
                for (k, a) in acc.iter_mut().enumerate() {
                    let o = i + 4 * k;
                    *a = vfmaq_f32(*a, load4!($t, pw.add(o)), load4!(f32, px.add(o)));
                }
                i += 16;
            }
            while i + 4 <= n {
                acc[0] = vfmaq_f32(acc[0], load4!($t, pw.add(i)), load4!(f32, px.add(i)));
                i += 4;
            }
            let v = vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3]));
            vaddvq_f32(v) + $scalar(&w[i..n], &x[i..n])
        }

        fn $name(w: &[$t], x: &[f32]) -> f32 {
            // SAFETY: this table is handed out only on CPUs with NEON.
            unsafe { $impl_name(w, x) }
        }
    };
}

dot_kernel!(dot_f32, dot_f32_neon, f32, scalar::dot_f32);
dot_kernel!(dot_f16, dot_f16_neon, f16, scalar::dot_f16);
dot_kernel!(dot_bf16, dot_bf16_neon, bf16, scalar::dot_bf16);

fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
    scalar::add(a, b, out)
}

fn mul(a: &[f32], b: &[f32], out: &mut [f32]) {
    scalar::mul(a, b, out)
}

fn scale(a: &[f32], s: f32, out: &mut [f32]) {
    scalar::scale(a, s, out)
}

fn max(x: &[f32]) -> f32 {
    scalar::max(x)
}

/// `exp` of 4 lanes (Cephes' polynomial; see the x86 version for the range).
#[inline]
#[target_feature(enable = "neon")]
fn exp4(x: float32x4_t) -> float32x4_t {
    let x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.336_54)), vdupq_n_f32(88.02));
    let n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(std::f32::consts::LOG2_E)));
    let r = vfmsq_f32(x, n, vdupq_n_f32(0.693_359_4));
    let r = vfmsq_f32(r, n, vdupq_n_f32(-2.121_944_4e-4));
    let mut p = vdupq_n_f32(1.987_569_1e-4);
    for c in [
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        5.000_000_1e-1,
    ] {
        p = vfmaq_f32(vdupq_n_f32(c), p, r);
    }
    let r2 = vmulq_f32(r, r);
    p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0)), p, r2);
    let e = vshlq_n_s32::<23>(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)));
    vmulq_f32(p, vreinterpretq_f32_s32(e))
}

#[inline]
#[target_feature(enable = "neon")]
fn map4(x: &mut [f32], f: impl Fn(float32x4_t) -> float32x4_t, tail: fn(&mut [f32])) {
    let mut chunks = x.chunks_exact_mut(4);
    for c in &mut chunks {
        // SAFETY: c holds exactly 4 elements.
        let v = unsafe { vld1q_f32(c.as_ptr()) };
        // SAFETY: as above.
        unsafe { vst1q_f32(c.as_mut_ptr(), f(v)) };
    }
    tail(chunks.into_remainder());
}

#[target_feature(enable = "neon")]
fn exp_shift_sum_neon(x: &mut [f32], shift: f32) -> f32 {
    let s = vdupq_n_f32(shift);
    let mut acc = vdupq_n_f32(0.0);
    let mut chunks = x.chunks_exact_mut(4);
    for c in &mut chunks {
        // SAFETY: c holds exactly 4 elements.
        let v = exp4(vsubq_f32(unsafe { vld1q_f32(c.as_ptr()) }, s));
        acc = vaddq_f32(acc, v);
        // SAFETY: as above.
        unsafe { vst1q_f32(c.as_mut_ptr(), v) };
    }
    vaddvq_f32(acc) + scalar::exp_shift_sum(chunks.into_remainder(), shift)
}

fn exp_shift_sum(x: &mut [f32], shift: f32) -> f32 {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { exp_shift_sum_neon(x, shift) }
}

#[target_feature(enable = "neon")]
fn silu_neon(x: &mut [f32]) {
    let one = vdupq_n_f32(1.0);
    map4(
        x,
        |v| vdivq_f32(v, vaddq_f32(one, exp4(vnegq_f32(v)))),
        scalar::silu,
    );
}

fn silu(x: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { silu_neon(x) }
}

#[target_feature(enable = "neon")]
fn gelu_tanh_neon(x: &mut [f32]) {
    let (half, one, two) = (vdupq_n_f32(0.5), vdupq_n_f32(1.0), vdupq_n_f32(2.0));
    let (k, c) = (vdupq_n_f32(scalar::SQRT_2_OVER_PI), vdupq_n_f32(0.044715));
    map4(
        x,
        |v| {
            let v3 = vmulq_f32(vmulq_f32(v, v), v);
            let y = vmulq_f32(k, vfmaq_f32(v, c, v3));
            // tanh(y) = 1 - 2 / (exp(2y) + 1)
            let e = exp4(vmulq_f32(two, y));
            let t = vsubq_f32(one, vdivq_f32(two, vaddq_f32(e, one)));
            vmulq_f32(vmulq_f32(half, v), vaddq_f32(one, t))
        },
        scalar::gelu_tanh,
    );
}

fn gelu_tanh(x: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { gelu_tanh_neon(x) }
}

fn f16_to_f32(src: &[f16], dst: &mut [f32]) {
    scalar::f16_to_f32(src, dst)
}

#[target_feature(enable = "neon")]
fn bf16_to_f32_neon(src: &[bf16], dst: &mut [f32]) {
    let n = src.len().min(dst.len());
    let mut i = 0;
    while i + 4 <= n {
        // i + 4 <= n and both slices hold n elements.
        let v = load4!(bf16, src.as_ptr().add(i));
        // SAFETY: as above.
        unsafe { vst1q_f32(dst.as_mut_ptr().add(i), v) };
        i += 4;
    }
    scalar::bf16_to_f32(&src[i..n], &mut dst[i..n]);
}

fn bf16_to_f32(src: &[bf16], dst: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { bf16_to_f32_neon(src, dst) }
}

const MR: usize = 8;
const NR: usize = 8;
const KC: usize = 256;

#[target_feature(enable = "neon")]
unsafe fn gemm_8x8(kc: usize, a: &[f32], b: &[f32], c: *mut f32, ldc: usize, accumulate: bool) {
    scalar::check_tile(kc, KC, MR, NR, a, b, ldc);
    let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c);
    let mut acc = [[vdupq_n_f32(0.0); 2]; MR];
    for p in 0..kc {
        // SAFETY: check_tile guarantees kc rows of NR in b.
        let (b0, b1) = unsafe { (vld1q_f32(pb.add(p * NR)), vld1q_f32(pb.add(p * NR + 4))) };
        for (i, row) in acc.iter_mut().enumerate() {
            // SAFETY: check_tile guarantees MR rows of stride KC in a.
            let av = unsafe { vld1q_dup_f32(pa.add(i * KC + p)) };
            row[0] = vfmaq_f32(row[0], av, b0);
            row[1] = vfmaq_f32(row[1], av, b1);
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (h, &v) in row.iter().enumerate() {
            // SAFETY: the caller guarantees the tile at c (stride ldc) is valid.
            unsafe {
                let q = pc.add(i * ldc + 4 * h);
                let v = if accumulate {
                    vaddq_f32(vld1q_f32(q), v)
                } else {
                    v
                };
                vst1q_f32(q, v);
            }
        }
    }
}

/// # Safety
/// As `GemmMicroKernel`: `c` addresses a writable tile at stride `ldc`.
unsafe fn gemm_ukernel(kc: usize, a: &[f32], b: &[f32], c: *mut f32, ldc: usize, accumulate: bool) {
    // SAFETY: the caller upholds the tile contract; this table is handed out only on CPUs with NEON.
    unsafe { gemm_8x8(kc, a, b, c, ldc, accumulate) }
}

/// The NEON kernel table; reachable only through `kernels_for(Isa::Neon)`.
pub(crate) static KERNELS: Kernels = Kernels {
    isa: Isa::Neon,
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
