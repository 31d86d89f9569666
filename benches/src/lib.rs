//! Shared helpers of realizar's criterion suites (the suites are in `benches/`).
#![warn(missing_docs)]

pub mod stream;
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

/// `x` quantized to Q4_0 blocks (`x.len()` a multiple of 32).
pub fn quantize_q4_0(x: &[f32]) -> Vec<realizar_quant::BlockQ4_0> {
    let mut out = vec![Default::default(); x.len() / realizar_quant::QK];
    realizar_quant::quantize_row_q4_0(x, &mut out).expect("a multiple of 32 values");
    out
}

/// `x` quantized to Q8_0 blocks (`x.len()` a multiple of 32).
pub fn quantize_q8_0(x: &[f32]) -> Vec<realizar_quant::BlockQ8_0> {
    let mut out = vec![Default::default(); x.len() / realizar_quant::QK];
    realizar_quant::quantize_row_q8_0(x, &mut out).expect("a multiple of 32 values");
    out
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
    use realizar_tensor::parallel;
    use std::hint::black_box;
    use std::time::Duration;
    let n = dram_elements(4);
    let threads = parallel::num_threads();
    let bytes = |arrays: usize| Throughput::Bytes((arrays * n * 4) as u64);
    let mut g = c.benchmark_group("membw");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    // Arrays are made when a bench first runs (not when a filter skips
    // them all: each is at least twice the last-level cache).
    let a = std::cell::OnceCell::new();
    let a = || a.get_or_init(|| random_f32(n, 5));
    let out = std::cell::RefCell::new(Vec::new());
    let out = || {
        let mut o = out.borrow_mut();
        if o.is_empty() {
            *o = vec![1.0f32; n];
        }
        o
    };
    g.throughput(bytes(stream::READ_ARRAYS));
    g.bench_function(format!("read/{threads}t"), |bn| {
        let a = a();
        bn.iter(|| black_box(stream::read(a)))
    });
    g.bench_function(format!("read2/{threads}t"), |bn| {
        let a = a();
        bn.iter(|| black_box(stream::read2(a)))
    });
    g.bench_function(format!("read8/{threads}t"), |bn| {
        let a = a();
        bn.iter(|| black_box(stream::read8(a)))
    });
    g.throughput(bytes(stream::COPY_ARRAYS));
    g.bench_function(format!("copy/{threads}t"), |bn| {
        let (a, mut o) = (a(), out());
        bn.iter(|| {
            stream::copy(a, &mut o);
            black_box(&mut *o);
        })
    });
    g.throughput(bytes(stream::TRIAD_ARRAYS));
    g.bench_function(format!("triad/{threads}t"), |bn| {
        let (a, mut o) = (a(), out());
        let cc = random_f32(n, 6);
        bn.iter(|| {
            stream::triad(a, &cc, &mut o);
            black_box(&mut *o);
        })
    });
    g.finish();
}
