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

/// Bytes of the last-level cache (Linux sysfs; 64 MiB when unknown), so the
/// memory-bandwidth benches can size their arrays to miss it.
pub fn last_level_cache_bytes() -> usize {
    let mut best = 0usize;
    for idx in 0..8 {
        let p = format!("/sys/devices/system/cpu/cpu0/cache/index{idx}/size");
        let Ok(s) = std::fs::read_to_string(p) else {
            continue;
        };
        let s = s.trim();
        let (num, mul) = match s.strip_suffix('K') {
            Some(n) => (n, 1usize << 10),
            None => match s.strip_suffix('M') {
                Some(n) => (n, 1 << 20),
                None => (s, 1),
            },
        };
        if let Ok(v) = num.parse::<usize>() {
            best = best.max(v * mul);
        }
    }
    if best == 0 { 64 << 20 } else { best }
}

/// Elements per array for a bandwidth test that must miss the caches:
/// each array at least twice the last-level cache, and at least 256 MiB.
pub fn dram_elements(bytes_per_element: usize) -> usize {
    (2 * last_level_cache_bytes()).max(256 << 20) / bytes_per_element
}
