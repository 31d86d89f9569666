//! # realizar-stats
//!
//! Benchmark statistics (work in progress).
#![warn(missing_docs)]
