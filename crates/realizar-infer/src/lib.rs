//! # realizar-infer
//!
//! Model files, models and the prediction API of realizar.
#![warn(missing_docs)]

pub mod api;
