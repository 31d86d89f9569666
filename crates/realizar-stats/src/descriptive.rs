//! [`Summary`]: the descriptive statistics of one sample.

use crate::ci::{ConfidenceInterval, t_interval};
use crate::error::{Error, Result, check_sample};
use crate::outliers::Outliers;
use crate::sum;

/// Descriptive statistics of a sample, as numpy computes them.
///
/// `mean` and `std_dev` equal `numpy.mean` and `numpy.std(ddof=1)`,
/// percentiles equal `numpy.percentile` with its default linear
/// interpolation, `skewness` equals `scipy.stats.skew` (biased
/// Fisher–Pearson, NaN for a constant sample) and `mean_ci95` equals
/// `scipy.stats.t.interval(0.95, n - 1, mean, std_dev / sqrt(n))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (ddof = 1).
    pub std_dev: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Median (50th percentile).
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Sample skewness g1 = m3 / m2^1.5 (biased; NaN for a constant sample).
    pub skewness: f64,
    /// 95% Student-t confidence interval of the mean.
    pub mean_ci95: ConfidenceInterval,
    /// Tukey-fence outlier counts, classified as criterion prints them.
    pub outliers: Outliers,
    sorted: Vec<f64>,
}

impl Summary {
    /// Summarises `sample`.
    ///
    /// # Errors
    /// [`Error::TooFewSamples`] for fewer than two values (a standard
    /// deviation needs two) and [`Error::NonFinite`] for NaN or infinity.
    pub fn new(sample: &[f64]) -> Result<Self> {
        check_sample("sample", sample, 2)?;
        let sorted = sum::sorted(sample);
        let n = sample.len();
        let mean = sum::mean(sample);
        let std_dev = sum::var_ddof1(sample).sqrt();
        let mean_ci95 = t_interval(mean, std_dev / (n as f64).sqrt(), n as f64 - 1.0, 0.95);
        Ok(Self {
            n,
            mean,
            std_dev,
            min: sorted[0],
            max: sorted[n - 1],
            p50: sum::percentile_sorted(&sorted, 50.0),
            p95: sum::percentile_sorted(&sorted, 95.0),
            p99: sum::percentile_sorted(&sorted, 99.0),
            skewness: skewness(sample, mean),
            mean_ci95,
            outliers: Outliers::from_sorted(&sorted),
            sorted,
        })
    }

    /// The `p`-th percentile, `p` in `[0, 100]`, by numpy's default linear
    /// interpolation.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `p` is outside `[0, 100]` or NaN.
    pub fn percentile(&self, p: f64) -> Result<f64> {
        check_percentile(p)?;
        Ok(sum::percentile_sorted(&self.sorted, p))
    }

    /// Student-t confidence interval of the mean at level `confidence`
    /// (e.g. 0.99).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 < confidence < 1`.
    pub fn ci_mean(&self, confidence: f64) -> Result<ConfidenceInterval> {
        crate::error::check_confidence(confidence)?;
        let se = self.std_dev / (self.n as f64).sqrt();
        Ok(t_interval(self.mean, se, self.n as f64 - 1.0, confidence))
    }

    /// Percentile-bootstrap confidence interval of the median: `resamples`
    /// resamples drawn with replacement by a generator seeded with `seed`,
    /// so the same call always returns the same interval.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `resamples == 0` or a confidence
    /// outside (0, 1).
    pub fn bootstrap_median_ci(
        &self,
        resamples: usize,
        confidence: f64,
        seed: u64,
    ) -> Result<ConfidenceInterval> {
        crate::bootstrap::median_ci(&self.sorted, resamples, confidence, seed)
    }

    /// The values, sorted ascending.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }
}

/// `numpy.percentile(sample, p)` (linear interpolation) of an unsorted
/// sample.
///
/// # Errors
/// [`Error::TooFewSamples`] for an empty sample, [`Error::NonFinite`] for
/// NaN or infinity, [`Error::InvalidParameter`] for `p` outside `[0, 100]`.
pub fn percentile(sample: &[f64], p: f64) -> Result<f64> {
    check_sample("sample", sample, 1)?;
    check_percentile(p)?;
    Ok(sum::percentile_sorted(&sum::sorted(sample), p))
}

fn check_percentile(p: f64) -> Result<()> {
    if (0.0..=100.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "percentile",
            value: p,
            expected: "a percentile in [0, 100]",
        })
    }
}

/// `scipy.stats.skew(sample)` (bias=True), given numpy's mean.
pub(crate) fn skewness(sample: &[f64], mean: f64) -> f64 {
    let dev: Vec<f64> = sample.iter().map(|&x| x - mean).collect();
    let sq: Vec<f64> = dev.iter().map(|d| d * d).collect();
    let cube: Vec<f64> = dev.iter().zip(&sq).map(|(d, s)| s * d).collect();
    let m2 = sum::mean(&sq);
    let m3 = sum::mean(&cube);
    if m2 <= (f64::EPSILON * mean).powi(2) {
        f64::NAN
    } else {
        m3 / m2.powf(1.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_small_sample() {
        let s = Summary::new(&[3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, 2.5);
        assert!((s.std_dev - 1.290_994_448_735_805_6).abs() < 1e-15);
        assert_eq!((s.min, s.max, s.p50), (1.0, 4.0, 2.5));
        assert_eq!(s.percentile(25.0).unwrap(), 1.75);
        assert_eq!(s.skewness, 0.0);
        assert_eq!(s.sorted(), &[1.0, 2.0, 3.0, 4.0]);
        assert!(s.mean_ci95.lower < 2.5 && s.mean_ci95.upper > 2.5);
        let ci99 = s.ci_mean(0.99).unwrap();
        assert!(ci99.lower < s.mean_ci95.lower && ci99.upper > s.mean_ci95.upper);
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(matches!(
            Summary::new(&[]),
            Err(Error::TooFewSamples {
                needed: 2,
                found: 0,
                ..
            })
        ));
        assert!(matches!(
            Summary::new(&[1.0]),
            Err(Error::TooFewSamples {
                needed: 2,
                found: 1,
                ..
            })
        ));
        assert!(matches!(
            Summary::new(&[1.0, f64::NAN]),
            Err(Error::NonFinite { index: 1, .. })
        ));
        let s = Summary::new(&[1.0, 2.0]).unwrap();
        assert!(s.percentile(101.0).is_err());
        assert!(s.percentile(f64::NAN).is_err());
        assert!(s.ci_mean(1.0).is_err());
        assert!(percentile(&[], 50.0).is_err());
        assert_eq!(percentile(&[2.0, 1.0], 50.0).unwrap(), 1.5);
    }

    #[test]
    fn constant_sample_has_zero_spread_and_nan_skew() {
        let s = Summary::new(&[5.0; 6]).unwrap();
        assert_eq!(s.std_dev, 0.0);
        assert!(s.skewness.is_nan());
        assert_eq!((s.mean_ci95.lower, s.mean_ci95.upper), (5.0, 5.0));
    }
}
