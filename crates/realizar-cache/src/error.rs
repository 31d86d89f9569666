//! The error type of the crate.

/// What can go wrong when configuring a cache or inserting into it.
///
/// Loader failures are not here: [`get_or_load`](crate::ModelCache::get_or_load)
/// returns them as [`LoadError`](crate::LoadError), generic over the
/// loader's own error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A [`CacheConfig`](crate::CacheConfig) field is out of range.
    #[error("invalid cache config: {field} = {value} ({reason})")]
    InvalidConfig {
        /// The field (`max_entries` or `max_bytes`).
        field: &'static str,
        /// The value given.
        value: usize,
        /// Why it is refused.
        reason: &'static str,
    },
    /// One value weighs more than the whole byte budget, so it cannot be
    /// cached (see [`try_insert`](crate::ModelCache::try_insert)).
    #[error("entry of {bytes} bytes exceeds the cache budget of {max_bytes} bytes")]
    EntryTooLarge {
        /// The value's [`weight_bytes`](crate::Weighted::weight_bytes).
        bytes: usize,
        /// The cache's `max_bytes`.
        max_bytes: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
