//! Welch's unequal-variances t-test.

use crate::ci::{ConfidenceInterval, t_interval};
use crate::dist::t_two_sided_p;
use crate::error::{Result, check_confidence, check_sample};
use crate::sum;

/// The outcome of [`welch_t_test`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchResult {
    /// `(mean_a - mean_b) / sqrt(var_a / n_a + var_b / n_b)`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom (1 when both variances are
    /// zero, as scipy sets it).
    pub df: f64,
    /// Two-sided p-value from Student's t with `df` degrees of freedom.
    pub p_value: f64,
    /// `mean_a - mean_b`.
    pub mean_diff: f64,
    /// Standard error of `mean_diff`.
    pub std_err: f64,
}

impl WelchResult {
    /// Confidence interval of `mean_a - mean_b`
    /// (scipy's `TtestResult.confidence_interval(confidence)`).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] unless `0 < confidence < 1`.
    pub fn ci(&self, confidence: f64) -> Result<ConfidenceInterval> {
        check_confidence(confidence)?;
        Ok(t_interval(
            self.mean_diff,
            self.std_err,
            self.df,
            confidence,
        ))
    }
}

/// Welch's t-test of `a` against `b`, two-sided; equals
/// `scipy.stats.ttest_ind(a, b, equal_var=False)`.
///
/// Degenerate cases follow scipy: if both samples have zero variance the
/// standard error is 0, `df` is set to 1 and `t` is `±inf` (p = 0) when
/// the means differ, NaN (p NaN) when they are equal. Note that numpy's
/// mean of a repeated non-representable value (e.g. `[0.1; 3]`) is not
/// exactly that value, so such a sample has a tiny non-zero variance in
/// scipy and here alike.
///
/// # Errors
/// [`crate::Error::TooFewSamples`] if either sample has fewer than two
/// values, [`crate::Error::NonFinite`] for NaN or infinity.
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Result<WelchResult> {
    check_sample("a", a, 2)?;
    check_sample("b", b, 2)?;
    Ok(welch_unchecked(a, b))
}

/// Welch's test on validated samples of length >= 2.
pub(crate) fn welch_unchecked(a: &[f64], b: &[f64]) -> WelchResult {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let vn1 = sum::var_scipy_ddof1(a) / n1;
    let vn2 = sum::var_scipy_ddof1(b) / n2;
    let mut df = (vn1 + vn2).powi(2) / (vn1.powi(2) / (n1 - 1.0) + vn2.powi(2) / (n2 - 1.0));
    if df.is_nan() {
        df = 1.0;
    }
    let std_err = (vn1 + vn2).sqrt();
    let mean_diff = sum::mean(a) - sum::mean(b);
    let t = mean_diff / std_err;
    WelchResult {
        t,
        df,
        p_value: t_two_sided_p(t, df),
        mean_diff,
        std_err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn matches_scipy_on_a_small_case() {
        // scipy.stats.ttest_ind([1, 2, 3, 4], [2, 4, 6, 8, 10], equal_var=False)
        // statistic=-2.2514363231593695, pvalue=0.06913359319239237, df=5.5208
        let r = welch_t_test(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0, 10.0]).unwrap();
        assert!((r.t - -2.251_436_323_159_369_5).abs() < 1e-12, "{r:?}");
        assert!((r.p_value - 0.069_133_593_192_392_37).abs() < 1e-9, "{r:?}");
        let ci = r.ci(0.95).unwrap();
        assert!(ci.contains(r.mean_diff));
    }

    #[test]
    fn zero_variance_like_scipy() {
        let r = welch_t_test(&[5.0, 5.0, 5.0], &[5.0, 5.0]).unwrap();
        assert!(r.t.is_nan() && r.p_value.is_nan());
        assert_eq!(r.df, 1.0);
        let r = welch_t_test(&[5.0, 5.0, 5.0], &[7.0, 7.0]).unwrap();
        assert_eq!((r.t, r.p_value, r.df), (f64::NEG_INFINITY, 0.0, 1.0));
        // One constant sample: df = n_other - 1.
        let r = welch_t_test(&[5.0, 5.0, 5.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((r.df - 3.0).abs() < 1e-12);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            welch_t_test(&[1.0], &[1.0, 2.0]),
            Err(Error::TooFewSamples {
                sample: "a",
                needed: 2,
                found: 1
            })
        ));
        assert!(matches!(
            welch_t_test(&[1.0, 2.0], &[1.0, f64::NEG_INFINITY]),
            Err(Error::NonFinite {
                sample: "b",
                index: 1,
                ..
            })
        ));
    }
}
