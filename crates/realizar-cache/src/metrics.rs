//! Counters of a [`ModelCache`](crate::ModelCache), readable without a lock.
//!
//! Hits and misses happen on every lookup, from every thread: they live in
//! per-thread *stripes* (one counter pair per cache line, a thread always
//! adds to the same stripe), so concurrent readers do not fight over one
//! cache line; a read sums the stripes. The other counters move only on
//! the slow paths (eviction, load) and are plain atomics.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

/// One thread stripe: its hit and miss counts, alone on its cache lines
/// (128 bytes: adjacent-line prefetchers pair 64-byte lines).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// The stripe this thread adds to (threads are numbered on first use).
fn thread_number() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: usize = NEXT.fetch_add(1, Relaxed);
    }
    NUMBER.with(|n| *n)
}

/// Slow-path counters, on their own cache line away from the stripes.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Counters {
    evictions: AtomicU64,
    loads: AtomicU64,
    load_failures: AtomicU64,
    load_nanos: AtomicU64,
    rejected: AtomicU64,
}

/// Lock-free counters of one cache: hits, misses, evictions, loads, load
/// time. Every reader is a few relaxed atomic loads; values read while
/// other threads work are each exact at some instant, not a consistent
/// set (use [`snapshot`](Self::snapshot) for one struct, still not atomic
/// as a whole).
#[derive(Debug)]
pub struct CacheMetrics {
    stripes: Box<[Stripe]>,
    mask: usize,
    counters: Counters,
}

impl Default for CacheMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl CacheMetrics {
    /// Zeroed counters, with one stripe per available core (rounded up to
    /// a power of two, at most 64).
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let n = cores.next_power_of_two().min(64);
        Self {
            stripes: (0..n).map(|_| Stripe::default()).collect(),
            mask: n - 1,
            counters: Counters::default(),
        }
    }

    #[inline]
    fn stripe(&self) -> &Stripe {
        // `mask` is `stripes.len() - 1` with a power-of-two length: in range.
        &self.stripes[thread_number() & self.mask]
    }

    #[inline]
    pub(crate) fn record_hit(&self) {
        self.stripe().hits.fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn record_miss(&self) {
        self.stripe().misses.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_evictions(&self, n: u64) {
        if n > 0 {
            self.counters.evictions.fetch_add(n, Relaxed);
        }
    }

    pub(crate) fn record_rejected(&self) {
        self.counters.rejected.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_load(&self, ok: bool, took: Duration) {
        let c = if ok {
            &self.counters.loads
        } else {
            &self.counters.load_failures
        };
        c.fetch_add(1, Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.counters.load_nanos.fetch_add(nanos, Relaxed);
    }

    /// Lookups that found their key ([`get`](crate::ModelCache::get) and the
    /// first look of [`get_or_load`](crate::ModelCache::get_or_load)).
    #[inline]
    pub fn hits(&self) -> u64 {
        self.stripes.iter().map(|s| s.hits.load(Relaxed)).sum()
    }

    /// Lookups that did not find their key (a `get_or_load` that waits for
    /// another caller's load is a miss too).
    #[inline]
    pub fn misses(&self) -> u64 {
        self.stripes.iter().map(|s| s.misses.load(Relaxed)).sum()
    }

    /// Entries removed to make room (not [`remove`](crate::ModelCache::remove)
    /// calls, not replaced values).
    pub fn evictions(&self) -> u64 {
        self.counters.evictions.load(Relaxed)
    }

    /// Loader runs that returned a value.
    pub fn loads(&self) -> u64 {
        self.counters.loads.load(Relaxed)
    }

    /// Loader runs that returned an error or panicked.
    pub fn load_failures(&self) -> u64 {
        self.counters.load_failures.load(Relaxed)
    }

    /// Values not cached because one weighs more than `max_bytes`.
    pub fn rejected(&self) -> u64 {
        self.counters.rejected.load(Relaxed)
    }

    /// Time spent in loaders, successful or not.
    pub fn load_time_total(&self) -> Duration {
        Duration::from_nanos(self.counters.load_nanos.load(Relaxed))
    }

    /// Mean time of a loader run ([`Duration::ZERO`] before the first).
    pub fn mean_load_time(&self) -> Duration {
        let runs = self.loads() + self.load_failures();
        let nanos = self.counters.load_nanos.load(Relaxed);
        Duration::from_nanos(nanos.checked_div(runs).unwrap_or(0))
    }

    /// `hits / (hits + misses)`, 0 when there was no lookup.
    #[inline]
    pub fn hit_rate(&self) -> f64 {
        let (mut hits, mut misses) = (0u64, 0u64);
        for s in self.stripes.iter() {
            hits += s.hits.load(Relaxed);
            misses += s.misses.load(Relaxed);
        }
        rate(hits, misses)
    }

    /// All counters in one plain struct.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let hits = self.hits();
        let misses = self.misses();
        MetricsSnapshot {
            hits,
            misses,
            evictions: self.evictions(),
            loads: self.loads(),
            load_failures: self.load_failures(),
            rejected: self.rejected(),
            load_time_total: self.load_time_total(),
            hit_rate: rate(hits, misses),
        }
    }
}

fn rate(hits: u64, misses: u64) -> f64 {
    let total = hits + misses;
    if total == 0 {
        0.0
    } else {
        hits as f64 / total as f64
    }
}

/// The counters of a [`CacheMetrics`] at one moment, as plain values
/// (for logs, `/metrics` endpoints, JSON).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetricsSnapshot {
    /// See [`CacheMetrics::hits`].
    pub hits: u64,
    /// See [`CacheMetrics::misses`].
    pub misses: u64,
    /// See [`CacheMetrics::evictions`].
    pub evictions: u64,
    /// See [`CacheMetrics::loads`].
    pub loads: u64,
    /// See [`CacheMetrics::load_failures`].
    pub load_failures: u64,
    /// See [`CacheMetrics::rejected`].
    pub rejected: u64,
    /// See [`CacheMetrics::load_time_total`].
    pub load_time_total: Duration,
    /// `hits / (hits + misses)` of these counts, 0 when both are 0.
    pub hit_rate: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn empty_metrics_are_zero_with_zero_hit_rate() {
        let m = CacheMetrics::new();
        assert_eq!(m.snapshot(), MetricsSnapshot::default());
        assert_eq!(m.hit_rate(), 0.0);
        assert_eq!(m.mean_load_time(), Duration::ZERO);
    }

    #[test]
    fn counts_and_rate() {
        let m = CacheMetrics::new();
        for _ in 0..3 {
            m.record_hit();
        }
        m.record_miss();
        m.record_evictions(2);
        m.record_evictions(0);
        m.record_load(true, Duration::from_micros(30));
        m.record_load(false, Duration::from_micros(10));
        m.record_rejected();
        let s = m.snapshot();
        assert_eq!((s.hits, s.misses, s.evictions), (3, 1, 2));
        assert_eq!((s.loads, s.load_failures, s.rejected), (1, 1, 1));
        assert_eq!(s.load_time_total, Duration::from_micros(40));
        assert_eq!(m.mean_load_time(), Duration::from_micros(20));
        assert_eq!(s.hit_rate, 0.75);
        assert_eq!(m.hit_rate(), 0.75);
    }

    #[test]
    fn stripes_sum_over_threads() {
        let m = Arc::new(CacheMetrics::new());
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let m = Arc::clone(&m);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        m.record_hit();
                        m.record_miss();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!((m.hits(), m.misses()), (6000, 6000));
    }
}
