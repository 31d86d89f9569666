//! Suite `cache`: the model cache of realizar-cache (`ModelCache`).
//!
//! Run: `cargo bench -p realizar-benches --bench cache` (or
//! `cargo xtask bench cache`; add a filter such as `-- concurrent`).
//!
//! The cached values are realizar-infer's `ClassicalModel`s: the demo
//! logistic regression 784 -> 2 (`realizar_infer::data::demo_model`),
//! loaded by `ClassicalModel::from_safetensors_bytes` from the bytes of its
//! `.safetensors` file held in memory (parse, validate, copy into aligned
//! buffers), keyed by `String` model ids as a server keys them:
//!
//! - `cache_hit`: `get` of a resident model in a cache of 16 (hash the id,
//!   version check, probe the thread's snapshot, `Arc` up, hit counter,
//!   and the caller's `Arc` drop);
//! - `cache_miss_with_load`: `get_or_load` of an absent id in a full cache:
//!   miss, load the model from its bytes, insert, evict the LRU;
//! - `metrics_access`: `metrics().hit_rate()` (sums the striped counters);
//! - `eviction`: `insert` of a new id into a full cache (LRU scan, evict,
//!   new snapshot);
//! - `concurrent/{1,2,4}`: that many threads doing hits over the same 4
//!   resident models round robin (so each hit also moves the LRU order);
//!   the time is per hit as each thread sees it (flat = perfect scaling, up
//!   to the number of free cores), the throughput line counts the hits of
//!   all threads together.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use realizar_cache::{CacheConfig, ModelCache};
use realizar_infer::ClassicalModel;

const ENTRIES: usize = 16;

/// The bytes of the demo model's `.safetensors` file.
fn model_file() -> Vec<u8> {
    let model = realizar_infer::data::demo_model().unwrap();
    assert_eq!((model.input_dim(), model.n_classes()), (784, 2));
    model.to_safetensors_bytes().unwrap()
}

fn load(bytes: &[u8]) -> realizar_infer::Result<ClassicalModel> {
    ClassicalModel::from_safetensors_bytes(bytes)
}

fn id(i: usize) -> String {
    format!("mnist-logistic-{i}")
}

/// A cache holding `ENTRIES` models (ids 0..ENTRIES), full.
fn full_cache(bytes: &[u8]) -> ModelCache<String, ClassicalModel> {
    let cache = ModelCache::new(CacheConfig::new(ENTRIES, 1 << 30)).unwrap();
    for i in 0..ENTRIES {
        cache.insert(id(i), load(bytes).unwrap());
    }
    cache
}

fn cache_hit(c: &mut Criterion) {
    let bytes = model_file();
    let cache = full_cache(&bytes);
    let key = id(3);
    let mut ran = false;
    c.bench_function("cache_hit", |b| {
        ran = true;
        b.iter(|| black_box(cache.get(black_box(key.as_str()))))
    });
    // Every timed get was a hit (unless a filter skipped the bench).
    assert!(!ran || cache.metrics().misses() == 0 && cache.metrics().hits() > 0);
}

fn cache_miss_with_load(c: &mut Criterion) {
    let bytes = model_file();
    let cache = full_cache(&bytes);
    let mut next = ENTRIES;
    c.bench_function("cache_miss_with_load", |b| {
        b.iter_batched(
            || {
                next += 1;
                id(next)
            },
            |key| {
                let m = cache.get_or_load(key, || load(black_box(&bytes))).unwrap();
                black_box(m.input_dim());
                m
            },
            BatchSize::SmallInput,
        )
    });
    let m = cache.metrics();
    assert!(m.loads() > 0 && m.evictions() > 0 && m.hits() == 0);
}

fn metrics_access(c: &mut Criterion) {
    let bytes = model_file();
    let cache = full_cache(&bytes);
    for i in 0..100 {
        cache.get(id(i % 20).as_str());
    }
    c.bench_function("metrics_access", |b| {
        b.iter(|| black_box(black_box(&cache).metrics().hit_rate()))
    });
}

fn eviction(c: &mut Criterion) {
    let bytes = model_file();
    let cache = full_cache(&bytes);
    let template = load(&bytes).unwrap();
    let mut next = ENTRIES;
    c.bench_function("eviction", |b| {
        b.iter_batched(
            || {
                next += 1;
                (id(next), template.clone())
            },
            |(key, m)| black_box(cache.insert(key, m)),
            BatchSize::SmallInput,
        )
    });
    assert_eq!(cache.len(), ENTRIES);
}

fn concurrent(c: &mut Criterion) {
    let bytes = model_file();
    let cache = Arc::new(full_cache(&bytes));
    let keys: Vec<String> = (0..4).map(id).collect();
    let mut g = c.benchmark_group("concurrent");
    g.measurement_time(Duration::from_secs(3));
    for threads in [1usize, 2, 4] {
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    let start = Barrier::new(threads);
                    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
                        let workers: Vec<_> = (0..threads)
                            .map(|t| {
                                let (cache, keys, start) = (&cache, &keys, &start);
                                s.spawn(move || {
                                    start.wait();
                                    let t0 = Instant::now();
                                    for i in 0..iters as usize {
                                        let key = &keys[(t + i) % keys.len()];
                                        black_box(cache.get(black_box(key.as_str())));
                                    }
                                    (t0, Instant::now())
                                })
                            })
                            .collect();
                        workers.into_iter().map(|w| w.join().unwrap()).collect()
                    });
                    // Wall time from the first thread's start to the last one's
                    // end, for `iters` hits on each thread.
                    let first = spans.iter().map(|s| s.0).min().unwrap();
                    let last = spans.iter().map(|s| s.1).max().unwrap();
                    last - first
                })
            },
        );
    }
    g.finish();
}

criterion_group!(
    benches,
    cache_hit,
    cache_miss_with_load,
    metrics_access,
    eviction,
    concurrent
);
criterion_main!(benches);
