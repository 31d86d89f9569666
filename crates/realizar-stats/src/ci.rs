//! [`ConfidenceInterval`] and the Student-t interval behind it.

use crate::dist::t_quantile;

/// A two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfidenceInterval {
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl ConfidenceInterval {
    /// Whether `x` lies inside the closed interval.
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }

    /// `upper - lower`.
    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }
}

/// `center + se * t_{df}` at the two tails `(1 - level) / 2`, rounded as
/// scipy's `t.interval(level, df, loc=center, scale=se)` and
/// `TtestResult.confidence_interval(level)` round it. `level` must already
/// be checked.
pub(crate) fn t_interval(center: f64, se: f64, df: f64, level: f64) -> ConfidenceInterval {
    let tail = (1.0 - level) / 2.0;
    let lo = t_quantile(tail, df);
    let hi = t_quantile(1.0 - tail, df);
    ConfidenceInterval {
        level,
        lower: lo * se + center,
        upper: hi * se + center,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_interval_is_symmetric_and_matches_scipy() {
        // scipy: t.interval(0.95, 9, loc=10, scale=2) = (5.47568567440359, 14.52431432559641)
        let ci = t_interval(10.0, 2.0, 9.0, 0.95);
        assert!((ci.lower - 5.475_685_674_403_589).abs() < 1e-12);
        assert!((ci.upper - 14.524_314_325_596_41).abs() < 1e-12);
        assert!(ci.contains(10.0) && !ci.contains(15.0));
        assert!((ci.width() - 2.0 * 2.0 * 2.262_157_162_798_205).abs() < 1e-12);
    }
}
