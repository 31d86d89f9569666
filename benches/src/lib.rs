//! Shared helpers of realizar's criterion suites (the suites are in `benches/`).
#![warn(missing_docs)]

pub mod text;

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

/// Suite group `membw`: a read-only pass (a sum of squares: matvec only
/// reads its weights; `read` with one stream per thread as a matvec row
/// loop reads, `read2` with two, which this VM's DRAM serves ~15 % faster),
/// and STREAM-style copy (`b = a`) and triad
/// (`a = b + s c`), on arrays of at least twice the last-level cache, with
/// the pool's threads: the memory bandwidth the matvec benches of
/// `tensor_ops` and `quantize` are judged against. Bytes are counted as
/// STREAM does (1, 2 and 3 arrays, no write-allocate traffic).
pub fn membw(c: &mut criterion::Criterion) {
    use criterion::Throughput;
    use rayon::prelude::*;
    use realizar_tensor::parallel;
    use std::hint::black_box;
    use std::time::Duration;
    let n = dram_elements(4);
    let threads = parallel::num_threads();
    let chunk = n.div_ceil(threads);
    let mut g = c.benchmark_group("membw");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Bytes((n * 4) as u64));
    g.bench_function(format!("read/{threads}t"), |bn| {
        let a = random_f32(n, 5);
        let dot = realizar_tensor::kernels::kernels().dot_f32;
        bn.iter(|| {
            // x . x reads each element once (both operands are the same line).
            let s =
                parallel::pool().install(|| a.par_chunks(chunk).map(|x| dot(x, x)).sum::<f32>());
            black_box(s);
        })
    });
    // x_lo . x_hi: two streams per thread, each element read once.
    g.bench_function(format!("read2/{threads}t"), |bn| {
        let a = random_f32(n, 5);
        let dot = realizar_tensor::kernels::kernels().dot_f32;
        bn.iter(|| {
            let s = parallel::pool().install(|| {
                a.par_chunks(chunk)
                    .map(|x| {
                        let (l, r) = x.split_at(x.len() / 2);
                        dot(l, r)
                    })
                    .sum::<f32>()
            });
            black_box(s);
        })
    });
    g.throughput(Throughput::Bytes((2 * n * 4) as u64));
    g.bench_function(format!("copy/{threads}t"), |bn| {
        let a = random_f32(n, 5);
        let mut b = vec![1.0f32; n];
        bn.iter(|| {
            parallel::pool().install(|| {
                b.par_chunks_mut(chunk)
                    .zip(a.par_chunks(chunk))
                    .for_each(|(d, s)| d.copy_from_slice(s))
            });
            black_box(&mut b);
        })
    });
    g.throughput(Throughput::Bytes((3 * n * 4) as u64));
    g.bench_function(format!("triad/{threads}t"), |bn| {
        let a = random_f32(n, 5);
        let cc = random_f32(n, 6);
        let mut out = vec![1.0f32; n];
        bn.iter(|| {
            parallel::pool().install(|| {
                out.par_chunks_mut(chunk)
                    .zip(a.par_chunks(chunk).zip(cc.par_chunks(chunk)))
                    .for_each(|(o, (x, y))| {
                        for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                            *o = x + 3.0 * y;
                        }
                    })
            });
            black_box(&mut out);
        })
    });
    g.finish();
}
