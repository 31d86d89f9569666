//! Capacity limits of a [`ModelCache`](crate::ModelCache).

use crate::error::{Error, Result};

/// How much a [`ModelCache`](crate::ModelCache) may hold: at most
/// `max_entries` values and at most `max_bytes` bytes of them (by
/// [`Weighted::weight_bytes`](crate::Weighted::weight_bytes)). Past either
/// limit the least recently used entries are evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Most entries held at once (at least 1).
    pub max_entries: usize,
    /// Most bytes held at once (at least 1).
    pub max_bytes: usize,
}

impl CacheConfig {
    /// Default entry limit: 16 models.
    pub const DEFAULT_MAX_ENTRIES: usize = 16;
    /// Default byte budget: 1 GiB.
    pub const DEFAULT_MAX_BYTES: usize = 1 << 30;

    /// A config with both limits given.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            max_entries,
            max_bytes,
        }
    }

    /// Checks the limits: both must be at least 1.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first field that is 0.
    pub fn validate(&self) -> Result<()> {
        if self.max_entries == 0 {
            return Err(Error::InvalidConfig {
                field: "max_entries",
                value: 0,
                reason: "a cache must hold at least one entry",
            });
        }
        if self.max_bytes == 0 {
            return Err(Error::InvalidConfig {
                field: "max_bytes",
                value: 0,
                reason: "a cache must have a byte budget of at least 1",
            });
        }
        Ok(())
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_ENTRIES, Self::DEFAULT_MAX_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_16_entries_and_one_gib() {
        let c = CacheConfig::default();
        assert_eq!((c.max_entries, c.max_bytes), (16, 1 << 30));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn zero_limits_are_typed_errors() {
        let e = CacheConfig::new(0, 10).validate().unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidConfig {
                field: "max_entries",
                ..
            }
        ));
        let e = CacheConfig::new(3, 0).validate().unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidConfig {
                field: "max_bytes",
                ..
            }
        ));
        assert!(e.to_string().contains("max_bytes = 0"), "{e}");
    }
}
