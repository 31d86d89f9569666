//! The owned, typed buffer behind one or more tensors.

use crate::dtype::{DType, Element};
use half::{bf16, f16};

/// A tensor's elements, in one of the supported types.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Storage {
    F32(Vec<f32>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
}

impl Storage {
    pub(crate) fn dtype(&self) -> DType {
        match self {
            Storage::F32(_) => DType::F32,
            Storage::F16(_) => DType::F16,
            Storage::BF16(_) => DType::BF16,
        }
    }

    pub(crate) fn from_vec<T: Element>(data: Vec<T>) -> Storage {
        let any: Box<dyn std::any::Any> = Box::new(data);
        match T::DTYPE {
            DType::F32 => Storage::F32(*any.downcast().expect("dtype tag matches type")),
            DType::F16 => Storage::F16(*any.downcast().expect("dtype tag matches type")),
            DType::BF16 => Storage::BF16(*any.downcast().expect("dtype tag matches type")),
        }
    }

    /// The elements as `&[T]` when the storage holds `T`.
    pub(crate) fn as_slice<T: Element>(&self) -> Option<&[T]> {
        let any: &dyn std::any::Any = match self {
            Storage::F32(v) => v,
            Storage::F16(v) => v,
            Storage::BF16(v) => v,
        };
        any.downcast_ref::<Vec<T>>().map(|v| v.as_slice())
    }

    /// The elements as `&mut [T]` when the storage holds `T`.
    pub(crate) fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        let any: &mut dyn std::any::Any = match self {
            Storage::F32(v) => v,
            Storage::F16(v) => v,
            Storage::BF16(v) => v,
        };
        any.downcast_mut::<Vec<T>>().map(|v| v.as_mut_slice())
    }

    #[inline(always)]
    pub(crate) fn get_f32(&self, i: usize) -> Option<f32> {
        match self {
            Storage::F32(v) => v.get(i).copied(),
            Storage::F16(v) => v.get(i).map(|x| x.to_f32()),
            Storage::BF16(v) => v.get(i).map(|x| x.to_f32()),
        }
    }

    /// A copy of `range` as its own storage.
    pub(crate) fn slice_copy(&self, range: std::ops::Range<usize>) -> Storage {
        match self {
            Storage::F32(v) => Storage::F32(v[range].to_vec()),
            Storage::F16(v) => Storage::F16(v[range].to_vec()),
            Storage::BF16(v) => Storage::BF16(v[range].to_vec()),
        }
    }
}
