//! Dot product, argmax and top-k.

use super::check_len;
use crate::error::{Error, Result};
use crate::kernels::kernels;
use crate::tensor::Tensor;

/// `sum a[i] * b[i]` of two equal-length slices.
pub fn dot_slice(a: &[f32], b: &[f32]) -> Result<f32> {
    check_len("dot", a.len(), b.len())?;
    Ok((kernels().dot_f32)(a, b))
}

/// Dot product of two 1-D `f32` tensors of equal length.
pub fn dot(a: &Tensor, b: &Tensor) -> Result<f32> {
    if a.ndim() != 1 || a.shape() != b.shape() {
        return Err(Error::ShapeMismatch {
            op: "dot",
            lhs: a.shape().to_vec(),
            rhs: b.shape().to_vec(),
        });
    }
    dot_slice(a.f32s("dot")?, b.f32s("dot")?)
}

/// Index of the largest element (the first one on ties; NaNs are skipped).
/// `None` for an empty slice or one of NaNs only.
pub fn argmax_slice(x: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in x.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// The `k` largest elements as `(index, value)`, largest first, ties broken
/// by the lower index; NaNs are skipped. Fewer than `k` when the slice is short.
pub fn top_k_slice(x: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut idx: Vec<(usize, f32)> = x
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .collect();
    let k = k.min(idx.len());
    if k == 0 {
        return Vec::new();
    }
    let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if k < idx.len() {
        idx.select_nth_unstable_by(k - 1, order);
        idx.truncate(k);
    }
    idx.sort_unstable_by(order);
    idx
}

/// Argmax of a 1-D `f32` tensor; `None` when it is empty or all NaN.
pub fn argmax(t: &Tensor) -> Result<Option<usize>> {
    Ok(argmax_slice(one_d("argmax", t)?))
}

/// Top-k of a 1-D `f32` tensor (see [`top_k_slice`]).
pub fn top_k(t: &Tensor, k: usize) -> Result<Vec<(usize, f32)>> {
    Ok(top_k_slice(one_d("top_k", t)?, k))
}

fn one_d<'a>(op: &'static str, t: &'a Tensor) -> Result<&'a [f32]> {
    if t.ndim() != 1 {
        return Err(Error::Rank {
            op,
            expected: 1,
            found: t.shape().to_vec(),
        });
    }
    t.f32s(op)
}

impl Tensor {
    /// Dot product with another 1-D tensor.
    pub fn dot(&self, other: &Tensor) -> Result<f32> {
        dot(self, other)
    }

    /// Index of the largest element of a 1-D tensor.
    pub fn argmax(&self) -> Result<Option<usize>> {
        argmax(self)
    }

    /// The `k` largest elements of a 1-D tensor, largest first.
    pub fn top_k(&self, k: usize) -> Result<Vec<(usize, f32)>> {
        top_k(self, k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_and_top_k() {
        let x = [1.0, f32::NAN, 5.0, 5.0, -2.0, 3.0];
        assert_eq!(argmax_slice(&x), Some(2));
        assert_eq!(argmax_slice(&[]), None);
        assert_eq!(argmax_slice(&[f32::NAN]), None);
        assert_eq!(top_k_slice(&x, 3), vec![(2, 5.0), (3, 5.0), (5, 3.0)]);
        assert_eq!(top_k_slice(&x, 10).len(), 5);
        assert!(top_k_slice(&x, 0).is_empty());
        let t = Tensor::from_vec(&[3], vec![1.0f32, 2.0, 3.0]).unwrap();
        assert_eq!(t.dot(&t).unwrap(), 14.0);
        assert_eq!(t.argmax().unwrap(), Some(2));
        assert!(t.dot(&Tensor::zeros(&[2]).unwrap()).is_err());
        assert!(Tensor::zeros(&[2, 2]).unwrap().argmax().is_err());
    }
}
