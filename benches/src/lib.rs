//! Shared helpers of realizar's criterion suites (the suites are in `benches/`).
#![warn(missing_docs)]

/// Deterministic pseudo-random `f32`s in `[-1, 1)` (xorshift), so every run
/// and every peer measures the same data.
pub fn random_f32(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}
