//! Sums, means and variances computed the way numpy computes them.
//!
//! numpy adds float64 arrays with *pairwise summation* (blocks of 128 with
//! eight interleaved accumulators, split in halves above that). Reproducing
//! the exact order of additions makes our means bit-identical to
//! `numpy.mean`, which matters where the result is nearly degenerate: the
//! mean of `[0.1, 0.1, 0.1]` is not `0.1` in numpy, so its "constant" sample
//! has a tiny non-zero variance, and scipy's t statistic is finite there.

/// Block size below which numpy stops splitting (`PW_BLOCKSIZE`).
const BLOCK: usize = 128;

/// Sum of `xs` in numpy's pairwise order (`numpy.sum` of a contiguous
/// float64 array).
pub(crate) fn pairwise_sum(xs: &[f64]) -> f64 {
    0.0 + pairwise(xs)
}

fn pairwise(xs: &[f64]) -> f64 {
    let n = xs.len();
    if n < 8 {
        xs.iter().fold(0.0, |acc, &x| acc + x)
    } else if n <= BLOCK {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&xs[..8]);
        let whole = n - n % 8;
        for chunk in xs[8..whole].chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(chunk) {
                *acc += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &xs[whole..] {
            res += x;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise(&xs[..half]) + pairwise(&xs[half..])
    }
}

/// `numpy.mean(xs)`; NaN for an empty slice.
pub(crate) fn mean(xs: &[f64]) -> f64 {
    pairwise_sum(xs) / xs.len() as f64
}

/// Sum of squared deviations from `center`, in numpy's order.
fn sum_sq_dev(xs: &[f64], center: f64) -> f64 {
    let dev: Vec<f64> = xs
        .iter()
        .map(|&x| {
            let d = x - center;
            d * d
        })
        .collect();
    pairwise_sum(&dev)
}

/// `numpy.var(xs, ddof=1)`: two-pass, sum of squared deviations over n - 1.
pub(crate) fn var_ddof1(xs: &[f64]) -> f64 {
    sum_sq_dev(xs, mean(xs)) / (xs.len() as f64 - 1.0)
}

/// scipy's `_var(x, ddof=1)` as used by `ttest_ind`: the mean of the
/// squared deviations scaled by n / (n - 1). Equal to [`var_ddof1`] up to
/// rounding; kept separate so Welch's test rounds exactly like scipy.
pub(crate) fn var_scipy_ddof1(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    (sum_sq_dev(xs, mean(xs)) / n) * (n / (n - 1.0))
}

/// A sorted copy (ascending; callers have rejected NaN already).
pub(crate) fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// `numpy.percentile(sorted, p)` with the default `method="linear"`, for
/// a non-empty sorted slice and `p` in `[0, 100]` (checked by callers).
///
/// Follows numpy's arithmetic step by step: `q = p / 100`, virtual index
/// `(n - 1) * q`, and its `_lerp`, which interpolates from the upper
/// neighbour when the weight is at least one half.
pub(crate) fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let q = p / 100.0;
    let virtual_index = (n as f64 - 1.0) * q;
    if virtual_index >= n as f64 - 1.0 {
        return sorted[n - 1];
    }
    let prev = virtual_index.floor();
    let gamma = virtual_index - prev;
    // `prev` is in [0, n - 2] here, so both indexes are in bounds.
    let i = prev as usize;
    let (a, b) = (sorted[i], sorted[i + 1]);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// Median of a sorted slice as `numpy.median` computes it (mean of the two
/// middle values for an even length).
pub(crate) fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_small_and_blocked() {
        assert_eq!(pairwise_sum(&[]), 0.0);
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
        let xs: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(pairwise_sum(&xs), 500_500.0);
    }

    #[test]
    fn numpy_mean_of_tenths_is_not_a_tenth() {
        // numpy: np.mean([0.1, 0.1, 0.1]) == 0.10000000000000002
        assert_eq!(mean(&[0.1, 0.1, 0.1]), 0.100_000_000_000_000_02);
        assert!(var_ddof1(&[0.1, 0.1, 0.1]) > 0.0);
        assert_eq!(var_ddof1(&[5.0, 5.0, 5.0]), 0.0);
    }

    #[test]
    fn percentile_linear_matches_numpy_examples() {
        // np.percentile([1, 2, 3, 4], [0, 25, 50, 95, 100])
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&s, 0.0), 1.0);
        assert_eq!(percentile_sorted(&s, 25.0), 1.75);
        assert_eq!(percentile_sorted(&s, 50.0), 2.5);
        assert!((percentile_sorted(&s, 95.0) - 3.85).abs() < 1e-15);
        assert_eq!(percentile_sorted(&s, 100.0), 4.0);
        assert_eq!(percentile_sorted(&[7.0], 30.0), 7.0);
    }

    #[test]
    fn median_even_and_odd() {
        assert_eq!(median_sorted(&[1.0, 2.0, 10.0]), 2.0);
        assert_eq!(median_sorted(&[1.0, 2.0, 4.0, 10.0]), 3.0);
    }
}
