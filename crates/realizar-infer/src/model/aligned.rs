//! `f32` storage aligned to 64 bytes (a cache line, an AVX-512 register), so
//! the weight loads of a dot product never straddle two lines.

/// One cache line of `f32`s.
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// A fixed-length `f32` buffer whose first element is 64-byte aligned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlignedF32 {
    lines: Vec<Line>,
    len: usize,
}

impl AlignedF32 {
    /// Floats per line.
    pub(crate) const LANES: usize = 16;

    /// `len` zeros.
    pub(crate) fn zeros(len: usize) -> Self {
        Self {
            lines: vec![Line([0.0; 16]); len.div_ceil(Self::LANES)],
            len,
        }
    }

    /// A copy of `values`.
    pub(crate) fn from_slice(values: &[f32]) -> Self {
        let mut v = Self::zeros(values.len());
        v.as_mut_slice().copy_from_slice(values);
        v
    }

    /// The values.
    #[inline(always)]
    pub(crate) fn as_slice(&self) -> &[f32] {
        &bytemuck::cast_slice::<Line, f32>(&self.lines)[..self.len]
    }

    /// The values, mutable.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut bytemuck::cast_slice_mut::<Line, f32>(&mut self.lines)[..self.len]
    }

    /// Bytes held (including the padding of the last line).
    pub(crate) fn bytes(&self) -> usize {
        self.lines.len() * std::mem::size_of::<Line>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_exact_length() {
        for len in [0, 1, 15, 16, 17, 784] {
            let v = AlignedF32::from_slice(&vec![1.5; len]);
            assert_eq!(v.as_slice().len(), len);
            assert!(v.as_slice().iter().all(|&x| x == 1.5));
            assert_eq!(v.as_slice().as_ptr() as usize % 64, 0);
            assert_eq!(v.bytes(), len.div_ceil(16) * 64);
        }
    }
}
