//! The one error type of this crate.

/// What went wrong when a statistic could not be computed.
///
/// Every variant names the sample (`"control"`, `"treatment"`, `"a"`, ...)
/// or the parameter that was at fault, so a caller can print it as is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A sample holds fewer values than the statistic needs (for example
    /// a sample standard deviation needs two).
    #[error("{sample}: needs at least {needed} values, found {found}")]
    TooFewSamples {
        /// Which sample.
        sample: &'static str,
        /// How many values the statistic needs.
        needed: usize,
        /// How many the sample holds.
        found: usize,
    },
    /// A value is NaN or infinite.
    #[error("{sample}: value at index {index} is not finite ({value})")]
    NonFinite {
        /// Which sample.
        sample: &'static str,
        /// Position of the first offending value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A value is zero or negative where a logarithm is taken.
    #[error(
        "{sample}: value at index {index} is not positive ({value}); log-scale analysis needs every value > 0"
    )]
    NonPositive {
        /// Which sample.
        sample: &'static str,
        /// Position of the first offending value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A parameter (confidence level, percentile, alpha, resample count, ...)
    /// is outside its domain.
    #[error("{name} = {value} is out of range: expected {expected}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The domain it must lie in, in words.
        expected: &'static str,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that `sample` has at least `needed` values, all finite.
pub(crate) fn check_sample(sample: &'static str, xs: &[f64], needed: usize) -> Result<()> {
    if xs.len() < needed {
        return Err(Error::TooFewSamples {
            sample,
            needed,
            found: xs.len(),
        });
    }
    match xs.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            sample,
            index,
            value: xs[index],
        }),
        None => Ok(()),
    }
}

/// Checks that a confidence level lies strictly between 0 and 1.
pub(crate) fn check_confidence(confidence: f64) -> Result<()> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "confidence",
            value: confidence,
            expected: "a level strictly between 0 and 1, e.g. 0.95",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_is_reported_before_non_finite() {
        let err = check_sample("a", &[f64::NAN], 2).unwrap_err();
        assert_eq!(
            err,
            Error::TooFewSamples {
                sample: "a",
                needed: 2,
                found: 1
            }
        );
    }

    #[test]
    fn non_finite_names_the_index() {
        let err = check_sample("b", &[1.0, 2.0, f64::INFINITY], 2).unwrap_err();
        assert!(matches!(
            err,
            Error::NonFinite {
                sample: "b",
                index: 2,
                ..
            }
        ));
        assert!(err.to_string().contains("index 2"));
    }

    #[test]
    fn confidence_bounds_are_exclusive() {
        assert!(check_confidence(0.95).is_ok());
        for bad in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert!(check_confidence(bad).is_err(), "{bad}");
        }
    }
}
