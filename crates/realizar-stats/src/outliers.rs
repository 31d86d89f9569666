//! Tukey-fence outlier classification, as criterion reports it.

use crate::sum::percentile_sorted;

/// How many values fall outside Tukey's fences, split the way criterion
/// prints "Found N outliers among M measurements".
///
/// With quartiles `q1`, `q3` (numpy's linear percentiles 25 and 75) and
/// `iqr = q3 - q1`, a value below `q1 - 3 iqr` is *low severe*, else below
/// `q1 - 1.5 iqr` *low mild*; above `q3 + 3 iqr` *high severe*, else
/// above `q3 + 1.5 iqr` *high mild*. Comparisons are strict, so a value on
/// a fence is not an outlier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outliers {
    /// Values below the low severe fence.
    pub low_severe: usize,
    /// Values between the low severe and low mild fences.
    pub low_mild: usize,
    /// Values between the high mild and high severe fences.
    pub high_mild: usize,
    /// Values above the high severe fence.
    pub high_severe: usize,
    /// The four fences: low severe, low mild, high mild, high severe.
    pub fences: [f64; 4],
}

impl Outliers {
    /// Classifies a sorted, non-empty sample.
    pub(crate) fn from_sorted(sorted: &[f64]) -> Self {
        let q1 = percentile_sorted(sorted, 25.0);
        let q3 = percentile_sorted(sorted, 75.0);
        let iqr = q3 - q1;
        let fences = [
            q1 - 3.0 * iqr,
            q1 - 1.5 * iqr,
            q3 + 1.5 * iqr,
            q3 + 3.0 * iqr,
        ];
        let mut out = Self {
            low_severe: 0,
            low_mild: 0,
            high_mild: 0,
            high_severe: 0,
            fences,
        };
        for &x in sorted {
            if x < fences[0] {
                out.low_severe += 1;
            } else if x > fences[3] {
                out.high_severe += 1;
            } else if x < fences[1] {
                out.low_mild += 1;
            } else if x > fences[2] {
                out.high_mild += 1;
            }
        }
        out
    }

    /// All outliers, mild and severe.
    pub fn total(&self) -> usize {
        self.low_severe + self.low_mild + self.high_mild + self.high_severe
    }

    /// Severe outliers on either side.
    pub fn severe(&self) -> usize {
        self.low_severe + self.high_severe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_band() {
        // With the probes q1 = 10, q3 = 13: fences 1, 5.5, 17.5, 22.
        let mut xs: Vec<f64> = (0..40).map(|i| 10.0 + f64::from(i % 4)).collect();
        xs.extend([-50.0, 5.0, 5.5, 17.5, 18.0, 100.0]);
        xs.sort_by(f64::total_cmp);
        let o = Outliers::from_sorted(&xs);
        assert_eq!(
            (o.low_severe, o.low_mild, o.high_mild, o.high_severe),
            (1, 1, 1, 1)
        );
        assert_eq!(o.total(), 4);
        assert_eq!(o.severe(), 2);
    }

    #[test]
    fn constant_sample_has_no_outliers() {
        let o = Outliers::from_sorted(&[3.0; 10]);
        assert_eq!(o.total(), 0);
        assert_eq!(o.fences, [3.0; 4]);
    }
}
