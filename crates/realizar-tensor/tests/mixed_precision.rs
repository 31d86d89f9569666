//! `f16` / `bf16` weights with `f32` activations: the matvec and matmul
//! results equal the `f32` computation on the widened weights (widening is
//! exact, and both paths run the same kernels), and stay close to an `f64`
//! reference.

use realizar_tensor::{DType, Tensor};

fn data(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn matvec_half_weights_equal_widened_f32() {
    let (rows, cols) = (67, 301);
    let w = Tensor::from_vec(&[rows, cols], data(rows * cols, 1)).unwrap();
    let x = Tensor::from_vec(&[cols], data(cols, 2)).unwrap();
    for dtype in [DType::F16, DType::BF16] {
        let wh = w.to_dtype(dtype);
        let widened = Tensor::from_vec(&[rows, cols], wh.to_vec_f32()).unwrap();
        let got = wh.matvec(&x).unwrap().to_vec_f32();
        let want = widened.matvec(&x).unwrap().to_vec_f32();
        let xs = x.to_vec_f32();
        let ws = widened.to_vec_f32();
        for r in 0..rows {
            // Same terms; only the kernel's lane grouping may differ.
            let terms: f64 = (0..cols)
                .map(|c| (ws[r * cols + c] as f64 * xs[c] as f64).abs())
                .sum();
            let exact: f64 = (0..cols)
                .map(|c| ws[r * cols + c] as f64 * xs[c] as f64)
                .sum();
            assert!(
                (got[r] - want[r]).abs() as f64 <= 1e-5 * terms,
                "{dtype} row {r}"
            );
            assert!(
                (got[r] as f64 - exact).abs() <= 1e-5 * terms,
                "{dtype} row {r} vs f64"
            );
        }
    }
}

#[test]
fn matmul_half_weights_both_layouts() {
    let (m, n, k) = (29, 45, 270);
    let a = Tensor::from_vec(&[m, k], data(m * k, 3)).unwrap();
    let b = Tensor::from_vec(&[k, n], data(k * n, 4)).unwrap();
    for dtype in [DType::F16, DType::BF16] {
        let bh = b.to_dtype(dtype);
        let (av, bv) = (a.to_vec_f32(), bh.to_vec_f32());
        let got = a.matmul(&bh).unwrap().to_vec_f32();
        // [k, n] layout: packing widens, then the f32 micro-kernel runs; the
        // result is the product of the widened weights up to f32 rounding.
        // (f32 x f32 products may go to the `gemm` crate, so the f32 path is
        // not a bit-exact reference; f64 is.)
        for i in 0..m {
            for j in 0..n {
                let terms = (0..k).map(|p| av[i * k + p] as f64 * bv[p * n + j] as f64);
                let exact: f64 = terms.clone().sum();
                let scale: f64 = terms.map(f64::abs).sum();
                let e = (got[i * n + j] as f64 - exact).abs();
                assert!(e <= 1e-5 * scale, "{dtype} KxN ({i}, {j}): {e}");
            }
        }
        let want = got;
        // [n, k] (a linear layer's weight) gives the same product.
        let wt = bh.transpose().unwrap();
        assert_eq!(wt.dtype(), dtype);
        assert_eq!(a.matmul_t(&wt).unwrap().to_vec_f32(), want, "{dtype} NxK");
    }
}

#[test]
fn activations_must_be_f32() {
    let a = Tensor::zeros(&[2, 3]).unwrap().to_dtype(DType::F16);
    let b = Tensor::zeros(&[3, 2]).unwrap();
    assert!(a.matmul(&b).is_err());
    let w = Tensor::zeros(&[2, 3]).unwrap();
    assert!(
        w.matvec(&Tensor::zeros(&[3]).unwrap().to_dtype(DType::BF16))
            .is_err()
    );
}
