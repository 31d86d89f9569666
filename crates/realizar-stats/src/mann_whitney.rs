//! The Mann–Whitney U test (Wilcoxon rank-sum), two-sided.

use crate::dist::normal_sf;
use crate::error::{Result, check_sample};
use crate::{mwu_exact, sum};

/// How the p-value of [`mann_whitney_u`] was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MwuMethod {
    /// From the exact null distribution of U (no ties, a sample of <= 8).
    Exact,
    /// From the normal approximation with tie correction and continuity
    /// correction.
    Asymptotic,
}

/// The outcome of [`mann_whitney_u`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitneyResult {
    /// U of the first sample: the number of pairs `(a_i, b_j)` with
    /// `a_i > b_j`, ties counting one half (scipy's `statistic`).
    pub u_statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Rank-biserial correlation `r = 1 - 2 U / (n_a n_b)`
    /// `= P(b > a) - P(a > b)`: positive when the *second* sample tends to
    /// be larger, in [-1, 1]. With `(control, treatment)` it is
    /// "treatment minus control", like [`crate::cohens_d`].
    pub effect_size: f64,
    /// Standardised statistic scipy uses for the asymptotic p-value:
    /// `(max(U_a, U_b) - n_a n_b / 2 - 0.5) / sigma` with the tie-corrected
    /// sigma (never negative beyond `-0.5 / sigma`; the direction is in
    /// `effect_size`). NaN when `method` is [`MwuMethod::Exact`].
    pub z: f64,
    /// Exact or asymptotic.
    pub method: MwuMethod,
}

/// Mann–Whitney U test of `a` against `b`; equals
/// `scipy.stats.mannwhitneyu(a, b, use_continuity=True,
/// alternative="two-sided", method="auto")`.
///
/// Ties get average ranks. `method="auto"` in scipy 1.17 (checked in its
/// source, `_mwu_choose_method`) is: *exact* when at least one sample has
/// at most 8 values **and** the pooled data have no ties; otherwise
/// *asymptotic*. The exact p-value is `2 P(U >= max(U_a, U_b))`; the
/// asymptotic one is `2 P(Z >= z)` for `z` above. Both are clipped to 1.
///
/// If every value is tied, sigma is 0, `z` is `-inf` and p is 1, as in
/// scipy.
///
/// # Errors
/// [`crate::Error::TooFewSamples`] for an empty sample,
/// [`crate::Error::NonFinite`] for NaN or infinity.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Result<MannWhitneyResult> {
    check_sample("a", a, 1)?;
    check_sample("b", b, 1)?;
    Ok(mwu_unchecked(a, b))
}

pub(crate) fn mwu_unchecked(a: &[f64], b: &[f64]) -> MannWhitneyResult {
    let (n1, n2) = (a.len(), b.len());
    let (ranks, tie_sizes) = average_ranks(a.iter().chain(b).copied());
    let r1 = sum::pairwise_sum(&ranks[..n1]);
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u1 = r1 - f1 * (f1 + 1.0) / 2.0;
    let u2 = f1 * f2 - u1;
    let u = u1.max(u2);
    let effect_size = 1.0 - 2.0 * u1 / (f1 * f2);

    let exact = (n1 <= 8 || n2 <= 8) && tie_sizes.is_empty();
    let (p, z, method) = if exact {
        // No ties: U is an integer in [n1 n2 / 2, n1 n2].
        let k = (f1 * f2 - u) as usize;
        let p = 2.0 * mwu_exact::cdf(n1, n2, k);
        (p, f64::NAN, MwuMethod::Exact)
    } else {
        let z = asymptotic_z(u, f1, f2, &tie_sizes);
        (2.0 * normal_sf(z), z, MwuMethod::Asymptotic)
    };
    MannWhitneyResult {
        u_statistic: u1,
        p_value: p.clamp(0.0, 1.0),
        effect_size,
        z,
        method,
    }
}

/// scipy's `_get_mwu_z` with continuity correction.
fn asymptotic_z(u: f64, n1: f64, n2: f64, tie_sizes: &[f64]) -> f64 {
    let mu = n1 * n2 / 2.0;
    let n = n1 + n2;
    let tie_terms: Vec<f64> = tie_sizes.iter().map(|t| t.powi(3) - t).collect();
    let tie_term = sum::pairwise_sum(&tie_terms);
    let s = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    (u - mu - 0.5) / s
}

/// Average (1-based) ranks in input order, and the sizes of tie groups
/// larger than one.
pub(crate) fn average_ranks(values: impl Iterator<Item = f64>) -> (Vec<f64>, Vec<f64>) {
    let values: Vec<f64> = values.collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        // `==` rather than total_cmp so that -0.0 and 0.0 tie, as in numpy.
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        if end - start > 1 {
            ties.push((end - start) as f64);
        }
        start = end;
    }
    (ranks, ties)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn ranks_average_ties() {
        let (r, t) = average_ranks([3.0, 1.0, 3.0, 2.0, -0.0, 0.0].into_iter());
        assert_eq!(r, vec![5.5, 3.0, 5.5, 4.0, 1.5, 1.5]);
        assert_eq!(t, vec![2.0, 2.0]);
    }

    #[test]
    fn exact_small_case_matches_scipy() {
        // scipy: mannwhitneyu([1, 2, 3], [4, 5, 6, 7]) -> U=0, p=0.05714285714285714
        let r = mann_whitney_u(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0, 7.0]).unwrap();
        assert_eq!(r.u_statistic, 0.0);
        assert!((r.p_value - 0.057_142_857_142_857_14).abs() < 1e-15);
        assert_eq!(r.method, MwuMethod::Exact);
        assert_eq!(r.effect_size, 1.0);
        assert!(r.z.is_nan());
    }

    #[test]
    fn ties_force_the_asymptotic_path() {
        // scipy: mannwhitneyu([1, 2, 2], [2, 3, 4]) -> U=1, p=0.16415972847851523
        let r = mann_whitney_u(&[1.0, 2.0, 2.0], &[2.0, 3.0, 4.0]).unwrap();
        assert_eq!(r.method, MwuMethod::Asymptotic);
        assert_eq!(r.u_statistic, 1.0);
        assert!(
            (r.p_value - 0.164_159_728_478_515_23).abs() < 1e-12,
            "{r:?}"
        );
    }

    #[test]
    fn all_tied_gives_p_one() {
        let r = mann_whitney_u(&[2.0; 4], &[2.0; 5]).unwrap();
        assert_eq!(r.p_value, 1.0);
        assert_eq!(r.z, f64::NEG_INFINITY);
        assert_eq!(r.effect_size, 0.0);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            mann_whitney_u(&[], &[1.0]),
            Err(Error::TooFewSamples {
                sample: "a",
                needed: 1,
                found: 0
            })
        ));
        assert!(matches!(
            mann_whitney_u(&[1.0], &[f64::NAN]),
            Err(Error::NonFinite {
                sample: "b",
                index: 0,
                ..
            })
        ));
    }
}
