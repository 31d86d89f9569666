//! # realizar
//!
//! A pure-Rust machine-learning inference engine, model server and
//! benchmarking toolkit, for when latency, cold start, binary size and
//! predictable tail latency matter.
//!
//! This crate is the facade: each part of realizar is its own crate, usable
//! alone, and re-exported here under a short name.
//!
//! | module | crate | what it owns |
//! |---|---|---|
//! | [`tensor`] | `realizar-tensor` | tensors, SIMD kernels with run-time dispatch, the thread pool |
//! | [`quant`] | `realizar-quant` | GGML Q4_0 / Q8_0 blocks (llama.cpp's bytes), quantized dot products and matvec |
//! | [`stats`] | `realizar-stats` | benchmark statistics equal to scipy's |
//! | [`viz`] | `realizar-viz` | terminal and SVG views of benchmark results |
//! | [`tokenize`] | `realizar-tokenize` | byte-level BPE (`tokenizer.json`) and SentencePiece, id-exact with the reference libraries |
//! | [`cache`] | `realizar-cache` | the model cache and its byte budget |
//! | [`infer`] | `realizar-infer` | model files (safetensors), logistic and softmax regression, the prediction API types |
//!
//! ```
//! use realizar::tensor::Tensor;
//! let a = Tensor::from_vec(&[2, 2], vec![1.0f32, 2.0, 3.0, 4.0])?;
//! let b = a.matmul(&a)?;
//! assert_eq!(b.to_vec_f32(), vec![7.0, 10.0, 15.0, 22.0]);
//! # Ok::<(), realizar::tensor::Error>(())
//! ```
#![warn(missing_docs)]

pub use realizar_cache as cache;
pub use realizar_infer as infer;
pub use realizar_quant as quant;
pub use realizar_stats as stats;
pub use realizar_tensor as tensor;
pub use realizar_tokenize as tokenize;
pub use realizar_viz as viz;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
mod readme {}
