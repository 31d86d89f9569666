//! # realizar-cache
#![warn(missing_docs)]
