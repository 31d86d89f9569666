//! Every kernel variant this CPU supports against the scalar reference
//! (proptest), and the quantization error bound per block.
//!
//! - quantize and dequantize: bit-identical (compared as bytes / `f32` bits);
//! - dot products: `|fast - ref| <= 2e-6 * sum_i |w_i y_i| + 1e-30` over the
//!   dequantized elements (the SIMD kernels scale exact integer sums of 4
//!   elements per lane, the reference exact sums of 32; the order of the
//!   `f32` additions and the FMA differ);
//! - round trip, per block, with `d` the `f32` scale before its rounding to
//!   `f16` (`d16`), `q` the stored quant, `amax` the block's largest
//!   magnitude and `eps = 2^-20 amax` (rounding of `x / d` and of the
//!   products):
//!   - Q8_0: `|x - x̂| <= d/2 + |q| |d - d16| + eps`;
//!   - Q4_0: `|x - x̂| <= |d|/2 + |q - 8| |d - d16| + eps`, except where the
//!     nibble is clamped at 15 (values on the other side of zero from the
//!     block's signed maximum, above `7.5 |d|`: the largest magnitude maps
//!     to `-8 d` exactly, the other side stops at `+7 d`), where the bound
//!     is `|d| + |q - 8| |d - d16| + eps` (a full step).

use proptest::prelude::*;
use realizar_quant::kernels::{self, COLS, QuantKernels, ROWS};
use realizar_quant::{BlockQ4_0, BlockQ8_0, Q8Activations, QK, QuantBlock, QuantIsa};

/// The `f32` scale of ggml's Q8_0 before rounding to `f16`.
fn scale_f32_q8_0(x: &[f32; QK]) -> f32 {
    x.iter().fold(0.0f32, |m, v| m.max(v.abs())) / 127.0
}

/// The `f32` scale of ggml's Q4_0 before rounding to `f16`: the first value
/// of largest magnitude, over -8.
fn scale_f32_q4_0(x: &[f32; QK]) -> f32 {
    let (mut amax, mut max) = (0.0f32, 0.0f32);
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    max / -8.0
}

fn f16_of(v: f32) -> half::f16 {
    half::f16::from_f32(v)
}

fn fast_variants() -> Vec<&'static QuantKernels> {
    kernels::variants()
        .into_iter()
        .filter(|k| k.isa != QuantIsa::Scalar)
        .collect()
}

fn reference() -> &'static QuantKernels {
    kernels::kernels_for(QuantIsa::Scalar).unwrap()
}

/// Blocks of values: each block has its own magnitude (1e-20 .. 1e4), and
/// some are all zero, all negative, or hold ties of magnitude with both signs
/// and values exactly on rounding boundaries.
fn blocks_strategy(max_blocks: usize) -> impl Strategy<Value = Vec<f32>> {
    let block = (
        0u8..6,
        -20i32..5,
        prop::collection::vec(-1.0f32..1.0, QK),
        1u32..16,
    )
        .prop_map(|(kind, exp, mut v, k)| {
            let s = 10f32.powi(exp);
            match kind {
                0 => v.iter_mut().for_each(|x| *x = 0.0),
                1 => v.iter_mut().for_each(|x| *x = -x.abs() * s),
                2 => {
                    // Ties: +m and -m; and steps of m/16 (half-steps of Q4_0 and near Q8_0's).
                    v.iter_mut()
                        .enumerate()
                        .for_each(|(i, x)| *x = s * ((i as u32 * k) % 33) as f32 / 16.0 - s);
                    v[31] = -v[0];
                }
                _ => v.iter_mut().for_each(|x| *x *= s),
            }
            v
        });
    prop::collection::vec(block, 0..max_blocks).prop_map(|b| b.concat())
}

fn q4_bytes(b: &[BlockQ4_0]) -> &[u8] {
    BlockQ4_0::as_bytes(b)
}

fn q8_bytes(b: &[BlockQ8_0]) -> &[u8] {
    BlockQ8_0::as_bytes(b)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Random Q4_0 blocks with finite scales (any byte pattern for the nibbles).
fn q4_blocks(max: usize) -> impl Strategy<Value = Vec<BlockQ4_0>> {
    prop::collection::vec(
        (-20.0f32..20.0, any::<[u8; 16]>()).prop_map(|(d, qs)| BlockQ4_0 {
            d: half::f16::from_f32(d / 16.0),
            qs,
        }),
        0..max,
    )
}

/// Random Q8_0 blocks with finite scales; quants in -127..=127 (what
/// quantization produces; see the AVX2 kernel's note on -128).
fn q8_blocks(max: usize) -> impl Strategy<Value = Vec<BlockQ8_0>> {
    prop::collection::vec(
        (-20.0f32..20.0, prop::collection::vec(-127i8..=127, QK)).prop_map(|(d, qs)| BlockQ8_0 {
            d: half::f16::from_f32(d / 16.0),
            qs: qs.try_into().unwrap(),
        }),
        0..max,
    )
}

fn dot_terms_q4(w: &[BlockQ4_0], y: &[BlockQ8_0]) -> f32 {
    w.iter()
        .zip(y)
        .map(|(a, b)| {
            let s: i32 = a
                .nibbles()
                .iter()
                .zip(&b.qs)
                .map(|(&n, &q)| ((n as i32 - 8) * q as i32).abs())
                .sum();
            (s as f32 * a.d.to_f32() * b.d.to_f32()).abs()
        })
        .sum()
}

fn dot_terms_q8(w: &[BlockQ8_0], y: &[BlockQ8_0]) -> f32 {
    w.iter()
        .zip(y)
        .map(|(a, b)| {
            let s: i32 =
                a.qs.iter()
                    .zip(&b.qs)
                    .map(|(&p, &q)| (p as i32 * q as i32).abs())
                    .sum();
            (s as f32 * a.d.to_f32() * b.d.to_f32()).abs()
        })
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn quantize_variants_are_bit_identical(x in blocks_strategy(12), off in 0usize..4) {
        // An unaligned copy: the slice starts `off` floats into its buffer.
        let mut buf = vec![0.0f32; off];
        buf.extend_from_slice(&x);
        let x = &buf[off..];
        let n = x.len() / QK;
        let r = reference();
        let (mut r4, mut r8) = (vec![BlockQ4_0::default(); n], vec![BlockQ8_0::default(); n]);
        (r.quantize_q4_0)(x, &mut r4);
        (r.quantize_q8_0)(x, &mut r8);
        for k in fast_variants() {
            let (mut f4, mut f8) = (vec![BlockQ4_0::default(); n], vec![BlockQ8_0::default(); n]);
            (k.quantize_q4_0)(x, &mut f4);
            (k.quantize_q8_0)(x, &mut f8);
            prop_assert_eq!(q4_bytes(&f4), q4_bytes(&r4), "{} q4_0", k.isa);
            prop_assert_eq!(q8_bytes(&f8), q8_bytes(&r8), "{} q8_0", k.isa);
        }
    }

    #[test]
    fn dequantize_variants_are_bit_identical(w4 in q4_blocks(12), w8 in q8_blocks(12), off in 0usize..4) {
        let r = reference();
        let mut want4 = vec![0.0f32; w4.len() * QK];
        let mut want8 = vec![0.0f32; w8.len() * QK];
        (r.dequantize_q4_0)(&w4, &mut want4);
        (r.dequantize_q8_0)(&w8, &mut want8);
        for k in fast_variants() {
            let mut got4 = vec![0.0f32; w4.len() * QK + off];
            let mut got8 = vec![0.0f32; w8.len() * QK + off];
            (k.dequantize_q4_0)(&w4, &mut got4[off..]);
            (k.dequantize_q8_0)(&w8, &mut got8[off..]);
            prop_assert_eq!(bits(&got4[off..]), bits(&want4), "{} q4_0", k.isa);
            prop_assert_eq!(bits(&got8[off..]), bits(&want8), "{} q8_0", k.isa);
        }
    }

    #[test]
    fn dot_variants_match(w4 in q4_blocks(40), w8 in q8_blocks(40), y in q8_blocks(40)) {
        let r = reference();
        let act = Q8Activations::from_blocks(&y);
        let t4 = dot_terms_q4(&w4, &y);
        let t8 = dot_terms_q8(&w8, &y);
        let (r4, r8) = ((r.dot_q4_0)(&w4, &act), (r.dot_q8_0)(&w8, &act));
        for k in fast_variants() {
            let (f4, f8) = ((k.dot_q4_0)(&w4, &act), (k.dot_q8_0)(&w8, &act));
            prop_assert!((f4 - r4).abs() <= 2e-6 * t4 + 1e-30, "{} q4_0: {} vs {}", k.isa, f4, r4);
            prop_assert!((f8 - r8).abs() <= 2e-6 * t8 + 1e-30, "{} q8_0: {} vs {}", k.isa, f8, r8);
        }
    }

    #[test]
    fn many_row_dots_equal_one_row_dots(
        w4 in prop::collection::vec(q4_blocks(40), ROWS),
        w8 in prop::collection::vec(q8_blocks(40), ROWS),
        y in q8_blocks(40),
    ) {
        // Rows of one length (a matrix's), each compared bit for bit with
        // the table's one-row kernel: a matvec's result must not depend on
        // how its rows were grouped.
        let n4 = w4.iter().map(Vec::len).min().unwrap_or(0).min(y.len());
        let n8 = w8.iter().map(Vec::len).min().unwrap_or(0).min(y.len());
        let act4 = Q8Activations::from_blocks(&y[..n4]);
        let act8 = Q8Activations::from_blocks(&y[..n8]);
        for k in kernels::variants() {
            let r4: [&[BlockQ4_0]; ROWS] = std::array::from_fn(|r| &w4[r][..n4]);
            let r8: [&[BlockQ8_0]; ROWS] = std::array::from_fn(|r| &w8[r][..n8]);
            if let Some(dot_rows) = k.dot_rows_q4_0 {
                let want = r4.map(|w| (k.dot_q4_0)(w, &act4));
                prop_assert_eq!(bits(&dot_rows(r4, &act4)), bits(&want), "{} q4_0", k.isa);
            }
            if let Some(dot_rows) = k.dot_rows_q8_0 {
                let want = r8.map(|w| (k.dot_q8_0)(w, &act8));
                prop_assert_eq!(bits(&dot_rows(r8, &act8)), bits(&want), "{} q8_0", k.isa);
            }
        }
    }

    #[test]
    fn many_vector_dots_equal_one_vector_dots(
        w4 in q4_blocks(40),
        ys in prop::collection::vec(q8_blocks(40), COLS),
    ) {
        let n = ys.iter().map(Vec::len).fold(w4.len(), usize::min);
        let acts: Vec<Q8Activations> = ys.iter().map(|y| Q8Activations::from_blocks(&y[..n])).collect();
        for k in kernels::variants() {
            if let Some(dot_cols) = k.dot_cols_q4_0 {
                let want: Vec<f32> = acts.iter().map(|a| (k.dot_q4_0)(&w4[..n], a)).collect();
                let got = dot_cols(&w4[..n], std::array::from_fn(|c| &acts[c]));
                prop_assert_eq!(bits(&got), bits(&want), "{} q4_0", k.isa);
            }
        }
    }

    #[test]
    fn dot_of_quantized_activations_matches(x in blocks_strategy(20), w4 in q4_blocks(20)) {
        // Activations straight from quantize (the matvec path), odd block counts included.
        let act = Q8Activations::quantize(&x).unwrap();
        let n = act.num_blocks().min(w4.len());
        let (w4, y) = (&w4[..n], &act.blocks()[..n]);
        let a = Q8Activations::from_blocks(y);
        let t = dot_terms_q4(w4, y);
        let want = (reference().dot_q4_0)(w4, &a);
        for k in fast_variants() {
            let got = (k.dot_q4_0)(w4, &a);
            prop_assert!((got - want).abs() <= 2e-6 * t + 1e-30, "{}: {} vs {}", k.isa, got, want);
        }
    }

    #[test]
    fn round_trip_error_is_half_a_step(x in blocks_strategy(8)) {
        let n = x.len() / QK;
        let (mut q4, mut q8) = (vec![BlockQ4_0::default(); n], vec![BlockQ8_0::default(); n]);
        realizar_quant::quantize_row_q4_0(&x, &mut q4).unwrap();
        realizar_quant::quantize_row_q8_0(&x, &mut q8).unwrap();
        let (mut b4, mut b8) = (vec![0.0f32; x.len()], vec![0.0f32; x.len()]);
        realizar_quant::dequantize_row_q4_0(&q4, &mut b4).unwrap();
        realizar_quant::dequantize_row_q8_0(&q8, &mut b8).unwrap();
        for (i, xs) in x.chunks_exact(QK).enumerate() {
            let xs: &[f32; QK] = xs.try_into().unwrap();
            let amax = xs.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let eps = amax * 2f32.powi(-20) + f32::MIN_POSITIVE;
            // Q8_0
            let d = scale_f32_q8_0(xs);
            prop_assert_eq!(f16_of(d).to_bits(), q8[i].d.to_bits());
            let dd = (d - q8[i].d.to_f32()).abs();
            for j in 0..QK {
                let q = q8[i].qs[j] as f32;
                let err = (xs[j] - b8[i * QK + j]).abs();
                let bound = d / 2.0 + q.abs() * dd + eps;
                prop_assert!(err <= bound, "q8_0 block {} x={} x̂={} err={} bound={}", i, xs[j], b8[i * QK + j], err, bound);
            }
            // Q4_0
            let d = scale_f32_q4_0(xs);
            prop_assert_eq!(f16_of(d).to_bits(), q4[i].d.to_bits());
            let dd = (d - q4[i].d.to_f32()).abs();
            let nib = q4[i].nibbles();
            for j in 0..QK {
                let k = nib[j] as f32 - 8.0;
                let err = (xs[j] - b4[i * QK + j]).abs();
                let clamped = nib[j] == 15 && d != 0.0 && xs[j] / d > 7.5;
                let step = if clamped { d.abs() } else { d.abs() / 2.0 };
                let bound = step + k.abs() * dd + eps;
                prop_assert!(err <= bound, "q4_0 block {} x={} x̂={} err={} bound={}", i, xs[j], b4[i * QK + j], err, bound);
            }
        }
    }
}

#[test]
fn selection_is_supported_and_listed() {
    let k = kernels::kernels();
    assert!(k.isa.is_supported());
    assert!(kernels::variants().iter().any(|v| v.isa == k.isa));
    eprintln!("quant kernels: {}", k.isa);
}

#[test]
fn clamp_reaches_a_full_step() {
    // max = -8 -> d = 1; +8 would be nibble 16, clamped to 15 = +7: error 1 = d.
    let mut x = [0.0f32; QK];
    x[0] = -8.0;
    x[1] = 8.0;
    x[2] = 7.6;
    for k in kernels::variants() {
        let mut q = [BlockQ4_0::default()];
        (k.quantize_q4_0)(&x, &mut q);
        let mut back = [0.0f32; QK];
        (k.dequantize_q4_0)(&q, &mut back);
        assert_eq!(&back[..3], &[-8.0, 7.0, 7.0], "{}", k.isa);
    }
}
