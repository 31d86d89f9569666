//! # realizar-lambda
#![warn(missing_docs)]
