//! NEON kernels.
//!
//! Quantize and dequantize are bit-identical to the scalar reference:
//! `vcvtaq_s32_f32` rounds half away from zero exactly as `roundf`, and
//! `vcvtq_s32_f32` truncates (saturating, NaN to 0) exactly as Rust's `as`.
//! The dot products widen byte products to 16 and 32 bits (`vmull_s8`,
//! `vpadalq_s16`), reduce each block to its exact integer sum and add
//! `sumi * dw * dy` in block order, as the reference does, so they return the
//! reference's value bit for bit.

use crate::activations::Q8Activations;
use crate::blocks::{BlockQ4_0, BlockQ8_0, QK};
use crate::kernels::{QuantIsa, QuantKernels};
use half::f16;
use std::arch::aarch64::*;

/// The NEON table.
pub static KERNELS: QuantKernels = QuantKernels {
    isa: QuantIsa::Neon,
    quantize_q4_0,
    quantize_q8_0,
    dequantize_q4_0,
    dequantize_q8_0,
    dot_q4_0,
    dot_q8_0,
    dot_rows_q4_0: None,
    dot_rows_q8_0: None,
    dot_cols_q4_0: None,
};

/// Loads the 32 values of a block.
#[inline]
#[target_feature(enable = "neon")]
fn load_block(x: &[f32]) -> [float32x4_t; 8] {
    assert!(x.len() >= QK);
    // SAFETY: x holds at least 32 floats (checked above); each load reads 4 at 4k.
    std::array::from_fn(|k| unsafe { vld1q_f32(x.as_ptr().add(4 * k)) })
}

/// Narrows 8 vectors of `i32` (each lane within `i8`) to 32 bytes, in order.
#[inline]
#[target_feature(enable = "neon")]
fn narrow(q: [int32x4_t; 8]) -> [int8x16_t; 2] {
    let h: [int16x8_t; 4] =
        std::array::from_fn(|k| vcombine_s16(vqmovn_s32(q[2 * k]), vqmovn_s32(q[2 * k + 1])));
    [
        vcombine_s8(vqmovn_s16(h[0]), vqmovn_s16(h[1])),
        vcombine_s8(vqmovn_s16(h[2]), vqmovn_s16(h[3])),
    ]
}

#[target_feature(enable = "neon")]
fn quantize_q8_0_impl(x: &[f32], y: &mut [BlockQ8_0]) {
    for (b, xs) in y.iter_mut().zip(x.chunks_exact(QK)) {
        let v = load_block(xs);
        let mut m = vabsq_f32(v[0]);
        for v in &v[1..] {
            m = vmaxq_f32(m, vabsq_f32(*v));
        }
        let amax = vmaxvq_f32(m);
        let d = amax / 127.0;
        let id = vdupq_n_f32(if d != 0.0 { 1.0 / d } else { 0.0 });
        let q = narrow(v.map(|v| vcvtaq_s32_f32(vmulq_f32(v, id))));
        // SAFETY: qs is 32 bytes; the stores write 16 bytes at 0 and at 16.
        unsafe {
            vst1q_s8(b.qs.as_mut_ptr(), q[0]);
            vst1q_s8(b.qs.as_mut_ptr().add(16), q[1]);
        }
        b.d = f16::from_f32(d);
    }
}

fn quantize_q8_0(x: &[f32], y: &mut [BlockQ8_0]) {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { quantize_q8_0_impl(x, y) }
}

#[target_feature(enable = "neon")]
fn quantize_q4_0_impl(x: &[f32], y: &mut [BlockQ4_0]) {
    for (b, xs) in y.iter_mut().zip(x.chunks_exact(QK)) {
        let v = load_block(xs);
        let mut m = vabsq_f32(v[0]);
        for v in &v[1..] {
            m = vmaxq_f32(m, vabsq_f32(*v));
        }
        let amax = vmaxvq_f32(m);
        // The first value of largest magnitude, sign included (ggml's strict `<` scan).
        let max = if amax > 0.0 {
            xs.iter().copied().find(|v| v.abs() == amax).unwrap_or(0.0)
        } else {
            0.0
        };
        let d = max / -8.0;
        let id = vdupq_n_f32(if d != 0.0 { 1.0 / d } else { 0.0 });
        let (half, fifteen, zero) = (vdupq_n_f32(8.5), vdupq_n_s32(15), vdupq_n_s32(0));
        let q = narrow(v.map(|v| {
            let t = vcvtq_s32_f32(vaddq_f32(vmulq_f32(v, id), half));
            vmaxq_s32(vminq_s32(t, fifteen), zero)
        }));
        let lo = vreinterpretq_u8_s8(q[0]);
        let hi = vreinterpretq_u8_s8(q[1]);
        // SAFETY: qs is 16 bytes.
        unsafe { vst1q_u8(b.qs.as_mut_ptr(), vorrq_u8(lo, vshlq_n_u8::<4>(hi))) };
        b.d = f16::from_f32(d);
    }
}

fn quantize_q4_0(x: &[f32], y: &mut [BlockQ4_0]) {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { quantize_q4_0_impl(x, y) }
}

/// Writes 16 signed bytes times `d` as 16 floats.
#[inline]
#[target_feature(enable = "neon")]
fn store_scaled16(q: int8x16_t, d: float32x4_t, out: &mut [f32]) {
    assert!(out.len() >= 16);
    let h = [vmovl_s8(vget_low_s8(q)), vmovl_high_s8(q)];
    for (k, h) in h.into_iter().enumerate() {
        let w = [vmovl_s16(vget_low_s16(h)), vmovl_high_s16(h)];
        for (l, w) in w.into_iter().enumerate() {
            let f = vmulq_f32(vcvtq_f32_s32(w), d);
            // SAFETY: out holds at least 16 floats (checked above); this writes 4 at 8k + 4l.
            unsafe { vst1q_f32(out.as_mut_ptr().add(8 * k + 4 * l), f) };
        }
    }
}

#[target_feature(enable = "neon")]
fn dequantize_q4_0_impl(x: &[BlockQ4_0], y: &mut [f32]) {
    for (b, ys) in x.iter().zip(y.chunks_exact_mut(QK)) {
        // SAFETY: qs is 16 bytes.
        let raw = unsafe { vld1q_u8(b.qs.as_ptr()) };
        let eight = vdupq_n_s8(8);
        let lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), eight);
        let hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8::<4>(raw)), eight);
        let d = vdupq_n_f32(b.d.to_f32());
        let (a, c) = ys.split_at_mut(QK / 2);
        store_scaled16(lo, d, a);
        store_scaled16(hi, d, c);
    }
}

fn dequantize_q4_0(x: &[BlockQ4_0], y: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { dequantize_q4_0_impl(x, y) }
}

#[target_feature(enable = "neon")]
fn dequantize_q8_0_impl(x: &[BlockQ8_0], y: &mut [f32]) {
    for (b, ys) in x.iter().zip(y.chunks_exact_mut(QK)) {
        // SAFETY: qs is 32 bytes; the loads read 16 at 0 and at 16.
        let (q0, q1) = unsafe { (vld1q_s8(b.qs.as_ptr()), vld1q_s8(b.qs.as_ptr().add(16))) };
        let d = vdupq_n_f32(b.d.to_f32());
        let (a, c) = ys.split_at_mut(QK / 2);
        store_scaled16(q0, d, a);
        store_scaled16(q1, d, c);
    }
}

fn dequantize_q8_0(x: &[BlockQ8_0], y: &mut [f32]) {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { dequantize_q8_0_impl(x, y) }
}

/// `sum a_i b_i` of 16 signed bytes each, exact, as 4 partial `i32` sums added to `acc`.
#[inline]
#[target_feature(enable = "neon")]
fn dot16(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
    let acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    vpadalq_s16(acc, vmull_high_s8(a, b))
}

#[target_feature(enable = "neon")]
fn dot_q4_0_impl(w: &[BlockQ4_0], x: &Q8Activations) -> f32 {
    let mut sum = 0.0f32;
    let (mask, eight) = (vdupq_n_u8(0x0F), vdupq_n_s8(8));
    for (a, b) in w.iter().zip(&x.blocks) {
        // SAFETY: a.qs is 16 bytes and b.qs 32; the loads read exactly those.
        let (raw, y0, y1) = unsafe {
            (
                vld1q_u8(a.qs.as_ptr()),
                vld1q_s8(b.qs.as_ptr()),
                vld1q_s8(b.qs.as_ptr().add(16)),
            )
        };
        let lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, mask)), eight);
        let hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8::<4>(raw)), eight);
        let s = dot16(dot16(vdupq_n_s32(0), lo, y0), hi, y1);
        sum += vaddvq_s32(s) as f32 * a.d.to_f32() * b.d.to_f32();
    }
    sum
}

fn dot_q4_0(w: &[BlockQ4_0], x: &Q8Activations) -> f32 {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { dot_q4_0_impl(w, x) }
}

#[target_feature(enable = "neon")]
fn dot_q8_0_impl(w: &[BlockQ8_0], x: &Q8Activations) -> f32 {
    let mut sum = 0.0f32;
    for (a, b) in w.iter().zip(&x.blocks) {
        // SAFETY: both qs are 32 bytes; the loads read 16 at 0 and at 16.
        let (a0, a1, b0, b1) = unsafe {
            (
                vld1q_s8(a.qs.as_ptr()),
                vld1q_s8(a.qs.as_ptr().add(16)),
                vld1q_s8(b.qs.as_ptr()),
                vld1q_s8(b.qs.as_ptr().add(16)),
            )
        };
        let s = dot16(dot16(vdupq_n_s32(0), a0, b0), a1, b1);
        sum += vaddvq_s32(s) as f32 * a.d.to_f32() * b.d.to_f32();
    }
    sum
}

fn dot_q8_0(w: &[BlockQ8_0], x: &Q8Activations) -> f32 {
    // SAFETY: this table is handed out only on CPUs with NEON.
    unsafe { dot_q8_0_impl(w, x) }
}
