//! [`BenchmarkData`]: one benchmark's latency samples and their summary.

use crate::error::{Error, Result};
use realizar_stats::Summary;

/// The samples of one benchmark, in microseconds and in the order they were
/// taken, validated and summarised once.
///
/// Every view in this crate takes a `BenchmarkData`, so none of them has
/// to deal with empty or non-finite input: [`BenchmarkData::new`] turns
/// that into an [`Error`].
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkData {
    name: String,
    latencies_us: Vec<f64>,
    stats: Summary,
}

impl BenchmarkData {
    /// Wraps `latencies_us` (per-operation times in microseconds, in
    /// measurement order) under `name`.
    ///
    /// # Errors
    /// [`Error::Empty`] for no samples, [`Error::TooFewSamples`] for one
    /// (a standard deviation needs two), [`Error::NonFinite`] for NaN or
    /// infinity.
    pub fn new(name: impl Into<String>, latencies_us: Vec<f64>) -> Result<Self> {
        let name = name.into();
        match latencies_us.len() {
            0 => return Err(Error::Empty { name }),
            1 => {
                return Err(Error::TooFewSamples {
                    name,
                    needed: 2,
                    found: 1,
                });
            }
            _ => {}
        }
        if let Some(index) = latencies_us.iter().position(|x| !x.is_finite()) {
            let value = latencies_us[index];
            return Err(Error::NonFinite { name, index, value });
        }
        let stats = Summary::new(&latencies_us)?;
        Ok(Self {
            name,
            latencies_us,
            stats,
        })
    }

    /// The benchmark's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The samples in microseconds, in measurement order.
    pub fn latencies_us(&self) -> &[f64] {
        &self.latencies_us
    }

    /// Their summary: mean, standard deviation, percentiles, the 95%
    /// interval of the mean and outlier counts (all in microseconds).
    pub fn stats(&self) -> &Summary {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(
            BenchmarkData::new("e", vec![]),
            Err(Error::Empty { name }) if name == "e"
        ));
        assert!(matches!(
            BenchmarkData::new("one", vec![1.0]),
            Err(Error::TooFewSamples { found: 1, .. })
        ));
        let err = BenchmarkData::new("n", vec![1.0, f64::NAN, 2.0]).unwrap_err();
        assert!(matches!(err, Error::NonFinite { index: 1, .. }));
        assert_eq!(
            err.to_string(),
            "benchmark \"n\": sample 1 is not finite (NaN)"
        );
        assert!(BenchmarkData::new("i", vec![1.0, f64::INFINITY]).is_err());
    }

    #[test]
    fn stats_are_of_the_samples() {
        let d = BenchmarkData::new("x", vec![3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!(d.name(), "x");
        assert_eq!(d.latencies_us(), &[3.0, 1.0, 2.0, 4.0]);
        assert_eq!(d.stats().n, 4);
        assert_eq!(d.stats().p50, 2.5);
    }
}
