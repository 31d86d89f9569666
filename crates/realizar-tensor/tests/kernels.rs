//! Every kernel variant this CPU supports equals the scalar reference,
//! on odd lengths and unaligned slices (proptest picks both).
//!
//! Tolerances: reductions are compared with `|fast - ref| <= 1e-5 * sum |a_i b_i| + 1e-6`
//! (FMA and a different summation order change rounding, not the sum);
//! elementwise ops are exact; `exp`-based ops are within 4e-6 relative
//! (+1e-30 absolute, for the clamped subnormal range).

use proptest::prelude::*;
use realizar_tensor::kernels::{self, Kernels};
use realizar_tensor::{bf16, f16};

fn fast_variants() -> Vec<&'static Kernels> {
    kernels::variants()
        .into_iter()
        .filter(|k| k.isa != realizar_tensor::Isa::Scalar)
        .collect()
}

fn reference() -> &'static Kernels {
    kernels::kernels_for(realizar_tensor::Isa::Scalar).unwrap()
}

/// A vector plus an offset into it, so slices start unaligned.
fn vec_and_offset(max: usize, range: f32) -> impl Strategy<Value = (Vec<f32>, usize)> {
    (0usize..max, 0usize..8)
        .prop_flat_map(move |(n, off)| (prop::collection::vec(-range..range, n + off), Just(off)))
}

fn close_sum(fast: f32, reference: f32, abs_terms: f32) -> bool {
    (fast - reference).abs() <= 1e-5 * abs_terms + 1e-6
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn dot_variants_match((a, off) in vec_and_offset(300, 10.0), seed in 0u32..1000) {
        let a = &a[off..];
        let b: Vec<f32> = a.iter().enumerate().map(|(i, v)| v * 0.37 + ((i as u32 ^ seed) % 7) as f32 - 3.0).collect();
        let h: Vec<f16> = a.iter().map(|&v| f16::from_f32(v)).collect();
        let bh: Vec<bf16> = a.iter().map(|&v| bf16::from_f32(v)).collect();
        let r = reference();
        let terms: f32 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
        for k in fast_variants() {
            prop_assert!(close_sum((k.dot_f32)(a, &b), (r.dot_f32)(a, &b), terms), "{} dot_f32", k.isa);
            prop_assert!(close_sum((k.dot_f16)(&h, &b), (r.dot_f16)(&h, &b), terms * 1.01), "{} dot_f16", k.isa);
            prop_assert!(close_sum((k.dot_bf16)(&bh, &b), (r.dot_bf16)(&bh, &b), terms * 1.01), "{} dot_bf16", k.isa);
        }
    }

    #[test]
    fn elementwise_variants_match((a, off) in vec_and_offset(300, 100.0), s in -4.0f32..4.0) {
        let a = &a[off..];
        let b: Vec<f32> = a.iter().rev().copied().collect();
        let r = reference();
        let n = a.len();
        for k in fast_variants() {
            let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
            (k.add)(a, &b, &mut x); (r.add)(a, &b, &mut y);
            prop_assert_eq!(&x, &y);
            (k.mul)(a, &b, &mut x); (r.mul)(a, &b, &mut y);
            prop_assert_eq!(&x, &y);
            (k.scale)(a, s, &mut x); (r.scale)(a, s, &mut y);
            prop_assert_eq!(&x, &y);
            prop_assert_eq!((k.max)(a), (r.max)(a));
            let h: Vec<f16> = a.iter().map(|&v| f16::from_f32(v)).collect();
            (k.f16_to_f32)(&h, &mut x); (r.f16_to_f32)(&h, &mut y);
            prop_assert_eq!(&x, &y);
            let bh: Vec<bf16> = a.iter().map(|&v| bf16::from_f32(v)).collect();
            (k.bf16_to_f32)(&bh, &mut x); (r.bf16_to_f32)(&bh, &mut y);
            prop_assert_eq!(&x, &y);
        }
    }

    #[test]
    fn exp_based_variants_match((a, off) in vec_and_offset(200, 90.0)) {
        let a = &a[off..];
        let r = reference();
        let close = |x: f32, y: f32| (x - y).abs() <= 4e-6 * y.abs() + 1e-30 || (x.is_infinite() && y > 1e38) || (y.is_infinite() && x > 1e38);
        for k in fast_variants() {
            let (mut x, mut y) = (a.to_vec(), a.to_vec());
            (k.silu)(&mut x); (r.silu)(&mut y);
            for (p, q) in x.iter().zip(&y) { prop_assert!(close(*p, *q), "{} silu {} vs {}", k.isa, p, q); }
            let (mut x, mut y) = (a.to_vec(), a.to_vec());
            (k.gelu_tanh)(&mut x); (r.gelu_tanh)(&mut y);
            for (p, q) in x.iter().zip(&y) {
                prop_assert!((p - q).abs() <= 4e-6 * q.abs() + 1e-6, "{} gelu {} vs {}", k.isa, p, q);
            }
            let m = (r.max)(a);
            let (mut x, mut y) = (a.to_vec(), a.to_vec());
            let (sx, sy) = ((k.exp_shift_sum)(&mut x, m), (r.exp_shift_sum)(&mut y, m));
            prop_assert!((sx - sy).abs() <= 1e-5 * sy.abs() + 1e-30, "{} sum {} vs {}", k.isa, sx, sy);
            for (p, q) in x.iter().zip(&y) { prop_assert!(close(*p, *q), "{} exp {} vs {}", k.isa, p, q); }
        }
    }

    #[test]
    fn gemm_micro_kernels_match(kc in 1usize..40, seed in 0u64..1000, accumulate in any::<bool>()) {
        for k in kernels::variants() {
            let g = k.gemm;
            let make = |len: usize, s: u64| -> Vec<f32> {
                (0..len).map(|i| ((((i as u64 + s) * 2654435761) % 2001) as f32 / 1000.0) - 1.0).collect()
            };
            // A panel: mr rows at stride g.kc.
            let a = make((g.mr - 1) * g.kc + kc, seed);
            let b = make(kc * g.nr, seed + 7);
            let ldc = g.nr + 3;
            let init = make((g.mr - 1) * ldc + g.nr, seed + 11);
            let mut c = init.clone();
            // SAFETY: c holds (mr - 1) * ldc + nr elements, the whole tile.
            unsafe { (g.kernel)(kc, &a, &b, c.as_mut_ptr(), ldc, accumulate) };
            for i in 0..g.mr {
                for j in 0..g.nr {
                    let mut want = if accumulate { init[i * ldc + j] as f64 } else { 0.0 };
                    for p in 0..kc { want += a[i * g.kc + p] as f64 * b[p * g.nr + j] as f64; }
                    let got = c[i * ldc + j] as f64;
                    prop_assert!((got - want).abs() <= 1e-5 * (kc as f64 + 1.0), "{} tile ({i},{j}): {got} vs {want}", k.isa);
                }
                // Elements between rows are untouched.
                for j in g.nr..ldc {
                    if i + 1 < g.mr { prop_assert_eq!(c[i * ldc + j], init[i * ldc + j]); }
                }
            }
        }
    }
}

#[test]
fn selection_is_supported_and_listed() {
    let k = kernels::kernels();
    assert!(k.isa.is_supported());
    assert!(kernels::variants().iter().any(|v| v.isa == k.isa));
    assert!(!k.describe().is_empty());
}
