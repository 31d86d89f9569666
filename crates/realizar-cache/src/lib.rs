//! # realizar-cache
//!
//! Caches of realizar: a concurrent LRU model cache with metrics.
#![warn(missing_docs)]

/// A cached value's size in bytes, which the model cache's byte budget counts.
pub trait Weighted {
    /// Bytes this value holds (weights and other heap data).
    fn weight_bytes(&self) -> usize;
}

impl<T: Weighted + ?Sized> Weighted for std::sync::Arc<T> {
    fn weight_bytes(&self) -> usize {
        (**self).weight_bytes()
    }
}
