//! Small numeric helpers of training: a stable sigmoid and a seeded
//! generator for shuffling.

/// `1 / (1 + exp(-z))` without overflow for any `z`: for `z < 0` it is
/// computed as `exp(z) / (1 + exp(z))`, so `exp` only sees non-positive
/// arguments. NaN in, NaN out.
#[inline]
pub fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// SplitMix64: a tiny, well-mixed, seeded generator (Steele, Lea and
/// Flood, 2014), enough to shuffle training data reproducibly.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`), by Lemire's multiply-shift (the bias is
    /// below 2^-32 for the sizes shuffled here).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_and_symmetric() {
        for z in [
            -1e30f32,
            -100.0,
            -20.0,
            -1.0,
            0.0,
            1.0,
            20.0,
            100.0,
            1e30,
            f32::MAX,
        ] {
            let p = sigmoid(z);
            assert!((0.0..=1.0).contains(&p), "{z} -> {p}");
            assert!((p + sigmoid(-z) - 1.0).abs() <= 2.0 * f32::EPSILON, "{z}");
        }
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(f32::INFINITY), 1.0);
        assert_eq!(sigmoid(f32::NEG_INFINITY), 0.0);
        assert!(sigmoid(f32::NAN).is_nan());
        // Tiny probabilities keep their precision (not 1 - 1 = 0).
        assert!(sigmoid(-30.0) > 0.0);
        assert!((sigmoid(2.0) - 0.880_797_1).abs() < 1e-7);
    }

    #[test]
    fn splitmix_reference_values_and_shuffle() {
        // First outputs for seed 1234567 from the reference C implementation.
        let mut g = SplitMix64::new(1_234_567);
        assert_eq!(g.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(g.next_u64(), 3_203_168_211_198_807_973);
        let mut a: Vec<u32> = (0..100).collect();
        SplitMix64::new(42).shuffle(&mut a);
        let mut b: Vec<u32> = (0..100).collect();
        SplitMix64::new(42).shuffle(&mut b);
        assert_eq!(a, b);
        assert_ne!(a, (0..100).collect::<Vec<_>>());
        a.sort_unstable();
        assert_eq!(a, (0..100).collect::<Vec<_>>());
    }
}
