//! The one error type of `realizar-tensor`.

use crate::DType;

/// Everything that can go wrong in a tensor operation.
///
/// Every variant says what was expected and what was found, so a message can
/// be shown to a user as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The number of elements given does not match the shape.
    #[error("shape {shape:?} holds {expected} elements but {found} were given")]
    ElementCount {
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements the shape holds.
        expected: usize,
        /// Elements supplied.
        found: usize,
    },
    /// Two shapes that must agree do not.
    #[error("{op}: shape mismatch: {lhs:?} vs {rhs:?}")]
    ShapeMismatch {
        /// The operation that failed.
        op: &'static str,
        /// Left operand's shape.
        lhs: Vec<usize>,
        /// Right operand's shape.
        rhs: Vec<usize>,
    },
    /// The operand has the wrong number of dimensions.
    #[error("{op}: expected a {expected}-d tensor, found shape {found:?}")]
    Rank {
        /// The operation that failed.
        op: &'static str,
        /// Required number of dimensions.
        expected: usize,
        /// Shape found.
        found: Vec<usize>,
    },
    /// More dimensions than a tensor may have.
    #[error("shape {shape:?} has {} dimensions; at most {max} are supported", shape.len())]
    TooManyDims {
        /// The requested shape.
        shape: Vec<usize>,
        /// The limit.
        max: usize,
    },
    /// The product of the dimensions does not fit in `usize`.
    #[error("shape {shape:?} overflows usize")]
    ShapeOverflow {
        /// The requested shape.
        shape: Vec<usize>,
    },
    /// The operation does not accept this element type.
    #[error("{op}: unsupported dtype {dtype}")]
    DType {
        /// The operation that failed.
        op: &'static str,
        /// The element type found.
        dtype: DType,
    },
    /// An index or range lies outside the tensor.
    #[error("{op}: index {index} out of range for length {len}")]
    OutOfRange {
        /// The operation that failed.
        op: &'static str,
        /// The offending index.
        index: usize,
        /// The length of the dimension.
        len: usize,
    },
    /// An argument's value is not allowed (e.g. an odd head size for rotary embedding).
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The operation that failed.
        op: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
