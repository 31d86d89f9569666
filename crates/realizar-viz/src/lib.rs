//! # realizar-viz
//!
//! Work in progress.
#![warn(missing_docs)]
