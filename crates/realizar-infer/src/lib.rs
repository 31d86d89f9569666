//! # realizar-infer
//!
//! Model files, models and the prediction API of realizar.
//!
//! This crate turns a file of weights into answers. Today it holds the
//! classical models the server and the Lambda handler serve: a binary
//! [`LogisticRegression`] and a multinomial
//! [`SoftmaxRegression`] (the layout of PyTorch's
//! `nn.Linear`), wrapped in [`ClassicalModel`], read from and written to
//! `.safetensors` ([`format::safetensors`]), trained by seeded mini-batch
//! gradient descent, and the JSON request/response types with the
//! functions that answer them ([`api`]).
//!
//! ## Why it is shaped this way
//!
//! A classical model's prediction is one dot product per class, tens of
//! nanoseconds of work, so anything around it shows. The class comes from
//! the `f32` SIMD dot kernel `realizar-tensor` picked for this CPU (one
//! function pointer) over 64-byte aligned weights, or, for inputs of up to
//! 4096 features on AVX-512, from a copy of the weights at the input's own
//! offset within a cache line, so neither operand's loads straddle lines;
//! a two-class softmax costs one dot product instead of
//! two; nothing allocates; and input checks cost nothing on the fast path
//! (a NaN or infinite feature makes the score non-finite, and only then are
//! the features scanned to name the bad one).
//!
//! Probabilities take a second, exact path: trained weights make scores
//! that are small differences of large terms, and an `f32` sum of them (in
//! any order, PyTorch's included) can be off by about
//! `2^-24 * sum |w_j x_j|`, `1e-5` for a trained 784-input model.
//! Accumulating in `f64` gives the exact softmax of the stored weights,
//! rounded once to `f32`; a class whose fast score lies within
//! [`model::TIE_BAND`] of the boundary is decided by that exact score too,
//! so class and probabilities agree.
//!
//! Files are memory-mapped and validated before use, and every failure is
//! an [`Error`] naming the tensor, metadata key or feature and what was
//! expected.
//!
//! ## Example
//!
//! ```
//! use realizar_infer::{ClassicalModel, data};
//!
//! let model = data::demo_model()?; // 784 -> 2 logistic regression
//! let path = std::env::temp_dir().join(format!("realizar-doc-{}.safetensors", std::process::id()));
//! model.save(&path)?;
//! let loaded = ClassicalModel::load(&path)?;
//! std::fs::remove_file(&path).ok();
//!
//! let samples = data::synthetic_mnist(3);
//! let x = samples.sample(1).unwrap();
//! assert_eq!(loaded.predict(x)?, model.predict(x)?);
//! let mut p = [0.0f32; 2];
//! loaded.predict_proba_into(x, &mut p)?;
//! assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
//! assert_eq!(loaded.version(), "1.0.0");
//! # Ok::<(), realizar_infer::Error>(())
//! ```
#![warn(missing_docs)]

pub mod api;
pub mod data;
mod error;
pub mod format;
pub mod model;

pub use error::{Error, Result};
pub use model::{ClassicalModel, FitConfig, LogisticRegression, SoftmaxRegression};
