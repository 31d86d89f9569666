//! Numerically stable softmax over the last dimension.

use crate::error::{Error, Result};
use crate::kernels::kernels;
use crate::tensor::Tensor;

/// Softmax of one row in place: `exp(x - max) / sum`.
///
/// Subtracting the maximum keeps `exp` from overflowing. A row of `-inf`
/// (fully masked) or holding NaN becomes NaN, as in PyTorch.
pub fn softmax_in_place(x: &mut [f32]) {
    if x.is_empty() {
        return;
    }
    let k = kernels();
    let max = (k.max)(x);
    if max == f32::NEG_INFINITY {
        x.fill(f32::NAN);
        return;
    }
    // A NaN (or +inf) input makes the sum NaN: caught here, without a
    // separate pass over the row.
    let sum = (k.exp_shift_sum)(x, max);
    if sum.is_nan() {
        x.fill(f32::NAN);
        return;
    }
    let inv = 1.0 / sum;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// Softmax over the last dimension of an `f32` tensor.
pub fn softmax(t: &Tensor) -> Result<Tensor> {
    let Some(&last) = t.shape().last() else {
        return Err(Error::Rank {
            op: "softmax",
            expected: 1,
            found: vec![],
        });
    };
    let mut data = t.f32s("softmax")?.to_vec();
    if last > 0 {
        for row in data.chunks_exact_mut(last) {
            softmax_in_place(row);
        }
    }
    Tensor::from_vec(t.shape(), data)
}

impl Tensor {
    /// Softmax over the last dimension.
    pub fn softmax(&self) -> Result<Tensor> {
        softmax(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_normalised() {
        let t = Tensor::from_vec(&[2, 3], vec![1000.0f32, 1001.0, 1002.0, -1.0, 0.0, 1.0]).unwrap();
        let s = t.softmax().unwrap().to_vec_f32();
        let want = [0.090_030_57, 0.244_728_48, 0.665_240_94];
        for r in 0..2 {
            for j in 0..3 {
                assert!((s[r * 3 + j] - want[j]).abs() < 1e-6);
            }
        }
        let mut masked = [f32::NEG_INFINITY; 4];
        softmax_in_place(&mut masked);
        assert!(masked.iter().all(|v| v.is_nan()));
        // Short (scalar tail) and long (SIMD body) rows both propagate NaN.
        for (len, at) in [(3, 1), (70, 20)] {
            let mut row: Vec<f32> = (0..len).map(|i| i as f32 * 0.1).collect();
            row[at] = f32::NAN;
            softmax_in_place(&mut row);
            assert!(row.iter().all(|v| v.is_nan()), "len {len}");
        }
        let mut partly = [0.0, f32::NEG_INFINITY];
        softmax_in_place(&mut partly);
        assert_eq!(partly, [1.0, 0.0]);
        assert!(Tensor::zeros(&[]).unwrap().softmax().is_err());
    }
}
