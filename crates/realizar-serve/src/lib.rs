//! # realizar-serve
#![warn(missing_docs)]
