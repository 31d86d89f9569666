//! Model file formats.
//!
//! [`safetensors`] reads and writes the `.safetensors` files of classical
//! models: header and offsets validated against the file length before any
//! tensor is touched, every failure a typed [`Error`](crate::Error) naming
//! the tensor or key.

pub mod safetensors;
