//! [`Tensor`]: a contiguous, row-major array of `f32`, `f16` or `bf16`.

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::kernels::kernels;
use crate::shape::Shape;
use crate::storage::Storage;
use half::{bf16, f16};
use std::sync::Arc;

/// A contiguous, row-major n-dimensional array.
///
/// Cloning is cheap: tensors share their storage, and [`reshape`](Tensor::reshape)
/// and [`row`](Tensor::row) return views into it. Mutation through
/// [`as_mut_slice`](Tensor::as_mut_slice) copies the elements first when they
/// are shared (copy on write).
///
/// ```
/// use realizar_tensor::Tensor;
/// let t = Tensor::from_vec(&[2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0])?;
/// assert_eq!(t.get(&[1, 2]), Some(6.0));
/// assert_eq!(t.transpose()?.shape(), &[3, 2]);
/// assert!(Tensor::from_vec(&[2, 2], vec![1.0f32; 3]).is_err());
/// # Ok::<(), realizar_tensor::Error>(())
/// ```
#[derive(Clone)]
pub struct Tensor {
    storage: Arc<Storage>,
    offset: usize,
    shape: Shape,
}

impl Tensor {
    /// A tensor that takes ownership of `data` (no copy).
    ///
    /// Fails with [`Error::ElementCount`] when `data.len()` is not the
    /// product of `shape`.
    #[inline]
    pub fn from_vec<T: Element>(shape: &[usize], data: Vec<T>) -> Result<Tensor> {
        let shape = Shape::new(shape)?;
        if shape.numel() != data.len() {
            return Err(Error::ElementCount {
                shape: shape.dims().to_vec(),
                expected: shape.numel(),
                found: data.len(),
            });
        }
        Ok(Tensor {
            storage: Arc::new(Storage::from_vec(data)),
            offset: 0,
            shape,
        })
    }

    /// A tensor holding a copy of `data`.
    pub fn from_slice<T: Element>(shape: &[usize], data: &[T]) -> Result<Tensor> {
        let s = Shape::new(shape)?;
        if s.numel() != data.len() {
            return Err(Error::ElementCount {
                shape: shape.to_vec(),
                expected: s.numel(),
                found: data.len(),
            });
        }
        Tensor::from_vec(shape, data.to_vec())
    }

    /// An `f32` tensor filled with `value`.
    pub fn full(shape: &[usize], value: f32) -> Result<Tensor> {
        let s = Shape::new(shape)?;
        Tensor::from_vec(shape, vec![value; s.numel()])
    }

    /// An `f32` tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Result<Tensor> {
        Tensor::full(shape, 0.0)
    }

    /// An `f32` tensor of ones.
    pub fn ones(shape: &[usize]) -> Result<Tensor> {
        Tensor::full(shape, 1.0)
    }

    /// A tensor of zeros of the given type.
    pub fn zeros_dtype(shape: &[usize], dtype: DType) -> Result<Tensor> {
        let n = Shape::new(shape)?.numel();
        match dtype {
            DType::F32 => Tensor::from_vec(shape, vec![0.0f32; n]),
            DType::F16 => Tensor::from_vec(shape, vec![f16::ZERO; n]),
            DType::BF16 => Tensor::from_vec(shape, vec![bf16::ZERO; n]),
        }
    }

    /// The 1-D `f32` tensor `start, start + step, ...` up to, not including, `end`
    /// (numpy's `arange`). Fails when `step` is zero or any argument is not finite.
    pub fn arange(start: f32, end: f32, step: f32) -> Result<Tensor> {
        if !(start.is_finite() && end.is_finite() && step.is_finite()) || step == 0.0 {
            return Err(Error::InvalidArgument {
                op: "arange",
                reason: format!(
                    "need finite bounds and a non-zero step, got ({start}, {end}, {step})"
                ),
            });
        }
        let n = ((end as f64 - start as f64) / step as f64).ceil().max(0.0);
        if n > (isize::MAX as f64) / 4.0 {
            return Err(Error::InvalidArgument {
                op: "arange",
                reason: format!("{n} elements do not fit in memory"),
            });
        }
        let n = n as usize;
        let data = (0..n)
            .map(|i| (start as f64 + i as f64 * step as f64) as f32)
            .collect();
        Tensor::from_vec(&[n], data)
    }

    /// The extent of each dimension.
    #[inline(always)]
    pub fn shape(&self) -> &[usize] {
        self.shape.dims()
    }

    /// Number of dimensions.
    #[inline(always)]
    pub fn ndim(&self) -> usize {
        self.shape.ndim()
    }

    /// Number of elements.
    #[inline(always)]
    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    /// Row-major strides, in elements.
    pub fn strides(&self) -> Vec<usize> {
        self.shape.strides()
    }

    /// The element type.
    #[inline(always)]
    pub fn dtype(&self) -> DType {
        self.storage.dtype()
    }

    /// The element at a multi-index, widened to `f32`; `None` when the index
    /// has the wrong length or lies outside the shape.
    #[inline(always)]
    pub fn get(&self, index: &[usize]) -> Option<f32> {
        let off = self.shape.offset_of(index)?;
        self.storage.get_f32(self.offset + off)
    }

    /// The elements as a slice of `T`; fails when `T` is not the storage type.
    pub fn as_slice<T: Element>(&self) -> Result<&[T]> {
        let all = self.storage.as_slice::<T>().ok_or(Error::DType {
            op: "as_slice",
            dtype: self.dtype(),
        })?;
        Ok(&all[self.offset..self.offset + self.numel()])
    }

    /// The elements as a mutable slice of `T`, copying them first when the
    /// storage is shared with another tensor.
    pub fn as_mut_slice<T: Element>(&mut self) -> Result<&mut [T]> {
        if T::DTYPE != self.dtype() {
            return Err(Error::DType {
                op: "as_mut_slice",
                dtype: self.dtype(),
            });
        }
        let n = self.numel();
        let whole = self.offset == 0 && self.storage_len() == n;
        if !whole || Arc::get_mut(&mut self.storage).is_none() {
            self.storage = Arc::new(self.storage.slice_copy(self.offset..self.offset + n));
            self.offset = 0;
        }
        let storage = Arc::get_mut(&mut self.storage).expect("storage was just made unique");
        Ok(storage.as_mut_slice::<T>().expect("dtype checked above"))
    }

    fn storage_len(&self) -> usize {
        match &*self.storage {
            Storage::F32(v) => v.len(),
            Storage::F16(v) => v.len(),
            Storage::BF16(v) => v.len(),
        }
    }

    /// The elements widened to `f32`, copied into a new vector.
    pub fn to_vec_f32(&self) -> Vec<f32> {
        let mut out = vec![0.0f32; self.numel()];
        let k = kernels();
        match self.dtype() {
            DType::F32 => out.copy_from_slice(self.as_slice::<f32>().expect("dtype is f32")),
            DType::F16 => (k.f16_to_f32)(self.as_slice::<f16>().expect("dtype is f16"), &mut out),
            DType::BF16 => {
                (k.bf16_to_f32)(self.as_slice::<bf16>().expect("dtype is bf16"), &mut out)
            }
        }
        out
    }

    /// The same elements in another type (rounding to nearest even when narrowing).
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let data = self.to_vec_f32();
        let storage = match dtype {
            DType::F32 => Storage::F32(data),
            DType::F16 => Storage::F16(data.iter().map(|&v| f16::from_f32(v)).collect()),
            DType::BF16 => Storage::BF16(data.iter().map(|&v| bf16::from_f32(v)).collect()),
        };
        Tensor {
            storage: Arc::new(storage),
            offset: 0,
            shape: self.shape,
        }
    }

    /// The same elements under another shape with the same element count: a
    /// view sharing the storage (tensors are contiguous, so it is always one).
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        let s = Shape::new(shape)?;
        if s.numel() != self.numel() {
            return Err(Error::ElementCount {
                shape: shape.to_vec(),
                expected: s.numel(),
                found: self.numel(),
            });
        }
        Ok(Tensor {
            storage: Arc::clone(&self.storage),
            offset: self.offset,
            shape: s,
        })
    }

    /// Row `i` along the first dimension: a view of shape `shape()[1..]`.
    pub fn row(&self, i: usize) -> Result<Tensor> {
        let t = self.rows(i..i + 1)?;
        let s = Shape::new(&self.shape()[1..])?;
        Ok(Tensor { shape: s, ..t })
    }

    /// Rows `range` along the first dimension: a view.
    pub fn rows(&self, range: std::ops::Range<usize>) -> Result<Tensor> {
        let dims = self.shape();
        let Some(&n) = dims.first() else {
            return Err(Error::Rank {
                op: "rows",
                expected: 1,
                found: vec![],
            });
        };
        if range.start > range.end || range.end > n {
            return Err(Error::OutOfRange {
                op: "rows",
                index: range.end.max(range.start),
                len: n,
            });
        }
        let row_len: usize = dims[1..].iter().product();
        let mut new_dims = dims.to_vec();
        new_dims[0] = range.end - range.start;
        Ok(Tensor {
            storage: Arc::clone(&self.storage),
            offset: self.offset + range.start * row_len,
            shape: Shape::new(&new_dims)?,
        })
    }

    /// The transpose of a 2-D tensor (a copy; tensors stay contiguous).
    pub fn transpose(&self) -> Result<Tensor> {
        let &[r, c] = self.shape() else {
            return Err(Error::Rank {
                op: "transpose",
                expected: 2,
                found: self.shape().to_vec(),
            });
        };
        fn tr<T: Element>(src: &[T], r: usize, c: usize) -> Vec<T> {
            let mut out = Vec::with_capacity(r * c);
            // Blocked so both sides stay in cache.
            const B: usize = 32;
            out.resize(
                r * c,
                src.first().copied().unwrap_or_else(|| T::from_f32(0.0)),
            );
            for i0 in (0..r).step_by(B) {
                for j0 in (0..c).step_by(B) {
                    for i in i0..(i0 + B).min(r) {
                        for j in j0..(j0 + B).min(c) {
                            out[j * r + i] = src[i * c + j];
                        }
                    }
                }
            }
            out
        }
        let shape = [c, r];
        match self.dtype() {
            DType::F32 => Tensor::from_vec(&shape, tr(self.as_slice::<f32>()?, r, c)),
            DType::F16 => Tensor::from_vec(&shape, tr(self.as_slice::<f16>()?, r, c)),
            DType::BF16 => Tensor::from_vec(&shape, tr(self.as_slice::<bf16>()?, r, c)),
        }
    }

    /// The elements as `f32` when the tensor stores `f32`, else a typed error naming `op`.
    pub(crate) fn f32s(&self, op: &'static str) -> Result<&[f32]> {
        self.as_slice::<f32>().map_err(|_| Error::DType {
            op,
            dtype: self.dtype(),
        })
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOW: usize = 8;
        let n = self.numel();
        let head: Vec<f32> = (0..n.min(SHOW))
            .filter_map(|i| self.storage.get_f32(self.offset + i))
            .collect();
        write!(f, "Tensor({:?}, {}, {:?}", self.shape(), self.dtype(), head)?;
        if n > SHOW {
            write!(f, " ... {} more", n - SHOW)?;
        }
        write!(f, ")")
    }
}

impl PartialEq for Tensor {
    /// Same shape, same dtype, same elements (NaN is not equal to itself).
    fn eq(&self, other: &Tensor) -> bool {
        self.shape() == other.shape()
            && self.dtype() == other.dtype()
            && (0..self.numel()).all(|i| {
                self.storage.get_f32(self.offset + i) == other.storage.get_f32(other.offset + i)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_count() {
        let e = Tensor::from_vec(&[2, 3], vec![0.0f32; 5]).unwrap_err();
        assert_eq!(
            e,
            Error::ElementCount {
                shape: vec![2, 3],
                expected: 6,
                found: 5
            }
        );
        assert!(Tensor::from_vec(&[usize::MAX, 4], Vec::<f32>::new()).is_err());
    }

    #[test]
    fn constructors() {
        assert_eq!(Tensor::zeros(&[3]).unwrap().to_vec_f32(), vec![0.0; 3]);
        assert_eq!(Tensor::ones(&[2, 2]).unwrap().to_vec_f32(), vec![1.0; 4]);
        assert_eq!(Tensor::full(&[2], 7.5).unwrap().to_vec_f32(), vec![7.5; 2]);
        assert_eq!(
            Tensor::arange(0.0, 1.0, 0.25).unwrap().to_vec_f32(),
            vec![0.0, 0.25, 0.5, 0.75]
        );
        assert_eq!(
            Tensor::arange(3.0, 0.0, -1.0).unwrap().to_vec_f32(),
            vec![3.0, 2.0, 1.0]
        );
        assert_eq!(Tensor::arange(1.0, 0.0, 1.0).unwrap().numel(), 0);
        assert!(Tensor::arange(0.0, 1.0, 0.0).is_err());
        assert!(Tensor::arange(0.0, f32::NAN, 1.0).is_err());
        assert!(Tensor::arange(0.0, 1e30, 1e-30).is_err());
        let z = Tensor::zeros_dtype(&[2], DType::BF16).unwrap();
        assert_eq!(z.dtype(), DType::BF16);
    }

    #[test]
    fn accessors_and_views() {
        let t = Tensor::arange(0.0, 24.0, 1.0)
            .unwrap()
            .reshape(&[2, 3, 4])
            .unwrap();
        assert_eq!(t.ndim(), 3);
        assert_eq!(t.strides(), vec![12, 4, 1]);
        assert_eq!(t.get(&[1, 2, 3]), Some(23.0));
        assert_eq!(t.get(&[1, 3, 0]), None);
        let r = t.row(1).unwrap();
        assert_eq!(r.shape(), &[3, 4]);
        assert_eq!(r.get(&[0, 0]), Some(12.0));
        let rr = r.rows(1..3).unwrap();
        assert_eq!(rr.as_slice::<f32>().unwrap()[0], 16.0);
        assert!(t.rows(1..3).is_err());
        assert!(t.reshape(&[5, 5]).is_err());
        assert!(Tensor::zeros(&[]).unwrap().row(0).is_err());
    }

    #[test]
    fn transpose_and_dtypes() {
        let t = Tensor::from_vec(&[2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let tt = t.transpose().unwrap();
        assert_eq!(tt.to_vec_f32(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert!(Tensor::zeros(&[2, 2, 2]).unwrap().transpose().is_err());
        let h = t.to_dtype(DType::F16);
        assert_eq!(h.dtype(), DType::F16);
        assert_eq!(h.transpose().unwrap().to_vec_f32(), tt.to_vec_f32());
        let b = t.to_dtype(DType::BF16).to_dtype(DType::F32);
        assert_eq!(b, t);
        assert!(t.as_slice::<f16>().is_err());
    }

    #[test]
    fn copy_on_write() {
        let a = Tensor::arange(0.0, 6.0, 1.0).unwrap();
        let mut row = a.reshape(&[2, 3]).unwrap().row(1).unwrap();
        row.as_mut_slice::<f32>().unwrap()[0] = 100.0;
        assert_eq!(row.to_vec_f32(), vec![100.0, 4.0, 5.0]);
        assert_eq!(a.get(&[3]), Some(3.0));
        assert!(row.as_mut_slice::<f16>().is_err());
    }
}
