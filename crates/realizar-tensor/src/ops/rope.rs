//! Rotary position embedding (RoPE) in both layouts.

use crate::error::{Error, Result};

/// Which elements of a head are rotated together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeLayout {
    /// Adjacent pairs `(x[2i], x[2i+1])`: the original LLaMA / GPT-J layout
    /// (llama.cpp's `LLAMA_ROPE_TYPE_NORM`).
    Interleaved,
    /// Halves `(x[i], x[i + d/2])`: GPT-NeoX and Hugging Face `rotate_half`
    /// (llama.cpp's `LLAMA_ROPE_TYPE_NEOX`).
    Neox,
}

/// Precomputed rotary embedding for heads of one size.
///
/// Pair `i` of a head at position `p` is rotated by `p * theta^(-2i/rot_dim)`.
/// Angles are computed in `f64` and rounded once.
#[derive(Debug, Clone)]
pub struct Rope {
    head_dim: usize,
    rot_dim: usize,
    layout: RopeLayout,
    inv_freq: Vec<f64>,
}

impl Rope {
    /// RoPE over whole heads of `head_dim` (even) with base `theta` (10000 for LLaMA 2).
    pub fn new(head_dim: usize, theta: f32, layout: RopeLayout) -> Result<Rope> {
        Rope::partial(head_dim, head_dim, theta, layout)
    }

    /// RoPE over the first `rot_dim` (even, `<= head_dim`) elements of each head.
    pub fn partial(
        head_dim: usize,
        rot_dim: usize,
        theta: f32,
        layout: RopeLayout,
    ) -> Result<Rope> {
        if head_dim == 0 || rot_dim == 0 || !rot_dim.is_multiple_of(2) || rot_dim > head_dim {
            return Err(Error::InvalidArgument {
                op: "rope",
                reason: format!("need an even rot_dim in 1..={head_dim}, got {rot_dim}"),
            });
        }
        if !(theta.is_finite() && theta > 0.0) {
            return Err(Error::InvalidArgument {
                op: "rope",
                reason: format!("theta must be finite and positive, got {theta}"),
            });
        }
        let inv_freq = (0..rot_dim / 2)
            .map(|i| (theta as f64).powf(-(2.0 * i as f64) / rot_dim as f64))
            .collect();
        Ok(Rope {
            head_dim,
            rot_dim,
            layout,
            inv_freq,
        })
    }

    /// Rotates every head in `x` (`n_heads * head_dim` elements) for position `pos`.
    pub fn apply(&self, x: &mut [f32], pos: usize) -> Result<()> {
        if !x.len().is_multiple_of(self.head_dim) {
            return Err(Error::ShapeMismatch {
                op: "rope",
                lhs: vec![x.len()],
                rhs: vec![self.head_dim],
            });
        }
        let half = self.rot_dim / 2;
        let (mut cos, mut sin) = (vec![0.0f32; half], vec![0.0f32; half]);
        for (i, f) in self.inv_freq.iter().enumerate() {
            let (s, c) = (pos as f64 * f).sin_cos();
            cos[i] = c as f32;
            sin[i] = s as f32;
        }
        for head in x.chunks_exact_mut(self.head_dim) {
            for i in 0..half {
                let (a, b) = match self.layout {
                    RopeLayout::Interleaved => (2 * i, 2 * i + 1),
                    RopeLayout::Neox => (i, i + half),
                };
                let (x0, x1) = (head[a], head[b]);
                head[a] = x0 * cos[i] - x1 * sin[i];
                head[b] = x0 * sin[i] + x1 * cos[i];
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_pairs_by_position() {
        let r = Rope::new(4, 10000.0, RopeLayout::Interleaved).unwrap();
        let mut x = [1.0, 0.0, 1.0, 0.0];
        r.apply(&mut x, 0).unwrap();
        assert_eq!(x, [1.0, 0.0, 1.0, 0.0]);
        r.apply(&mut x, 1).unwrap();
        // pair 0 turns by 1 rad, pair 1 by 1/100 rad.
        assert!((x[0] - 1f32.cos()).abs() < 1e-6 && (x[1] - 1f32.sin()).abs() < 1e-6);
        assert!((x[2] - 0.01f32.cos()).abs() < 1e-6 && (x[3] - 0.01f32.sin()).abs() < 1e-6);

        let n = Rope::new(4, 10000.0, RopeLayout::Neox).unwrap();
        let mut y = [1.0, 1.0, 0.0, 0.0];
        n.apply(&mut y, 1).unwrap();
        assert!((y[0] - 1f32.cos()).abs() < 1e-6 && (y[2] - 1f32.sin()).abs() < 1e-6);
        assert!((y[1] - 0.01f32.cos()).abs() < 1e-6 && (y[3] - 0.01f32.sin()).abs() < 1e-6);
        // Rotation keeps the norm.
        let norm: f32 = y.iter().map(|v| v * v).sum();
        assert!((norm - 2.0).abs() < 1e-6);
    }

    #[test]
    fn bad_arguments() {
        assert!(Rope::new(5, 10000.0, RopeLayout::Neox).is_err());
        assert!(Rope::new(0, 10000.0, RopeLayout::Neox).is_err());
        assert!(Rope::partial(8, 10, 10000.0, RopeLayout::Neox).is_err());
        assert!(Rope::new(4, -1.0, RopeLayout::Neox).is_err());
        let r = Rope::new(4, 10000.0, RopeLayout::Neox).unwrap();
        assert!(r.apply(&mut [0.0; 6], 3).is_err());
    }
}
