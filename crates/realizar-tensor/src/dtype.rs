//! Element types a tensor can store.

use crate::kernels::Kernels;
use half::{bf16, f16};

/// The element type of a tensor's storage.
///
/// Computation happens in `f32`; `f16` and `bf16` are storage formats for
/// weights, converted on the fly by the mixed-precision kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE 754 single precision.
    F32,
    /// IEEE 754 half precision.
    F16,
    /// bfloat16: the upper half of an `f32`.
    BF16,
}

impl DType {
    /// Bytes per element.
    pub const fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F16 | DType::BF16 => 2,
        }
    }

    /// The lower-case name used in files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A Rust type that a tensor can store.
///
/// Implemented for `f32`, [`half::f16`] and [`half::bf16`].
pub trait Element: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Widens to `f32` (exact for all three types).
    fn to_f32(self) -> f32;
    /// Rounds an `f32` to this type (round to nearest even).
    fn from_f32(v: f32) -> Self;
    /// The dot-product kernel of `kernels` for weights of this type.
    #[doc(hidden)]
    fn dot_kernel(kernels: &Kernels) -> fn(&[Self], &[f32]) -> f32;
    /// The widening kernel of `kernels` for this type.
    #[doc(hidden)]
    fn widen_kernel(kernels: &Kernels) -> fn(&[Self], &mut [f32]);
    /// The slice itself when this type is `f32`.
    #[doc(hidden)]
    fn as_f32s(s: &[Self]) -> Option<&[f32]> {
        let _ = s;
        None
    }
}

fn copy_f32(src: &[f32], dst: &mut [f32]) {
    let n = src.len().min(dst.len());
    dst[..n].copy_from_slice(&src[..n]);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for half::f16 {}
    impl Sealed for half::bf16 {}
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn dot_kernel(kernels: &Kernels) -> fn(&[Self], &[f32]) -> f32 {
        kernels.dot_f32
    }
    #[inline(always)]
    fn widen_kernel(_kernels: &Kernels) -> fn(&[Self], &mut [f32]) {
        copy_f32
    }
    #[inline(always)]
    fn as_f32s(s: &[Self]) -> Option<&[f32]> {
        Some(s)
    }
}

impl Element for f16 {
    const DTYPE: DType = DType::F16;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        f16::from_f32(v)
    }
    #[inline(always)]
    fn dot_kernel(kernels: &Kernels) -> fn(&[Self], &[f32]) -> f32 {
        kernels.dot_f16
    }
    #[inline(always)]
    fn widen_kernel(kernels: &Kernels) -> fn(&[Self], &mut [f32]) {
        kernels.f16_to_f32
    }
}

impl Element for bf16 {
    const DTYPE: DType = DType::BF16;
    #[inline(always)]
    fn to_f32(self) -> f32 {
        bf16::to_f32(self)
    }
    #[inline(always)]
    fn from_f32(v: f32) -> Self {
        bf16::from_f32(v)
    }
    #[inline(always)]
    fn dot_kernel(kernels: &Kernels) -> fn(&[Self], &[f32]) -> f32 {
        kernels.dot_bf16
    }
    #[inline(always)]
    fn widen_kernel(kernels: &Kernels) -> fn(&[Self], &mut [f32]) {
        kernels.bf16_to_f32
    }
}
