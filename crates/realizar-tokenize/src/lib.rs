//! # realizar-tokenize
//!
//! Work in progress.
#![warn(missing_docs)]
