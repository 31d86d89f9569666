//! Elementwise add, multiply and scale, with row broadcasting.

use super::check_len;
use crate::error::{Error, Result};
use crate::kernels::kernels;
use crate::tensor::Tensor;

/// `out = a + b` on equal-length slices.
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    check_len("add", a.len(), b.len())?;
    check_len("add", a.len(), out.len())?;
    (kernels().add)(a, b, out);
    Ok(())
}

/// `out = a * b` on equal-length slices.
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    check_len("mul", a.len(), b.len())?;
    check_len("mul", a.len(), out.len())?;
    (kernels().mul)(a, b, out);
    Ok(())
}

/// `out = a * s`.
pub fn scale(a: &[f32], s: f32, out: &mut [f32]) -> Result<()> {
    check_len("scale", a.len(), out.len())?;
    (kernels().scale)(a, s, out);
    Ok(())
}

/// Applies `f` to `a` and `b` where `b` either has `a`'s shape or is a row
/// that repeats along `a`'s last dimension.
fn broadcast(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    f: fn(&[f32], &[f32], &mut [f32]),
) -> Result<Tensor> {
    let (xa, xb) = (a.f32s(op)?, b.f32s(op)?);
    let mismatch = || Error::ShapeMismatch {
        op,
        lhs: a.shape().to_vec(),
        rhs: b.shape().to_vec(),
    };
    let mut out = vec![0.0f32; xa.len()];
    if a.shape() == b.shape() {
        f(xa, xb, &mut out);
    } else {
        // b must equal a's trailing dimensions, e.g. [n] against [m, n].
        let (ad, bd) = (a.shape(), b.shape());
        if bd.len() > ad.len() || ad[ad.len() - bd.len()..] != *bd || xb.is_empty() {
            return Err(mismatch());
        }
        for (o, x) in out
            .chunks_exact_mut(xb.len())
            .zip(xa.chunks_exact(xb.len()))
        {
            f(x, xb, o);
        }
    }
    Tensor::from_vec(a.shape(), out)
}

impl Tensor {
    /// `self + other`, where `other` has this shape or equals its trailing
    /// dimensions (a row, broadcast over the rows).
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        broadcast("add", self, other, kernels().add)
    }

    /// `self * other` elementwise, broadcasting like [`Tensor::add`].
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        broadcast("mul", self, other, kernels().mul)
    }

    /// `self * s`.
    pub fn scale(&self, s: f32) -> Result<Tensor> {
        let x = self.f32s("scale")?;
        let mut out = vec![0.0f32; x.len()];
        (kernels().scale)(x, s, &mut out);
        Tensor::from_vec(self.shape(), out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_rows() {
        let a = Tensor::arange(0.0, 6.0, 1.0)
            .unwrap()
            .reshape(&[2, 3])
            .unwrap();
        let r = Tensor::from_vec(&[3], vec![10.0f32, 20.0, 30.0]).unwrap();
        assert_eq!(
            a.add(&r).unwrap().to_vec_f32(),
            vec![10.0, 21.0, 32.0, 13.0, 24.0, 35.0]
        );
        assert_eq!(
            a.mul(&r).unwrap().to_vec_f32(),
            vec![0.0, 20.0, 60.0, 30.0, 80.0, 150.0]
        );
        assert_eq!(
            a.add(&a).unwrap().to_vec_f32(),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        assert_eq!(a.scale(0.5).unwrap().get(&[1, 2]), Some(2.5));
        let bad = Tensor::zeros(&[2]).unwrap();
        assert!(matches!(a.add(&bad), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(bad.add(&a), Err(Error::ShapeMismatch { .. })));
        let h = a.to_dtype(crate::DType::F16);
        assert!(matches!(h.add(&a), Err(Error::DType { .. })));
        let mut out = [0.0f32; 2];
        assert!(add(&[1.0, 2.0], &[1.0], &mut out).is_err());
        assert!(mul(&[1.0, 2.0], &[1.0, 2.0], &mut out[..1]).is_err());
        scale(&[1.0, 2.0], 3.0, &mut out).unwrap();
        assert_eq!(out, [3.0, 6.0]);
    }
}
