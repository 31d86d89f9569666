//! Seeded, reproducible latency samples for demonstrations and tests.

use crate::data::BenchmarkData;
use crate::error::Result;

/// SplitMix64: small, fast and identical on every platform.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1): never 0, so its logarithm is finite.
    fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// `n` log-normal latencies in microseconds with median `median_us` and
/// log-scale standard deviation `sigma` (0.1 is a tight benchmark, 0.5 a
/// noisy one), drawn from a generator seeded with `seed` (Box–Muller on
/// SplitMix64): the same arguments always give the same samples.
///
/// ```
/// use realizar_viz::demo::lognormal_us;
/// let a = lognormal_us(1000, 50.0, 0.2, 7);
/// assert_eq!(a, lognormal_us(1000, 50.0, 0.2, 7));
/// assert!(a.iter().all(|x| *x > 0.0));
/// ```
pub fn lognormal_us(n: usize, median_us: f64, sigma: f64, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    let mu = median_us.ln();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let (u1, u2) = (rng.next_open01(), rng.next_open01());
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        for z in [r * theta.cos(), r * theta.sin()] {
            if out.len() < n {
                out.push((mu + sigma * z).exp());
            }
        }
    }
    out
}

/// The demonstration set of `realizar viz`: four benchmarks of different
/// sizes and spreads (so every time unit and a heavy tail appear), each
/// with `samples` log-normal latencies from `seed`, the first few percent
/// slowed by a fading warm-up (up to +40%) as real runs are.
///
/// # Errors
/// [`crate::Error::Empty`] or [`crate::Error::TooFewSamples`] for
/// `samples < 2`.
pub fn demo_benchmarks(samples: usize, seed: u64) -> Result<Vec<BenchmarkData>> {
    let specs: [(&str, f64, f64); 4] = [
        ("tensor_ops/matvec/bf16/4096x4096/1t", 1_150.0, 0.06),
        ("tensor_ops/matvec/f32/4096x4096/1t", 2_210.0, 0.08),
        ("tokenizer/bpe_encode", 38.5, 0.25),
        ("quantize/vec_dot/q4_0/1024", 0.412, 0.12),
    ];
    specs
        .iter()
        .enumerate()
        .map(|(i, (name, median, sigma))| {
            let s = seed
                .wrapping_add(i as u64)
                .wrapping_mul(0x2545_F491_4F6C_DD1D);
            let tau = (samples as f64 * 0.03).max(1.0);
            let xs = lognormal_us(samples, *median, *sigma, s)
                .into_iter()
                .enumerate()
                .map(|(k, x)| x * (1.0 + 0.4 * (-(k as f64) / tau).exp()))
                .collect();
            BenchmarkData::new(*name, xs)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_has_the_asked_median_and_spread() {
        let x = lognormal_us(20_000, 100.0, 0.2, 1);
        let d = BenchmarkData::new("x", x).unwrap();
        let s = d.stats();
        assert!((s.p50 / 100.0 - 1.0).abs() < 0.01, "{}", s.p50);
        // For a log-normal, p95 / p50 = exp(1.645 sigma).
        let r = s.p95 / s.p50;
        assert!((r.ln() / 1.6449 - 0.2).abs() < 0.01, "{r}");
        assert_ne!(lognormal_us(10, 1.0, 0.1, 1), lognormal_us(10, 1.0, 0.1, 2));
        assert_eq!(lognormal_us(3, 1.0, 0.1, 1).len(), 3);
    }

    #[test]
    fn demo_set_is_stable() {
        let a = demo_benchmarks(50, 42).unwrap();
        assert_eq!(a.len(), 4);
        assert_eq!(a, demo_benchmarks(50, 42).unwrap());
        assert!(demo_benchmarks(1, 42).is_err());
    }
}
