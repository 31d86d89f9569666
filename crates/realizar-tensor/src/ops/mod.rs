//! Tensor operations, one file per family.
//!
//! Each family offers slice functions (for model code that manages its own
//! buffers and must not allocate per token) and [`Tensor`](crate::Tensor)
//! methods built on them. Both check shapes and return typed errors; the
//! work itself runs in the dispatched [`kernels`](crate::kernels).

pub mod activations;
pub mod elementwise;
pub mod matmul;
#[cfg(feature = "gemm")]
pub mod matmul_gemm;
pub mod matvec;
pub mod norms;
pub mod reduce;
pub mod rope;
pub mod softmax;

pub use activations::{GeluApprox, gelu, silu};
pub use matmul::{BLayout, matmul};
pub use matvec::matvec;
pub use norms::{layernorm, rmsnorm};
pub use reduce::{argmax, dot, top_k};
pub use rope::{Rope, RopeLayout};
pub use softmax::softmax;

use crate::error::{Error, Result};

/// Fails with [`Error::ShapeMismatch`] unless `a == b`.
pub(crate) fn check_len(op: &'static str, a: usize, b: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            op,
            lhs: vec![a],
            rhs: vec![b],
        })
    }
}
