//! Seeded percentile bootstrap.
//!
//! The generator is xoshiro256** seeded through SplitMix64 (both by
//! Blackman and Vigna), written out here so that the crate needs no `rand`
//! and a seed gives the same interval on every platform and release.
//! Indexes are drawn without modulo bias (Lemire's multiply-and-reject).

use crate::ci::ConfidenceInterval;
use crate::error::{Error, Result, check_confidence};
use crate::sum;

/// xoshiro256**, seeded from a `u64` by SplitMix64.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform index in `0..n` (`n > 0`), without modulo bias.
    pub(crate) fn index(&mut self, n: usize) -> usize {
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }
}

/// Fills `out` with a resample (with replacement) of `xs` and returns its
/// median.
pub(crate) fn resampled_median(rng: &mut Rng, xs: &[f64], out: &mut Vec<f64>) -> f64 {
    out.clear();
    out.extend((0..xs.len()).map(|_| xs[rng.index(xs.len())]));
    let n = out.len();
    let mid = n / 2;
    let (left, &mut upper, _) = out.select_nth_unstable_by(mid, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// Percentile interval of the bootstrap distribution `stats` (sorted in
/// place), at the tails `(1 - level) / 2`, by numpy's linear percentile.
pub(crate) fn percentile_interval(stats: &mut [f64], level: f64) -> ConfidenceInterval {
    stats.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0 * 100.0;
    ConfidenceInterval {
        level,
        lower: sum::percentile_sorted(stats, tail),
        upper: sum::percentile_sorted(stats, 100.0 - tail),
    }
}

pub(crate) fn check_resamples(resamples: usize) -> Result<()> {
    if resamples == 0 {
        return Err(Error::InvalidParameter {
            name: "resamples",
            value: 0.0,
            expected: "at least 1 bootstrap resample (thousands for a stable interval)",
        });
    }
    Ok(())
}

/// Percentile-bootstrap interval of the median of `xs` (non-empty).
pub(crate) fn median_ci(
    xs: &[f64],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<ConfidenceInterval> {
    check_resamples(resamples)?;
    check_confidence(level)?;
    let mut rng = Rng::new(seed);
    let mut buf = Vec::with_capacity(xs.len());
    let mut medians: Vec<f64> = (0..resamples)
        .map(|_| resampled_median(&mut rng, xs, &mut buf))
        .collect();
    Ok(percentile_interval(&mut medians, level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_seeded_xoshiro_reference_values() {
        // SplitMix64 from seed 0 gives 0xE220A8397B1DCDAF first.
        let mut r = Rng::new(0);
        assert_eq!(r.s[0], 0xE220_A839_7B1D_CDAF);
        let a = r.next_u64();
        let mut r2 = Rng::new(0);
        assert_eq!(a, r2.next_u64());
        assert_ne!(Rng::new(1).next_u64(), a);
    }

    #[test]
    fn index_is_in_range_and_covers_it() {
        let mut r = Rng::new(7);
        let mut seen = [false; 5];
        for _ in 0..200 {
            seen[r.index(5)] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(r.index(1), 0);
    }

    #[test]
    fn median_ci_is_reproducible_and_sane() {
        let xs: Vec<f64> = (1..=101).map(f64::from).collect();
        let a = median_ci(&xs, 2000, 0.95, 42).unwrap();
        let b = median_ci(&xs, 2000, 0.95, 42).unwrap();
        assert_eq!(a, b);
        assert!(a.contains(51.0), "{a:?}");
        assert!(a.lower > 35.0 && a.upper < 67.0, "{a:?}");
        assert_ne!(median_ci(&xs, 2000, 0.95, 43).unwrap(), a);
    }

    #[test]
    fn median_of_even_resample_averages_the_middle() {
        // A single value resampled is always itself.
        let mut r = Rng::new(3);
        let mut buf = Vec::new();
        assert_eq!(resampled_median(&mut r, &[2.0, 2.0], &mut buf), 2.0);
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(median_ci(&[1.0, 2.0], 0, 0.95, 1).is_err());
        assert!(median_ci(&[1.0, 2.0], 10, 0.0, 1).is_err());
    }
}
