//! The one error type of `realizar-quant`.

/// Everything the checked functions of this crate reject.
///
/// Each variant names the operation and says what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A length of `f32` values is not a whole number of 32-value blocks.
    #[error("{op}: {what} has {len} values, not a multiple of the block size 32")]
    NotBlockMultiple {
        /// The operation that failed.
        op: &'static str,
        /// Which argument.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// Two arguments whose lengths must agree do not.
    #[error("{op}: {what} has length {found}, expected {expected}")]
    LengthMismatch {
        /// The operation that failed.
        op: &'static str,
        /// Which argument.
        what: &'static str,
        /// The length the other arguments imply.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A byte buffer is not a whole number of blocks.
    #[error("{len} bytes are not a whole number of {block_bytes}-byte {format} blocks")]
    ByteLength {
        /// `"Q4_0"` or `"Q8_0"`.
        format: &'static str,
        /// Bytes of one block.
        block_bytes: usize,
        /// Bytes given.
        len: usize,
    },
    /// A byte buffer starts at an odd address, so it cannot be viewed as
    /// blocks (whose `f16` scale needs 2-byte alignment) without a copy.
    #[error(
        "{format} block data at address {addr:#x} is not 2-byte aligned; copy it with blocks_from_bytes_copied"
    )]
    Misaligned {
        /// `"Q4_0"` or `"Q8_0"`.
        format: &'static str,
        /// The buffer's address.
        addr: usize,
    },
    /// `rows * cols` (or a similar size) overflows `usize`.
    #[error("{op}: {rows} x {cols} overflows usize")]
    Overflow {
        /// The operation that failed.
        op: &'static str,
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
