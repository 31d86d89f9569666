//! Standardised effect sizes: Cohen's d and Hedges' g.
//!
//! Both are "second minus first": called as `(control, treatment)` they
//! are positive when the treatment's mean is larger. scipy has no Cohen's
//! d; the fixtures compute these formulas with numpy.

use crate::error::{Result, check_sample};
use crate::sum;

/// Cohen's d: `(mean_b - mean_a) / s_pooled`, with
/// `s_pooled = sqrt(((n_a - 1) var_a + (n_b - 1) var_b) / (n_a + n_b - 2))`
/// and variances with ddof = 1.
///
/// When both samples are constant `s_pooled` is 0 and d is `±inf` (means
/// differ) or NaN (means equal), by IEEE division; no panic.
///
/// # Errors
/// [`crate::Error::TooFewSamples`] if either sample has fewer than two
/// values, [`crate::Error::NonFinite`] for NaN or infinity.
pub fn cohens_d(a: &[f64], b: &[f64]) -> Result<f64> {
    check_sample("a", a, 2)?;
    check_sample("b", b, 2)?;
    Ok(cohens_d_unchecked(a, b))
}

/// Hedges' g: Cohen's d times the small-sample correction
/// `J = 1 - 3 / (4 (n_a + n_b) - 9)` (Hedges & Olkin's approximation of
/// the exact gamma-function factor; they differ by < 1e-3 relative for
/// `n_a + n_b >= 6`). Same sign convention and errors as [`cohens_d`].
///
/// # Errors
/// As [`cohens_d`].
pub fn hedges_g(a: &[f64], b: &[f64]) -> Result<f64> {
    let d = cohens_d(a, b)?;
    Ok(d * hedges_correction(a.len(), b.len()))
}

pub(crate) fn cohens_d_unchecked(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let pooled =
        ((n1 - 1.0) * sum::var_ddof1(a) + (n2 - 1.0) * sum::var_ddof1(b)) / (n1 + n2 - 2.0);
    (sum::mean(b) - sum::mean(a)) / pooled.sqrt()
}

fn hedges_correction(n1: usize, n2: usize) -> f64 {
    1.0 - 3.0 / (4.0 * (n1 + n2) as f64 - 9.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d_and_g_on_a_hand_case() {
        // means 2 and 4, both variances 1 -> d = 2; J = 1 - 3/(24 - 9) = 0.8.
        let a = [1.0, 2.0, 3.0];
        let b = [3.0, 4.0, 5.0];
        assert_eq!(cohens_d(&a, &b).unwrap(), 2.0);
        assert_eq!(cohens_d(&b, &a).unwrap(), -2.0);
        assert!((hedges_g(&a, &b).unwrap() - 1.6).abs() < 1e-15);
    }

    #[test]
    fn constant_samples_do_not_panic() {
        assert_eq!(cohens_d(&[1.0, 1.0], &[2.0, 2.0]).unwrap(), f64::INFINITY);
        assert!(cohens_d(&[1.0, 1.0], &[1.0, 1.0]).unwrap().is_nan());
        assert!(hedges_g(&[1.0], &[1.0, 2.0]).is_err());
    }
}
