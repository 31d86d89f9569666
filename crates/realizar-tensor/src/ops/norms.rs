//! RMSNorm and LayerNorm over the last dimension.

use super::check_len;
use crate::error::{Error, Result};
use crate::kernels::kernels;
use crate::tensor::Tensor;

/// `out = x / sqrt(mean(x²) + eps) * weight` (LLaMA's RMSNorm), one row.
pub fn rmsnorm_row(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) -> Result<()> {
    check_len("rmsnorm", x.len(), weight.len())?;
    check_len("rmsnorm", x.len(), out.len())?;
    if x.is_empty() {
        return Ok(());
    }
    let k = kernels();
    let ms = (k.dot_f32)(x, x) / x.len() as f32;
    let inv = 1.0 / (ms + eps).sqrt();
    (k.mul)(x, weight, out);
    for v in out.iter_mut() {
        *v *= inv;
    }
    Ok(())
}

/// `out = (x - mean) / sqrt(var + eps) * weight + bias`, one row, with the
/// biased variance as PyTorch's `layer_norm` uses.
pub fn layernorm_row(
    x: &[f32],
    weight: &[f32],
    bias: &[f32],
    eps: f32,
    out: &mut [f32],
) -> Result<()> {
    check_len("layernorm", x.len(), weight.len())?;
    check_len("layernorm", x.len(), bias.len())?;
    check_len("layernorm", x.len(), out.len())?;
    if x.is_empty() {
        return Ok(());
    }
    let k = kernels();
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v - mean;
    }
    let var = (k.dot_f32)(out, out) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((o, &w), &b) in out.iter_mut().zip(weight).zip(bias) {
        *o = *o * inv * w + b;
    }
    Ok(())
}

fn rows_of<'a>(op: &'static str, x: &'a Tensor, width: usize) -> Result<(&'a [f32], usize)> {
    match x.shape().last() {
        Some(&last) if last == width => Ok((x.f32s(op)?, last)),
        _ => Err(Error::ShapeMismatch {
            op,
            lhs: x.shape().to_vec(),
            rhs: vec![width],
        }),
    }
}

/// RMSNorm of every row of `x` (last dimension) with a 1-D `weight`.
pub fn rmsnorm(x: &Tensor, weight: &Tensor, eps: f32) -> Result<Tensor> {
    let w = weight.f32s("rmsnorm")?;
    let (data, last) = rows_of("rmsnorm", x, w.len())?;
    let mut out = vec![0.0f32; data.len()];
    if last > 0 {
        for (o, r) in out.chunks_exact_mut(last).zip(data.chunks_exact(last)) {
            rmsnorm_row(r, w, eps, o)?;
        }
    }
    Tensor::from_vec(x.shape(), out)
}

/// LayerNorm of every row of `x` (last dimension) with 1-D `weight` and `bias`.
pub fn layernorm(x: &Tensor, weight: &Tensor, bias: &Tensor, eps: f32) -> Result<Tensor> {
    let (w, b) = (weight.f32s("layernorm")?, bias.f32s("layernorm")?);
    let (data, last) = rows_of("layernorm", x, w.len())?;
    let mut out = vec![0.0f32; data.len()];
    if last > 0 {
        for (o, r) in out.chunks_exact_mut(last).zip(data.chunks_exact(last)) {
            layernorm_row(r, w, b, eps, o)?;
        }
    }
    Tensor::from_vec(x.shape(), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_and_layer_norm() {
        let x = Tensor::from_vec(&[1, 4], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
        let w = Tensor::ones(&[4]).unwrap();
        let b = Tensor::zeros(&[4]).unwrap();
        let r = rmsnorm(&x, &w, 0.0).unwrap().to_vec_f32();
        let rms = (7.5f32).sqrt();
        for (i, v) in r.iter().enumerate() {
            assert!((v - (i as f32 + 1.0) / rms).abs() < 1e-6);
        }
        let l = layernorm(&x, &w, &b, 0.0).unwrap().to_vec_f32();
        let sd = 1.25f32.sqrt();
        for (i, v) in l.iter().enumerate() {
            assert!((v - (i as f32 - 1.5) / sd).abs() < 1e-6);
        }
        assert!(rmsnorm(&x, &Tensor::ones(&[3]).unwrap(), 1e-6).is_err());
        assert!(layernorm(&x, &w, &Tensor::zeros(&[2]).unwrap(), 1e-6).is_err());
    }
}
