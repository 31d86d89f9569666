//! Matrix-vector products `y = W x`, with `W` in `f32`, `f16` or `bf16`.
//!
//! Decoding a token streams every weight once, so this is bound by memory
//! bandwidth: rows are split across the pool's threads and each row is one
//! dispatched dot-product kernel (which widens half-precision weights in
//! registers).

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::kernels::kernels;
use crate::parallel;
use crate::tensor::Tensor;
use half::{bf16, f16};

/// Weights a thread must have to itself before splitting pays off.
const MIN_WEIGHTS_PER_THREAD: usize = 1 << 16;

/// `y = W x` for a row-major `W` of `rows x cols` elements of type `T`.
///
/// Fails when `w.len() != rows * cols`, `x.len() != cols` or `y.len() != rows`.
pub fn matvec_slice<T: Element>(
    w: &[T],
    rows: usize,
    cols: usize,
    x: &[f32],
    y: &mut [f32],
) -> Result<()> {
    let mismatch = |lhs: Vec<usize>, rhs: Vec<usize>| Error::ShapeMismatch {
        op: "matvec",
        lhs,
        rhs,
    };
    if rows.checked_mul(cols) != Some(w.len()) {
        return Err(mismatch(vec![rows, cols], vec![w.len()]));
    }
    if x.len() != cols || y.len() != rows {
        return Err(mismatch(vec![rows, cols], vec![x.len(), y.len()]));
    }
    if rows == 0 {
        return Ok(());
    }
    if cols == 0 {
        y.fill(0.0);
        return Ok(());
    }
    let dot = T::dot_kernel(kernels());
    let parts = parallel::parts_for(w.len(), MIN_WEIGHTS_PER_THREAD);
    let rows_per_part = rows.div_ceil(parts);
    let run = |first_row: usize, ys: &mut [f32]| {
        for (i, yi) in ys.iter_mut().enumerate() {
            let r = first_row + i;
            *yi = dot(&w[r * cols..(r + 1) * cols], x);
        }
    };
    if parts == 1 {
        run(0, y);
    } else {
        use rayon::prelude::*;
        parallel::pool().install(|| {
            y.par_chunks_mut(rows_per_part)
                .enumerate()
                .for_each(|(p, ys)| run(p * rows_per_part, ys));
        });
    }
    Ok(())
}

/// `y = W x` for a 2-D weight tensor of any dtype and `f32` vectors.
pub fn matvec(w: &Tensor, x: &[f32], y: &mut [f32]) -> Result<()> {
    let &[rows, cols] = w.shape() else {
        return Err(Error::Rank {
            op: "matvec",
            expected: 2,
            found: w.shape().to_vec(),
        });
    };
    match w.dtype() {
        DType::F32 => matvec_slice(w.as_slice::<f32>()?, rows, cols, x, y),
        DType::F16 => matvec_slice(w.as_slice::<f16>()?, rows, cols, x, y),
        DType::BF16 => matvec_slice(w.as_slice::<bf16>()?, rows, cols, x, y),
    }
}

impl Tensor {
    /// `W x` for this 2-D tensor `W` (any dtype) and a 1-D `f32` tensor `x`.
    ///
    /// ```
    /// use realizar_tensor::Tensor;
    /// let w = Tensor::from_vec(&[2, 3], vec![1.0f32, 0.0, 0.0, 0.0, 1.0, 1.0])?;
    /// let x = Tensor::from_vec(&[3], vec![1.0f32, 2.0, 3.0])?;
    /// assert_eq!(w.matvec(&x)?.to_vec_f32(), vec![1.0, 5.0]);
    /// # Ok::<(), realizar_tensor::Error>(())
    /// ```
    pub fn matvec(&self, x: &Tensor) -> Result<Tensor> {
        if x.ndim() != 1 {
            return Err(Error::Rank {
                op: "matvec",
                expected: 1,
                found: x.shape().to_vec(),
            });
        }
        let rows = self.shape().first().copied().unwrap_or(0);
        let mut y = vec![0.0f32; rows];
        matvec(self, x.f32s("matvec")?, &mut y)?;
        Tensor::from_vec(&[rows], y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked() {
        let w = Tensor::zeros(&[3, 4]).unwrap();
        let mut y = vec![0.0; 3];
        assert!(matvec(&w, &[0.0; 3], &mut y).is_err());
        assert!(matvec(&w, &[0.0; 4], &mut y[..2]).is_err());
        assert!(matvec(&Tensor::zeros(&[12]).unwrap(), &[0.0; 4], &mut y).is_err());
        assert!(matvec_slice(&[0.0f32; 11], 3, 4, &[0.0; 4], &mut y).is_err());
        assert!(matvec_slice(&[0.0f32; 0], usize::MAX, 2, &[0.0; 2], &mut y).is_err());
        let x2 = Tensor::zeros(&[4, 1]).unwrap();
        assert!(w.matvec(&x2).is_err());
        matvec(&Tensor::zeros(&[3, 0]).unwrap(), &[], &mut y).unwrap();
        assert_eq!(y, vec![0.0; 3]);
    }

    #[test]
    fn threaded_equals_single() {
        let (rows, cols) = (257, 1031);
        let w: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let x: Vec<f32> = (0..cols).map(|i| (i % 13) as f32 / 6.0 - 1.0).collect();
        let mut a = vec![0.0; rows];
        let mut b = vec![0.0; rows];
        matvec_slice(&w, rows, cols, &x, &mut a).unwrap();
        parallel::with_threads(1, || matvec_slice(&w, rows, cols, &x, &mut b)).unwrap();
        assert_eq!(a, b);
    }
}
