//! Ratio of geometric means by Welch's test on logarithms.

use crate::ci::ConfidenceInterval;
use crate::error::{Error, Result, check_confidence, check_sample};
use crate::welch::{WelchResult, welch_unchecked};

/// The outcome of [`log_ratio`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRatio {
    /// `geomean(treatment) / geomean(control)`; 0.8 means 20% smaller.
    pub ratio: f64,
    /// Confidence interval of `ratio`: the Welch interval of the mean
    /// difference of logs, exponentiated (not symmetric around `ratio`).
    pub ci: ConfidenceInterval,
    /// Welch's test of `ln(treatment)` against `ln(control)`; its
    /// `mean_diff` is `ln(ratio)` and its `p_value` the test's p-value.
    pub welch: WelchResult,
}

/// Compares two positive samples on the log scale, where multiplicative
/// effects (and right-skewed latencies) become additive and roughly
/// symmetric.
///
/// Equals `exp` of `scipy.stats.ttest_ind(log(treatment), log(control),
/// equal_var=False)`'s estimate and `confidence_interval(confidence)`.
///
/// # Errors
/// [`Error::TooFewSamples`] for fewer than two values in a sample,
/// [`Error::NonFinite`], [`Error::NonPositive`] for a value `<= 0`, and
/// [`Error::InvalidParameter`] unless `0 < confidence < 1`.
pub fn log_ratio(control: &[f64], treatment: &[f64], confidence: f64) -> Result<LogRatio> {
    check_sample("control", control, 2)?;
    check_sample("treatment", treatment, 2)?;
    check_positive("control", control)?;
    check_positive("treatment", treatment)?;
    check_confidence(confidence)?;
    Ok(log_ratio_unchecked(control, treatment, confidence))
}

pub(crate) fn log_ratio_unchecked(control: &[f64], treatment: &[f64], level: f64) -> LogRatio {
    let lc: Vec<f64> = control.iter().map(|x| x.ln()).collect();
    let lt: Vec<f64> = treatment.iter().map(|x| x.ln()).collect();
    let welch = welch_unchecked(&lt, &lc);
    let ci = crate::ci::t_interval(welch.mean_diff, welch.std_err, welch.df, level);
    LogRatio {
        ratio: welch.mean_diff.exp(),
        ci: ConfidenceInterval {
            level,
            lower: ci.lower.exp(),
            upper: ci.upper.exp(),
        },
        welch,
    }
}

pub(crate) fn check_positive(sample: &'static str, xs: &[f64]) -> Result<()> {
    match xs.iter().position(|&x| x <= 0.0) {
        Some(index) => Err(Error::NonPositive {
            sample,
            index,
            value: xs[index],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_gives_ratio_one_half() {
        let c = [10.0, 20.0, 40.0, 80.0];
        let t: Vec<f64> = c.iter().map(|x| x / 2.0).collect();
        let r = log_ratio(&c, &t, 0.95).unwrap();
        assert!((r.ratio - 0.5).abs() < 1e-15);
        assert!(r.ci.contains(0.5));
        assert!(r.ci.lower > 0.0);
        assert!(r.welch.t < 0.0);
    }

    #[test]
    fn rejects_non_positive_and_bad_levels() {
        assert!(matches!(
            log_ratio(&[1.0, 2.0], &[1.0, 0.0], 0.95),
            Err(Error::NonPositive {
                sample: "treatment",
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            log_ratio(&[-1.0, 2.0], &[1.0, 3.0], 0.95),
            Err(Error::NonPositive {
                sample: "control",
                index: 0,
                ..
            })
        ));
        assert!(log_ratio(&[1.0, 2.0], &[1.0, 3.0], 1.0).is_err());
        assert!(log_ratio(&[1.0], &[1.0, 3.0], 0.9).is_err());
    }
}
