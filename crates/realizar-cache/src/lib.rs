//! # realizar-cache
//!
//! Caches of realizar. Today: [`ModelCache`], the cache a model server
//! keeps its loaded models in.
//!
//! A server answers many requests for few models. Loading a model (parsing
//! and validating a file) costs microseconds to seconds; looking it up must
//! cost next to nothing, from many threads at once, and memory must stay
//! within a budget. So [`ModelCache`] is:
//!
//! - **an LRU keyed by model id**, bounded both by entry count and by bytes
//!   (each value says what it weighs through [`Weighted`]); past either
//!   limit the least recently used entries are evicted;
//! - **read-mostly**: a hit takes no lock. Each thread reads its own
//!   snapshot of the entries, refreshed only after a write (writers take a
//!   mutex and publish a new snapshot), and the only locked instruction is
//!   the `Arc<V>` count of the value handed out. An evicted model lives on
//!   for the requests that still use it, and no longer (snapshots hold it
//!   weakly). The details are in the [`model_cache`] module docs;
//! - **single-flight**: [`ModelCache::get_or_load`] runs one loader per key
//!   however many requests miss it at once; the others wait for that load
//!   and share its value, or its error ([`LoadError`]); a failed or
//!   panicking load is not cached and leaves no waiter hanging;
//! - **observable**: [`CacheMetrics`] (hits, misses, evictions, loads, load
//!   time, hit rate) are atomics read without a lock; each thread counts
//!   its hits and misses in a stripe of its own, so readers on different
//!   cores do not share a counter's cache line.
//!
//! The model type is not known here (this crate sits below
//! `realizar-infer`): anything `Weighted + Send + Sync` can be cached.
//!
//! ```
//! use realizar_cache::{CacheConfig, LoadError, ModelCache, Weighted};
//!
//! #[derive(Debug)]
//! struct Model {
//!     weights: Vec<f32>,
//! }
//! impl Weighted for Model {
//!     fn weight_bytes(&self) -> usize {
//!         self.weights.len() * size_of::<f32>()
//!     }
//! }
//!
//! // Room for two models or 64 KiB, whichever comes first.
//! let cache = ModelCache::new(CacheConfig::new(2, 64 << 10))?;
//!
//! let load = |n: usize| move || Ok::<_, String>(Model { weights: vec![0.5; n] });
//! let a = cache.get_or_load("a".to_string(), load(1000)).unwrap(); // miss: loads
//! let again = cache.get_or_load("a".to_string(), load(1000)).unwrap(); // hit
//! assert!(std::sync::Arc::ptr_eq(&a, &again));
//!
//! cache.get_or_load("b".to_string(), load(1000)).unwrap();
//! cache.get("a"); // "a" is now the most recently used
//! cache.get_or_load("c".to_string(), load(1000)).unwrap(); // evicts "b"
//! assert_eq!(cache.keys(), ["c", "a"]);
//!
//! // A failed load is reported and not cached.
//! let err = cache
//!     .get_or_load("bad".to_string(), || Err::<Model, _>("no such file".to_string()))
//!     .unwrap_err();
//! assert!(matches!(err, LoadError::Failed(ref m) if m == "no such file"));
//! assert!(!cache.contains("bad"));
//!
//! let m = cache.metrics();
//! assert_eq!((m.hits(), m.misses(), m.evictions(), m.loads()), (2, 4, 1, 3));
//! assert_eq!(cache.bytes(), 2 * 4000);
//! # Ok::<(), realizar_cache::Error>(())
//! ```
#![warn(missing_docs)]

mod config;
pub mod error;
mod flight;
pub mod metrics;
pub mod model_cache;

pub use config::CacheConfig;
pub use error::{Error, Result};
pub use flight::LoadError;
pub use metrics::{CacheMetrics, MetricsSnapshot};
pub use model_cache::{DefaultHashBuilder, ModelCache};

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
