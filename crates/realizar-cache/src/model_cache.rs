//! [`ModelCache`]: a concurrent LRU of shared values (models) with a count
//! and a byte budget, single-flight loading and lock-free metrics.
//!
//! # Shape
//!
//! The entries live in one `RwLock<HashMap>`. A hit takes the read lock,
//! clones the value's `Arc` and refreshes the entry's recency with relaxed
//! atomics, so readers never block each other. Recency is a *tick* from a
//! cache-wide clock: a hit on an entry that is not already the most recent
//! takes a new tick (`fetch_add`) and stores it in the entry; a hit on the
//! most recent entry only reads (so a hot model costs no shared writes
//! beyond its `Arc` count). Ticks are unique, so a single thread sees exact
//! LRU order; concurrent hits may reorder entries touched at the same time.
//!
//! Inserting takes the write lock and, while the count or byte budget would
//! be exceeded, removes the entry with the smallest tick: a scan, O(n) in
//! the number of entries, which is cheap for a cache of models (tens), and
//! keeps the hit path free of any list splicing. Evicted values are dropped
//! after the lock is released.
//!
//! Loads run outside every lock. A second map of in-flight loads (behind a
//! mutex taken only on misses) lets the first caller to miss a key run the
//! loader while later callers of the same key wait on a condition variable
//! for its outcome.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use crate::Weighted;
use crate::config::CacheConfig;
use crate::error::{Error, Result};
use crate::flight::{Flight, LoadError, Outcome};
use crate::metrics::CacheMetrics;

/// One cached value.
#[derive(Debug)]
struct Entry<V> {
    value: Arc<V>,
    /// Its [`Weighted::weight_bytes`] when inserted.
    bytes: usize,
    /// Clock tick of its last use (insert or hit).
    tick: AtomicU64,
}

/// A thread-safe LRU cache of shared values, keyed by model id, bounded by
/// entry count and by bytes.
///
/// Values are handed out as `Arc<V>`: an evicted model stays alive for
/// the requests still using it. See the [module docs](self) for how it is
/// built and the [crate docs](crate) for an example.
///
/// **Entries larger than the whole budget.** A value whose
/// [`weight_bytes`](Weighted::weight_bytes) exceeds `max_bytes` is never
/// cached (caching it would break the budget every other entry relies on):
/// [`insert`](Self::insert) and [`get_or_load`](Self::get_or_load) still
/// return it (so a request is served), evict nothing, drop any older value
/// of that key, and count it in [`CacheMetrics::rejected`];
/// [`try_insert`](Self::try_insert) returns [`Error::EntryTooLarge`] instead.
pub struct ModelCache<K, V, S = RandomState> {
    config: CacheConfig,
    map: RwLock<HashMap<K, Entry<V>, S>>,
    inflight: Mutex<HashMap<K, Arc<Flight<V>>, S>>,
    clock: AtomicU64,
    /// Sum of the entries' bytes (written under the write lock).
    bytes: AtomicUsize,
    /// Number of entries (written under the write lock).
    len: AtomicUsize,
    metrics: CacheMetrics,
}

impl<K, V, S> fmt::Debug for ModelCache<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelCache")
            .field("config", &self.config)
            .field("len", &self.len.load(Relaxed))
            .field("bytes", &self.bytes.load(Relaxed))
            .field("metrics", &self.metrics.snapshot())
            .finish()
    }
}

/// Result of the in-flight check in `get_or_load`.
enum Role<V> {
    Ready(Arc<V>),
    Lead(Arc<Flight<V>>),
    Wait(Arc<Flight<V>>),
}

impl<K, V> ModelCache<K, V, RandomState>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Weighted + Send + Sync,
{
    /// An empty cache with these limits.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when a limit is 0.
    pub fn new(config: CacheConfig) -> Result<Self> {
        Self::with_hasher(config, RandomState::new())
    }
}

impl<K, V, S> ModelCache<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Weighted + Send + Sync,
    S: BuildHasher + Clone,
{
    /// An empty cache with these limits, hashing keys with `hasher`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when a limit is 0.
    pub fn with_hasher(config: CacheConfig, hasher: S) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            map: RwLock::new(HashMap::with_hasher(hasher.clone())),
            inflight: Mutex::new(HashMap::with_hasher(hasher)),
            clock: AtomicU64::new(0),
            bytes: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            metrics: CacheMetrics::new(),
        })
    }

    /// The limits this cache was built with.
    pub fn config(&self) -> CacheConfig {
        self.config
    }

    // A panic in user code (`Hash`/`Eq` of a key) under a lock poisons it;
    // the maps stay consistent (std's HashMap is panic-safe and our
    // counters are updated after the map), so poisoning is ignored.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<K, Entry<V>, S>> {
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<K, Entry<V>, S>> {
        self.map.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn inflight(&self) -> MutexGuard<'_, HashMap<K, Arc<Flight<V>>, S>> {
        self.inflight.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `entry` as the most recently used.
    #[inline]
    fn touch(&self, entry: &Entry<V>) {
        // The entry holding the newest tick is already the most recent:
        // only read (no shared write) when a hot key is hit again.
        if entry.tick.load(Relaxed) != self.clock.load(Relaxed) {
            entry.tick.store(self.next_tick(), Relaxed);
        }
    }

    #[inline]
    fn next_tick(&self) -> u64 {
        self.clock.fetch_add(1, Relaxed) + 1
    }

    /// Looks `key` up without counting a hit or miss; a hit still
    /// refreshes recency.
    fn lookup<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.read();
        let entry = map.get(key)?;
        self.touch(entry);
        Some(Arc::clone(&entry.value))
    }

    /// The value cached under `key`, marking it most recently used.
    /// Counts a hit or a miss.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let found = self.lookup(key);
        if found.is_some() {
            self.metrics.record_hit();
        } else {
            self.metrics.record_miss();
        }
        found
    }

    /// The value cached under `key` without touching recency or metrics.
    pub fn peek<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.read().get(key).map(|e| Arc::clone(&e.value))
    }

    /// The value cached under `key`, or the one `load` returns, cached.
    ///
    /// Single flight: when several callers miss the same key at once, the
    /// first runs `load` (on its own thread, outside every lock) and the
    /// others wait and receive the same `Arc`. Callers of other keys are
    /// not held up.
    ///
    /// # Errors
    /// - [`LoadError::Failed`]: this call's `load` returned an error;
    /// - [`LoadError::Shared`]: the load this call waited for returned an
    ///   error (its message);
    /// - [`LoadError::Panicked`]: the load this call waited for panicked;
    /// - [`LoadError::Reentrant`]: `load` itself asked for the key it loads.
    ///
    /// A failure is not cached; the next call loads again.
    ///
    /// # Panics
    /// Only if `load` panics: the panic unwinds from this call, after the
    /// waiters have been told ([`LoadError::Panicked`]).
    pub fn get_or_load<E, F>(&self, key: K, load: F) -> std::result::Result<Arc<V>, LoadError<E>>
    where
        E: fmt::Display,
        F: FnOnce() -> std::result::Result<V, E>,
    {
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let role = {
            let mut inflight = self.inflight();
            if let Some(flight) = inflight.get(&key) {
                Role::Wait(Arc::clone(flight))
            } else if let Some(v) = self.lookup(&key) {
                // A load finished between the miss and now: it inserts the
                // value before leaving the in-flight map, so we see it.
                Role::Ready(v)
            } else {
                let flight = Arc::new(Flight::new());
                inflight.insert(key.clone(), Arc::clone(&flight));
                Role::Lead(flight)
            }
        };
        match role {
            Role::Ready(v) => Ok(v),
            Role::Wait(flight) => {
                if flight.leader == std::thread::current().id() {
                    return Err(LoadError::Reentrant);
                }
                match flight.wait() {
                    Outcome::Loaded(v) => Ok(v),
                    Outcome::Failed(msg) => Err(LoadError::Shared(msg)),
                    Outcome::Panicked | Outcome::Pending => Err(LoadError::Panicked),
                }
            }
            Role::Lead(flight) => self.lead(key, flight, load),
        }
    }

    /// Runs `load` as the leader of `flight`.
    fn lead<E, F>(
        &self,
        key: K,
        flight: Arc<Flight<V>>,
        load: F,
    ) -> std::result::Result<Arc<V>, LoadError<E>>
    where
        E: fmt::Display,
        F: FnOnce() -> std::result::Result<V, E>,
    {
        let start = Instant::now();
        let mut guard = LeadGuard {
            cache: self,
            key,
            flight,
            start,
            ended: false,
        };
        let result = load();
        let took = start.elapsed();
        match result {
            Ok(value) => {
                self.metrics.record_load(true, took);
                let value = self
                    .store(guard.key.clone(), Arc::new(value))
                    .unwrap_or_else(|v| v);
                guard.end(|| Outcome::Loaded(Arc::clone(&value)));
                Ok(value)
            }
            Err(e) => {
                self.metrics.record_load(false, took);
                guard.end(|| Outcome::Failed(e.to_string().into()));
                Err(LoadError::Failed(e))
            }
        }
    }

    /// Caches `value` under `key` (replacing any value there), evicting
    /// least recently used entries past `max_entries` or `max_bytes`, and
    /// returns it shared.
    ///
    /// A value heavier than `max_bytes` is returned but not cached (see the
    /// [type docs](ModelCache)).
    pub fn insert(&self, key: K, value: V) -> Arc<V> {
        self.store(key, Arc::new(value)).unwrap_or_else(|v| v)
    }

    /// Like [`insert`](Self::insert), but refuses a value heavier than
    /// `max_bytes` (leaving the cache unchanged).
    ///
    /// # Errors
    /// [`Error::EntryTooLarge`] with the value's weight and the budget.
    pub fn try_insert(&self, key: K, value: V) -> Result<Arc<V>> {
        let bytes = value.weight_bytes();
        if bytes > self.config.max_bytes {
            return Err(Error::EntryTooLarge {
                bytes,
                max_bytes: self.config.max_bytes,
            });
        }
        Ok(self.insert(key, value))
    }

    /// Inserts; `Err(value)` when it was too large to cache.
    fn store(&self, key: K, value: Arc<V>) -> std::result::Result<Arc<V>, Arc<V>> {
        let bytes = value.weight_bytes();
        let cached = bytes <= self.config.max_bytes;
        let mut dropped: Vec<Entry<V>> = Vec::new();
        let mut evicted = 0u64;
        {
            let mut map = self.write();
            let mut total = self.bytes.load(Relaxed);
            if let Some(old) = map.remove(&key) {
                total -= old.bytes;
                dropped.push(old);
            }
            if cached {
                while map.len() >= self.config.max_entries
                    || total.saturating_add(bytes) > self.config.max_bytes
                {
                    let Some(victim) = map
                        .iter()
                        .min_by_key(|(_, e)| e.tick.load(Relaxed))
                        .map(|(k, _)| k.clone())
                    else {
                        break; // empty: `bytes <= max_bytes` fits
                    };
                    if let Some(e) = map.remove(&victim) {
                        total -= e.bytes;
                        evicted += 1;
                        dropped.push(e);
                    }
                }
                let tick = self.next_tick();
                map.insert(
                    key,
                    Entry {
                        value: Arc::clone(&value),
                        bytes,
                        tick: AtomicU64::new(tick),
                    },
                );
                total += bytes;
            }
            self.bytes.store(total, Relaxed);
            self.len.store(map.len(), Relaxed);
        }
        self.metrics.record_evictions(evicted);
        // Replaced and evicted values are freed here, outside the lock.
        drop(dropped);
        if cached {
            Ok(value)
        } else {
            self.metrics.record_rejected();
            Err(value)
        }
    }

    /// Removes `key`, returning its value if it was cached.
    pub fn remove<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut map = self.write();
        let entry = map.remove(key)?;
        self.bytes.fetch_sub(entry.bytes, Relaxed);
        self.len.store(map.len(), Relaxed);
        Some(entry.value)
    }

    /// Removes every entry (values in use elsewhere stay alive).
    pub fn clear(&self) {
        let old = {
            let mut map = self.write();
            let old: Vec<Entry<V>> = map.drain().map(|(_, e)| e).collect();
            self.bytes.store(0, Relaxed);
            self.len.store(0, Relaxed);
            old
        };
        drop(old);
    }

    /// Whether `key` is cached (touches neither recency nor metrics).
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.read().contains_key(key)
    }

    /// Number of cached entries (lock-free).
    pub fn len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// Whether no entry is cached (lock-free).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total weight of the cached entries in bytes (lock-free).
    pub fn bytes(&self) -> usize {
        self.bytes.load(Relaxed)
    }

    /// The cached keys, most recently used first.
    pub fn keys(&self) -> Vec<K> {
        let map = self.read();
        let mut ticked: Vec<(u64, &K)> =
            map.iter().map(|(k, e)| (e.tick.load(Relaxed), k)).collect();
        ticked.sort_unstable_by_key(|t| std::cmp::Reverse(t.0));
        ticked.into_iter().map(|(_, k)| k.clone()).collect()
    }

    /// Hit, miss, eviction and load counters (lock-free reads).
    #[inline]
    pub fn metrics(&self) -> &CacheMetrics {
        &self.metrics
    }
}

/// Ends a flight when its leader returns or unwinds: leaves the in-flight
/// map and publishes the outcome (`Panicked` if the loader never returned).
struct LeadGuard<'a, K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Weighted + Send + Sync,
    S: BuildHasher + Clone,
{
    cache: &'a ModelCache<K, V, S>,
    key: K,
    flight: Arc<Flight<V>>,
    start: Instant,
    /// Set once the outcome is published.
    ended: bool,
}

impl<K, V, S> LeadGuard<'_, K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Weighted + Send + Sync,
    S: BuildHasher + Clone,
{
    /// Leaves the in-flight map, then publishes `outcome()` if anyone waits.
    fn end(&mut self, outcome: impl FnOnce() -> Outcome<V>) {
        if self.ended {
            return;
        }
        self.ended = true;
        {
            let mut inflight = self.cache.inflight();
            if inflight
                .get(&self.key)
                .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
            {
                inflight.remove(&self.key);
            }
        }
        // No new waiter can join now; the others hold clones of the flight.
        if Arc::strong_count(&self.flight) > 1 {
            self.flight.finish(outcome());
        }
    }
}

impl<K, V, S> Drop for LeadGuard<'_, K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Weighted + Send + Sync,
    S: BuildHasher + Clone,
{
    fn drop(&mut self) {
        if !self.ended {
            // The loader panicked.
            self.cache.metrics.record_load(false, self.start.elapsed());
            self.end(|| Outcome::Panicked);
        }
    }
}
