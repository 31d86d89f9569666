//! Shapes and row-major strides, stored inline (no allocation).

use crate::error::{Error, Result};

/// The most dimensions a [`Shape`] holds.
pub const MAX_DIMS: usize = 6;

/// The extent of each dimension of a tensor, outermost first.
///
/// Stored inline so that creating and reading a shape never allocates.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; MAX_DIMS],
    ndim: u8,
}

impl Shape {
    /// Builds a shape, checking the rank and that the element count fits in `usize`.
    pub fn new(dims: &[usize]) -> Result<Self> {
        if dims.len() > MAX_DIMS {
            return Err(Error::TooManyDims {
                shape: dims.to_vec(),
                max: MAX_DIMS,
            });
        }
        let mut numel: usize = 1;
        for &d in dims {
            numel = numel.checked_mul(d).ok_or_else(|| Error::ShapeOverflow {
                shape: dims.to_vec(),
            })?;
        }
        // Byte sizes must fit too (4 bytes per f32 element).
        if numel.checked_mul(4).is_none_or(|b| b > isize::MAX as usize) {
            return Err(Error::ShapeOverflow {
                shape: dims.to_vec(),
            });
        }
        let mut s = [0usize; MAX_DIMS];
        s[..dims.len()].copy_from_slice(dims);
        Ok(Shape {
            dims: s,
            ndim: dims.len() as u8,
        })
    }

    /// The dimensions.
    #[inline(always)]
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.ndim as usize]
    }

    /// Number of dimensions.
    #[inline(always)]
    pub fn ndim(&self) -> usize {
        self.ndim as usize
    }

    /// Number of elements (1 for a scalar shape `[]`).
    #[inline(always)]
    pub fn numel(&self) -> usize {
        self.dims().iter().product()
    }

    /// Row-major strides in elements.
    pub fn strides(&self) -> Vec<usize> {
        let mut out = vec![0; self.ndim()];
        let mut acc = 1;
        for (o, &d) in out.iter_mut().zip(self.dims()).rev() {
            *o = acc;
            acc *= d;
        }
        out
    }

    /// The linear offset of a multi-index, or `None` when it is out of range
    /// or has the wrong length.
    #[inline(always)]
    pub fn offset_of(&self, index: &[usize]) -> Option<usize> {
        let dims = self.dims();
        if index.len() != dims.len() {
            return None;
        }
        let mut off = 0usize;
        for (&i, &d) in index.iter().zip(dims) {
            if i >= d {
                return None;
            }
            off = off * d + i;
        }
        Some(off)
    }
}

impl std::fmt::Debug for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_are_row_major() {
        let s = Shape::new(&[2, 3, 4]).unwrap();
        assert_eq!(s.strides(), vec![12, 4, 1]);
        assert_eq!(s.numel(), 24);
        assert_eq!(s.offset_of(&[1, 2, 3]), Some(23));
        assert_eq!(s.offset_of(&[2, 0, 0]), None);
        assert_eq!(s.offset_of(&[0, 0]), None);
    }

    #[test]
    fn rejects_overflow_and_rank() {
        assert!(matches!(
            Shape::new(&[usize::MAX, 2]),
            Err(Error::ShapeOverflow { .. })
        ));
        assert!(matches!(
            Shape::new(&[1; 7]),
            Err(Error::TooManyDims { .. })
        ));
        let scalar = Shape::new(&[]).unwrap();
        assert_eq!(scalar.numel(), 1);
    }
}
