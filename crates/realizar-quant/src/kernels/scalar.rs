//! The reference kernels: ggml's reference code, in Rust.
//!
//! `quantize_*` follow `quantize_row_q4_0_ref` and `quantize_row_q8_0_ref`
//! of `ggml-quants.c` operation for operation (same `f32` operations in
//! the same order, no fused multiply-add), so their bytes equal ggml's and
//! gguf-py's. The dot products follow ggml's generic `vec_dot` loops: an
//! exact integer sum per block, then `sumf += sumi * dx * dy` in block order.

use super::{QuantIsa, QuantKernels};
use crate::activations::Q8Activations;
use crate::blocks::{BlockQ4_0, BlockQ8_0, QK};
use half::f16;

/// The reference table.
pub static KERNELS: QuantKernels = QuantKernels {
    isa: QuantIsa::Scalar,
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

/// One Q4_0 block, as `quantize_row_q4_0_ref` makes it.
///
/// The scale comes from the value of largest magnitude, sign included
/// (the first one on ties): `d = max / -8`, so that value maps to nibble 0
/// exactly, and the other side of zero reaches at most nibble 15 (`7 d`,
/// clamped). Nibbles are `trunc(x / d + 8.5)`, i.e. rounded half up.
#[inline]
pub fn quantize_block_q4_0(x: &[f32; QK]) -> BlockQ4_0 {
    let mut amax = 0.0f32;
    let mut max = 0.0f32;
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    let d = max / -8.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let mut qs = [0u8; QK / 2];
    for (j, q) in qs.iter_mut().enumerate() {
        let x0 = x[j] * id;
        let x1 = x[QK / 2 + j] * id;
        *q = nibble(x0) | (nibble(x1) << 4);
    }
    BlockQ4_0 {
        d: f16::from_f32(d),
        qs,
    }
}

/// `MIN(15, (int8_t)(v + 8.5f))` for the range ggml produces (`v` in
/// `[-8, 8]`); saturating and clamped to `0..=15` elsewhere (non-finite input).
#[inline]
fn nibble(v: f32) -> u8 {
    ((v + 8.5) as i32).clamp(0, 15) as u8
}

/// One Q8_0 block, as `quantize_row_q8_0_ref` makes it: `d = amax / 127`,
/// `q = roundf(x * (1 / d))` (half away from zero).
#[inline]
pub fn quantize_block_q8_0(x: &[f32; QK]) -> BlockQ8_0 {
    let mut amax = 0.0f32;
    for &v in x {
        // MAX(amax, fabsf(v)) as ggml's macro writes it.
        amax = if amax > v.abs() { amax } else { v.abs() };
    }
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let mut qs = [0i8; QK];
    for (q, &v) in qs.iter_mut().zip(x) {
        *q = (v * id).round() as i8;
    }
    BlockQ8_0 {
        d: f16::from_f32(d),
        qs,
    }
}

/// Quantizes whole blocks of `x` into `y`.
pub fn quantize_q4_0(x: &[f32], y: &mut [BlockQ4_0]) {
    for (b, xs) in y.iter_mut().zip(x.chunks_exact(QK)) {
        *b = quantize_block_q4_0(xs.try_into().expect("chunk of 32"));
    }
}

/// Quantizes whole blocks of `x` into `y`.
pub fn quantize_q8_0(x: &[f32], y: &mut [BlockQ8_0]) {
    for (b, xs) in y.iter_mut().zip(x.chunks_exact(QK)) {
        *b = quantize_block_q8_0(xs.try_into().expect("chunk of 32"));
    }
}

/// Dequantizes whole blocks: `y[j] = (nibble_j - 8) * d`.
pub fn dequantize_q4_0(x: &[BlockQ4_0], y: &mut [f32]) {
    for (b, ys) in x.iter().zip(y.chunks_exact_mut(QK)) {
        let d = b.d.to_f32();
        for (j, &q) in b.qs.iter().enumerate() {
            ys[j] = ((q & 0x0F) as i32 - 8) as f32 * d;
            ys[j + QK / 2] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    }
}

/// Dequantizes whole blocks: `y[j] = q_j * d`.
pub fn dequantize_q8_0(x: &[BlockQ8_0], y: &mut [f32]) {
    for (b, ys) in x.iter().zip(y.chunks_exact_mut(QK)) {
        let d = b.d.to_f32();
        for (o, &q) in ys.iter_mut().zip(&b.qs) {
            *o = q as f32 * d;
        }
    }
}

/// The exact integer dot product of one Q4_0 block and one Q8_0 block.
#[inline]
pub fn block_dot_q4_0(w: &BlockQ4_0, y: &BlockQ8_0) -> i32 {
    let (mut s0, mut s1) = (0i32, 0i32);
    for j in 0..QK / 2 {
        s0 += ((w.qs[j] & 0x0F) as i32 - 8) * y.qs[j] as i32;
        s1 += ((w.qs[j] >> 4) as i32 - 8) * y.qs[j + QK / 2] as i32;
    }
    s0 + s1
}

/// The exact integer dot product of two Q8_0 blocks.
#[inline]
pub fn block_dot_q8_0(w: &BlockQ8_0, y: &BlockQ8_0) -> i32 {
    w.qs.iter()
        .zip(&y.qs)
        .map(|(&a, &b)| a as i32 * b as i32)
        .sum()
}

/// `sum_b sumi_b * dw_b * dy_b` over whole blocks, in ggml's generic order.
pub fn dot_q4_0_blocks(w: &[BlockQ4_0], y: &[BlockQ8_0]) -> f32 {
    let mut sum = 0.0f32;
    for (a, b) in w.iter().zip(y) {
        sum += block_dot_q4_0(a, b) as f32 * a.d.to_f32() * b.d.to_f32();
    }
    sum
}

/// `sum_b sumi_b * dw_b * dy_b` over whole blocks, in ggml's generic order.
pub fn dot_q8_0_blocks(w: &[BlockQ8_0], y: &[BlockQ8_0]) -> f32 {
    let mut sum = 0.0f32;
    for (a, b) in w.iter().zip(y) {
        sum += block_dot_q8_0(a, b) as f32 * a.d.to_f32() * b.d.to_f32();
    }
    sum
}

fn dot_q4_0(w: &[BlockQ4_0], x: &Q8Activations) -> f32 {
    dot_q4_0_blocks(w, &x.blocks)
}

fn dot_q8_0(w: &[BlockQ8_0], x: &Q8Activations) -> f32 {
    dot_q8_0_blocks(w, &x.blocks)
}
