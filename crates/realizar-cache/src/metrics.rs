//! Counters of a [`ModelCache`](crate::ModelCache), readable without a lock.
//!
//! Hits and misses happen on every lookup, from every thread. They live in
//! *stripes*, one hit/miss pair per cache line. A thread using a cache
//! claims a stripe of its own (the cache remembers the claim in its
//! per-thread state) and, as its only writer, bumps it with a plain load and
//! store: no locked instruction, no cache line shared with another core.
//! Threads beyond the number of stripes share one more stripe with atomic
//! adds. A read sums the stripes (a few loads). The other counters move only
//! on slow paths (eviction, load) and are plain atomics.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// One stripe: its hit and miss counts, alone on its cache lines
/// (128 bytes: adjacent-line prefetchers pair 64-byte lines).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe {
    hits: AtomicU64,
    misses: AtomicU64,
    /// Claimed by a thread (then only that thread writes the counts).
    owned: AtomicBool,
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
    /// Single-writer stripes, claimed by threads.
    stripes: Box<[Stripe]>,
    /// The stripe of threads without one (atomic adds).
    shared: Stripe,
    counters: Counters,
}

impl Default for CacheMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Which stripe a thread counts in: its own (by index) or the shared one.
pub(crate) type StripeId = Option<usize>;

impl CacheMetrics {
    /// Zeroed counters, with one single-writer stripe per available core
    /// (at least 2, at most 64): reads sum them, so they stay few.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let n = cores.clamp(2, 64);
        Self {
            stripes: (0..n).map(|_| Stripe::default()).collect(),
            shared: Stripe::default(),
            counters: Counters::default(),
        }
    }

    /// Claims a free stripe for the calling thread's exclusive writes
    /// (`None`: all taken, count in the shared one). The caller must only
    /// use a claimed stripe from one thread at a time.
    pub(crate) fn claim_stripe(&self) -> StripeId {
        self.stripes.iter().position(|s| {
            s.owned
                .compare_exchange(false, true, Relaxed, Relaxed)
                .is_ok()
        })
    }

    #[inline]
    fn bump(own: Option<&AtomicU64>, shared: &AtomicU64) {
        match own {
            // Sole writer: a plain load and store cannot lose a count.
            Some(c) => c.store(c.load(Relaxed) + 1, Relaxed),
            None => {
                shared.fetch_add(1, Relaxed);
            }
        }
    }

    #[inline]
    pub(crate) fn record_hit(&self, stripe: StripeId) {
        let own = stripe.and_then(|i| self.stripes.get(i)).map(|s| &s.hits);
        Self::bump(own, &self.shared.hits);
    }

    #[inline]
    pub(crate) fn record_miss(&self, stripe: StripeId) {
        let own = stripe.and_then(|i| self.stripes.get(i)).map(|s| &s.misses);
        Self::bump(own, &self.shared.misses);
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

    /// Sum of hits and of misses over the stripes.
    #[inline]
    fn sums(&self) -> (u64, u64) {
        let (mut hits, mut misses) = (
            self.shared.hits.load(Relaxed),
            self.shared.misses.load(Relaxed),
        );
        for s in &self.stripes {
            hits += s.hits.load(Relaxed);
            misses += s.misses.load(Relaxed);
        }
        (hits, misses)
    }

    /// Lookups that found their key ([`get`](crate::ModelCache::get) and the
    /// first look of [`get_or_load`](crate::ModelCache::get_or_load)).
    #[inline]
    pub fn hits(&self) -> u64 {
        let own: u64 = self.stripes.iter().map(|s| s.hits.load(Relaxed)).sum();
        own + self.shared.hits.load(Relaxed)
    }

    /// Lookups that did not find their key (a `get_or_load` that waits for
    /// another caller's load is a miss too).
    #[inline]
    pub fn misses(&self) -> u64 {
        let own: u64 = self.stripes.iter().map(|s| s.misses.load(Relaxed)).sum();
        own + self.shared.misses.load(Relaxed)
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
        let (hits, misses) = self.sums();
        rate(hits, misses)
    }

    /// All counters in one plain struct.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let (hits, misses) = self.sums();
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
        let own = m.claim_stripe();
        assert!(own.is_some());
        for _ in 0..2 {
            m.record_hit(own);
        }
        m.record_hit(None);
        m.record_miss(None);
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
    fn stripes_sum_over_threads_owning_or_sharing() {
        let m = Arc::new(CacheMetrics::new());
        // More threads than stripes: some own one, the rest share.
        let n = m.stripes.len() + 4;
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let m = Arc::clone(&m);
                std::thread::spawn(move || {
                    let own = m.claim_stripe();
                    for _ in 0..1000 {
                        m.record_hit(own);
                        m.record_miss(own);
                    }
                    own.is_some()
                })
            })
            .collect();
        let owners = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|&owned| owned)
            .count();
        assert_eq!(owners, m.stripes.len());
        let expected = 1000 * n as u64;
        assert_eq!((m.hits(), m.misses()), (expected, expected));
        assert!(m.claim_stripe().is_none(), "every stripe was claimed");
    }
}
