//! The exact null distribution of the Mann–Whitney U statistic.
//!
//! Under H0 without ties, the number of arrangements of sizes `m`, `n` with
//! `U = u` is the coefficient of `q^u` in the Gaussian binomial
//! `[m + n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)`.
//! Each factor is applied in turn (multiply by `1 - q^(n+i)`, then divide
//! by `1 - q^i`, a running sum), truncated at the degree we need; every
//! partial product is itself a Gaussian binomial, so the division is exact.
//! Counts are kept in `i128` and fall back to `f64` only if they overflow
//! (sizes far beyond where an exact test is used).

/// `P(U <= k)` for sample sizes `m`, `n` (both >= 1), `k` in `0..=m*n`.
pub(crate) fn cdf(m: usize, n: usize, k: usize) -> f64 {
    let (m, n) = (m.min(n), m.max(n));
    let total = m * n;
    if k >= total {
        return 1.0;
    }
    match counts_i128(m, n, k) {
        Some((counts, all)) => {
            let below: i128 = counts.iter().sum();
            below as f64 / all as f64
        }
        None => {
            let counts = counts_f64(m, n, k);
            let all = binomial_f64(m + n, m);
            counts.iter().sum::<f64>() / all
        }
    }
}

/// Coefficients `0..=k` and `C(m + n, m)`, or `None` on overflow.
fn counts_i128(m: usize, n: usize, k: usize) -> Option<(Vec<i128>, i128)> {
    let mut p = vec![0i128; k + 1];
    p[0] = 1;
    let mut all: i128 = 1;
    for i in 1..=m {
        let up = n + i;
        for u in (up..=k).rev() {
            p[u] = p[u].checked_sub(p[u - up])?;
        }
        for u in i..=k {
            p[u] = p[u].checked_add(p[u - i])?;
        }
        all = all.checked_mul(up as i128)? / i as i128;
    }
    Some((p, all))
}

fn counts_f64(m: usize, n: usize, k: usize) -> Vec<f64> {
    let mut p = vec![0.0f64; k + 1];
    p[0] = 1.0;
    for i in 1..=m {
        let up = n + i;
        for u in (up..=k).rev() {
            p[u] -= p[u - up];
        }
        for u in i..=k {
            p[u] += p[u - i];
        }
    }
    p
}

fn binomial_f64(n: usize, k: usize) -> f64 {
    (1..=k).fold(1.0, |acc, i| acc * (n - k + i) as f64 / i as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_distribution_by_enumeration() {
        // m = 2, n = 2: U counts over 6 arrangements are 1,1,2,1,1.
        let expect = [1.0 / 6.0, 2.0 / 6.0, 4.0 / 6.0, 5.0 / 6.0, 1.0];
        for (k, e) in expect.iter().enumerate() {
            assert!((cdf(2, 2, k) - e).abs() < 1e-15, "k={k}");
        }
    }

    #[test]
    fn symmetric_and_order_free() {
        for k in 0..=15 {
            assert_eq!(cdf(3, 5, k), cdf(5, 3, k));
            let lhs = cdf(3, 5, k);
            let rhs = if k == 15 {
                1.0
            } else {
                1.0 - cdf(3, 5, 14 - k)
            };
            assert!((lhs - rhs).abs() < 1e-15);
        }
    }

    #[test]
    fn float_fallback_agrees_with_integers() {
        let (m, n, k) = (6, 40, 100);
        let (c, all) = counts_i128(m, n, k).unwrap();
        let f = counts_f64(m, n, k);
        for (a, b) in c.iter().zip(&f) {
            assert_eq!(*a as f64, *b);
        }
        assert_eq!(all as f64, binomial_f64(m + n, m));
    }
}
