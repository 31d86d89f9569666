//! # realizar-tensor
//!
//! The tensor core of [realizar](https://github.com/realizar-rs/realizar):
//! a small, fast, dependency-light array type and the kernels that LLM and
//! classical-model inference spend their time in.
//!
//! ## Why it is shaped this way
//!
//! Inference on a CPU is three kinds of work. Decoding a token is a stream
//! of matrix-vector products, bound by how fast weights come from memory;
//! processing a prompt is matrix-matrix work, bound by FMA throughput; a
//! classical model is a handful of tiny dot products, where any overhead
//! shows. So:
//!
//! - A [`Tensor`] is always contiguous and row-major, in `f32`, `f16` or
//!   `bf16`. No strides to chase, no hidden copies: reshapes and row slices
//!   are views, a transpose is an explicit copy. Creating one from a `Vec`
//!   does not copy, and the shape lives inline.
//! - Every hot loop is a [`kernels`] entry with a plain-Rust reference and
//!   AVX2+FMA, AVX-512 and NEON variants, chosen once at run time. A release
//!   build runs everywhere and still uses the best instructions of the
//!   machine; `REALIZAR_KERNEL=scalar` forces the reference for comparison.
//! - Half-precision weights are widened in registers (matvec) or while
//!   packing (matmul), so `f16`/`bf16` models cost half the bandwidth.
//! - One [`parallel`] pool serves the process, sized by `REALIZAR_THREADS`.
//! - Shape errors are values ([`Error`]), never panics.
//!
//! ## Example
//!
//! ```
//! use realizar_tensor::{DType, Tensor};
//!
//! let w = Tensor::from_vec(&[2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0])?.to_dtype(DType::F16);
//! let x = Tensor::from_vec(&[3], vec![1.0f32, 1.0, 1.0])?;
//! assert_eq!(w.matvec(&x)?.to_vec_f32(), vec![6.0, 15.0]);
//!
//! let logits = Tensor::from_vec(&[4], vec![0.1f32, 2.0, -1.0, 0.5])?;
//! assert_eq!(logits.argmax()?, Some(1));
//! let p = logits.softmax()?;
//! assert!((p.to_vec_f32().iter().sum::<f32>() - 1.0).abs() < 1e-6);
//! # Ok::<(), realizar_tensor::Error>(())
//! ```
#![warn(missing_docs)]

pub mod cpu;
mod dtype;
mod error;
pub mod kernels;
pub mod ops;
pub mod parallel;
mod shape;
mod storage;
mod tensor;

pub use cpu::Isa;
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use half::{bf16, f16};
pub use shape::{MAX_DIMS, Shape};
pub use tensor::Tensor;
