//! # realizar-infer
//!
//! Model files, models and the prediction API of realizar.
//!
//! This crate turns a file of weights into answers. Today it holds the
//! classical models the server and the Lambda handler serve: a binary
//! [`LogisticRegression`](model::LogisticRegression) and a multinomial
//! [`SoftmaxRegression`](model::SoftmaxRegression) (the layout of PyTorch's
//! `nn.Linear`), wrapped in [`ClassicalModel`], read from and written to
//! `.safetensors` ([`format::safetensors`]), trained by seeded mini-batch
//! gradient descent, and the JSON request/response types with the
//! functions that answer them ([`api`]).
//!
//! ## Why it is shaped this way
//!
//! A classical model's prediction is one dot product per class, tens of
//! nanoseconds of work, so anything around it shows: prediction allocates
//! nothing, weights sit in 64-byte aligned buffers, the dot product is the
//! SIMD kernel `realizar-tensor` picked for this CPU (one function pointer),
//! a two-class softmax costs one dot product instead of two, and input
//! checks cost nothing on the fast path (a NaN or infinite feature makes the
//! score non-finite; only then are the features scanned to name the bad
//! one). Files are memory-mapped and validated before use, and every failure
//! is an [`Error`] naming the tensor, metadata key or feature and what was
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
