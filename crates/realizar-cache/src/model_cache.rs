//! [`ModelCache`]: a concurrent LRU of shared values (models) with a count
//! and a byte budget, single-flight loading and lock-free metrics.
//!
//! # Shape
//!
//! A model server looks models up on every request, from every worker
//! thread, and changes the set of models rarely. So the cache is built for
//! reads that touch no lock and no cache line another core writes:
//!
//! - The entries live in a map behind a mutex (the *master*), taken only by
//!   writers (insert, remove, eviction) and by rare readers (`keys`,
//!   `contains`). Each write publishes an immutable *snapshot* of the map
//!   (an open-addressing table of slots by key hash, at most half full;
//!   rebuilding it copies no key) and bumps a version number.
//! - Each thread keeps, in per-cache thread-local storage, the snapshot it
//!   last saw. A lookup reads the version (a plain load of a line that only
//!   writers touch); when it is unchanged it probes the thread's snapshot
//!   without any lock; otherwise it takes the mutex once to refresh it.
//! - A snapshot slot holds a `Weak` reference to the value and its recency
//!   tick. A hit upgrades the `Weak` (the one locked instruction of a hit,
//!   the `Arc` count the caller needs anyway), so a stale snapshot never
//!   keeps an evicted model alive: the master holds the only strong
//!   reference the cache owns. (A stale snapshot does keep the slot, a
//!   clone of the key and the `Arc`'s own allocation of `size_of::<V>()`
//!   bytes, until its thread next looks something up: the model's weights,
//!   on the heap behind `V`, are freed at eviction.)
//! - Recency is a tick from a cache-wide clock: a hit on an entry that is
//!   not already the most recent takes a new tick (`fetch_add`) and stores
//!   it in the slot; a hit on the most recent entry only reads, so a hot
//!   model costs no shared writes. Ticks are unique, so one thread sees
//!   exact LRU order; concurrent hits may order entries touched at the same
//!   moment either way.
//! - Hits and misses count in per-thread stripes ([`CacheMetrics`]).
//!
//! A write takes the mutex, evicts while the count or byte budget would be
//! exceeded (the entry with the smallest tick: an O(n) scan, cheap for a
//! cache of models, tens of entries) and rebuilds the snapshot (O(n) too).
//! Evicted values are dropped after the mutex is released.
//!
//! Loads run outside every lock. A second map of in-flight loads (behind a
//! mutex taken only on misses) lets the first caller to miss a key run the
//! loader while later callers of the same key wait on a condition variable
//! for its outcome.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use thread_local::ThreadLocal;

use crate::Weighted;
use crate::config::CacheConfig;
use crate::error::{Error, Result};
use crate::flight::{Flight, LoadError, Outcome};
use crate::metrics::{CacheMetrics, StripeId};

use Ordering::{Acquire, Relaxed, Release};

/// The default key hasher: foldhash, seeded per cache. Not built to resist
/// hash flooding, which needs many colliding keys *in* the map: this map
/// holds at most `max_entries` keys, chosen by whoever loads models.
pub type DefaultHashBuilder = foldhash::fast::RandomState;

/// What a snapshot knows of an entry: its key, its value (weakly) and its
/// recency.
#[derive(Debug)]
struct Slot<K, V> {
    key: K,
    value: Weak<V>,
    /// Clock tick of its last use (insert or hit).
    tick: AtomicU64,
}

/// An immutable view of the entries, shared by the threads that read it:
/// `(hash of the key, slot)` in a linear-probing table at most half full
/// (so a probe always ends at an empty cell).
struct Snapshot<K, V> {
    /// `table.len() - 1`, the length a power of two.
    mask: usize,
    table: Box<[Cell<K, V>]>,
}

/// A snapshot table cell: empty, or a key hash and its slot.
type Cell<K, V> = Option<(u64, Arc<Slot<K, V>>)>;

impl<K, V> Snapshot<K, V> {
    fn build(slots: impl ExactSizeIterator<Item = (u64, Arc<Slot<K, V>>)>) -> Self {
        let len = (2 * slots.len()).next_power_of_two().max(2);
        let mask = len - 1;
        let mut table: Box<[Cell<K, V>]> = (0..len).map(|_| None).collect();
        for (hash, slot) in slots {
            let mut i = hash as usize & mask;
            while table[i].is_some() {
                i = (i + 1) & mask;
            }
            table[i] = Some((hash, slot));
        }
        Self { mask, table }
    }

    /// The slot of `key`, whose hash is `hash`.
    #[inline]
    fn find<Q>(&self, hash: u64, key: &Q) -> Option<&Slot<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let mut i = hash as usize & self.mask;
        loop {
            let (h, slot) = self.table.get(i)?.as_ref()?;
            if *h == hash && slot.key.borrow() == key {
                return Some(slot);
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// One cached value, as the master map owns it.
#[derive(Debug)]
struct Entry<K, V> {
    value: Arc<V>,
    slot: Arc<Slot<K, V>>,
    /// Its [`Weighted::weight_bytes`] when inserted.
    bytes: usize,
}

/// The writers' side, behind the mutex.
struct Master<K, V, S> {
    entries: HashMap<K, Entry<K, V>, S>,
    /// The snapshot of `entries` readers should use, and its version.
    snapshot: Arc<Snapshot<K, V>>,
    version: u64,
}

/// A thread's view of one cache.
struct Local<K, V> {
    /// Version of `snapshot` (0: none yet; versions start at 1).
    version: u64,
    snapshot: Option<Arc<Snapshot<K, V>>>,
    /// The metrics stripe this thread writes.
    stripe: StripeId,
}

/// A thread-safe LRU cache of shared values, keyed by model id, bounded by
/// entry count and by bytes.
///
/// Values are handed out as `Arc<V>`: an evicted model stays alive for
/// the requests still using it, and is freed when the last one ends. See
/// the [module docs](self) for how it is built and the [crate docs](crate)
/// for an example.
///
/// **Entries larger than the whole budget.** A value whose
/// [`weight_bytes`](Weighted::weight_bytes) exceeds `max_bytes` is never
/// cached (caching it would break the budget every other entry relies on):
/// [`insert`](Self::insert) and [`get_or_load`](Self::get_or_load) still
/// return it (so a request is served), evict nothing, drop any older value
/// of that key, and count it in [`CacheMetrics::rejected`];
/// [`try_insert`](Self::try_insert) returns [`Error::EntryTooLarge`] instead.
pub struct ModelCache<K, V, S = DefaultHashBuilder>
where
    K: Send + Sync,
    V: Send + Sync,
    S: Send + Sync,
{
    config: CacheConfig,
    master: Mutex<Master<K, V, S>>,
    /// `Master::version`, readable without the mutex.
    version: AtomicU64,
    locals: ThreadLocal<RefCell<Local<K, V>>>,
    hasher: S,
    inflight: Mutex<HashMap<K, Arc<Flight<V>>, S>>,
    clock: AtomicU64,
    /// Sum of the entries' bytes (written under the mutex).
    bytes: AtomicUsize,
    /// Number of entries (written under the mutex).
    len: AtomicUsize,
    metrics: CacheMetrics,
}

impl<K, V, S> fmt::Debug for ModelCache<K, V, S>
where
    K: Send + Sync,
    V: Send + Sync,
    S: Send + Sync,
{
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

impl<K, V> ModelCache<K, V, DefaultHashBuilder>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Weighted + Send + Sync,
{
    /// An empty cache with these limits.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when a limit is 0.
    pub fn new(config: CacheConfig) -> Result<Self> {
        Self::with_hasher(config, DefaultHashBuilder::default())
    }
}

impl<K, V, S> ModelCache<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Weighted + Send + Sync,
    S: BuildHasher + Clone + Send + Sync,
{
    /// An empty cache with these limits, hashing keys with `hasher`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when a limit is 0.
    pub fn with_hasher(config: CacheConfig, hasher: S) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            master: Mutex::new(Master {
                entries: HashMap::with_hasher(hasher.clone()),
                snapshot: Arc::new(Snapshot::build(std::iter::empty())),
                version: 1,
            }),
            version: AtomicU64::new(1),
            locals: ThreadLocal::new(),
            inflight: Mutex::new(HashMap::with_hasher(hasher.clone())),
            hasher,
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

    // A panic in user code (`Hash`/`Eq` of a key, `Weighted`) under a lock
    // poisons it; the maps stay consistent (std's HashMap is panic-safe and
    // our counters are written after the map), so poisoning is ignored.
    fn master(&self) -> MutexGuard<'_, Master<K, V, S>> {
        self.master.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn inflight(&self) -> MutexGuard<'_, HashMap<K, Arc<Flight<V>>, S>> {
        self.inflight.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `slot` as the most recently used.
    #[inline]
    fn touch(&self, slot: &Slot<K, V>) {
        // The slot holding the newest tick is already the most recent:
        // only read (no shared write) when a hot key is hit again.
        if slot.tick.load(Relaxed) != self.clock.load(Relaxed) {
            slot.tick.store(self.next_tick(), Relaxed);
        }
    }

    #[inline]
    fn next_tick(&self) -> u64 {
        self.clock.fetch_add(1, Relaxed) + 1
    }

    /// This thread's state for this cache.
    #[inline]
    fn local(&self) -> &RefCell<Local<K, V>> {
        self.locals.get_or(|| {
            RefCell::new(Local {
                version: 0,
                snapshot: None,
                stripe: self.metrics.claim_stripe(),
            })
        })
    }

    /// Looks `key` up, refreshing recency on a hit; returns the value and
    /// the stripe to count in.
    #[inline]
    fn lookup<Q>(&self, key: &Q) -> (Option<Arc<V>>, StripeId)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let version = self.version.load(Acquire);
        let Ok(mut local) = self.local().try_borrow_mut() else {
            // Re-entered from a key's `Hash`/`Eq`: answer from the master.
            return (self.lookup_master(key), None);
        };
        if local.version != version || local.snapshot.is_none() {
            let master = self.master();
            local.snapshot = Some(Arc::clone(&master.snapshot));
            local.version = master.version;
        }
        let stripe = local.stripe;
        let found = local
            .snapshot
            .as_deref()
            .and_then(|snap| snap.find(self.hasher.hash_one(key), key))
            .and_then(|slot| {
                let value = slot.value.upgrade()?;
                self.touch(slot);
                Some(value)
            });
        (found, stripe)
    }

    /// [`lookup`](Self::lookup) through the mutex.
    fn lookup_master<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let master = self.master();
        let entry = master.entries.get(key)?;
        self.touch(&entry.slot);
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
        let (found, stripe) = self.lookup(key);
        if found.is_some() {
            self.metrics.record_hit(stripe);
        } else {
            self.metrics.record_miss(stripe);
        }
        found
    }

    /// The value cached under `key` without touching recency or metrics.
    pub fn peek<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.master().entries.get(key).map(|e| Arc::clone(&e.value))
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
            } else if let (Some(v), _) = self.lookup(&key) {
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

    /// Publishes a new snapshot of `master.entries` (under the mutex).
    fn publish(&self, master: &mut Master<K, V, S>) {
        let slots = master
            .entries
            .iter()
            .map(|(k, e)| (self.hasher.hash_one(k), Arc::clone(&e.slot)));
        master.snapshot = Arc::new(Snapshot::build(slots));
        master.version += 1;
        self.version.store(master.version, Release);
        self.len.store(master.entries.len(), Relaxed);
    }

    /// Inserts; `Err(value)` when it was too large to cache.
    fn store(&self, key: K, value: Arc<V>) -> std::result::Result<Arc<V>, Arc<V>> {
        let bytes = value.weight_bytes();
        let cached = bytes <= self.config.max_bytes;
        let mut dropped: Vec<Entry<K, V>> = Vec::new();
        let mut evicted = 0u64;
        let old_snapshot = {
            let mut master = self.master();
            let mut total = self.bytes.load(Relaxed);
            if let Some(old) = master.entries.remove(&key) {
                total -= old.bytes;
                dropped.push(old);
            }
            if cached {
                while master.entries.len() >= self.config.max_entries
                    || total.saturating_add(bytes) > self.config.max_bytes
                {
                    let Some(victim) = master
                        .entries
                        .iter()
                        .min_by_key(|(_, e)| e.slot.tick.load(Relaxed))
                        .map(|(k, _)| k.clone())
                    else {
                        break; // empty: `bytes <= max_bytes` fits
                    };
                    if let Some(e) = master.entries.remove(&victim) {
                        total -= e.bytes;
                        evicted += 1;
                        dropped.push(e);
                    }
                }
                let slot = Arc::new(Slot {
                    key: key.clone(),
                    value: Arc::downgrade(&value),
                    tick: AtomicU64::new(self.next_tick()),
                });
                master.entries.insert(
                    key,
                    Entry {
                        value: Arc::clone(&value),
                        slot,
                        bytes,
                    },
                );
                total += bytes;
            }
            self.bytes.store(total, Relaxed);
            let old = Arc::clone(&master.snapshot);
            if cached || !dropped.is_empty() {
                self.publish(&mut master);
            }
            old
        };
        self.metrics.record_evictions(evicted);
        // Replaced and evicted values are freed here, outside the lock.
        drop(dropped);
        drop(old_snapshot);
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
        let mut master = self.master();
        let entry = master.entries.remove(key)?;
        self.bytes.fetch_sub(entry.bytes, Relaxed);
        self.publish(&mut master);
        Some(entry.value)
    }

    /// Removes every entry (values in use elsewhere stay alive).
    pub fn clear(&self) {
        let old: Vec<Entry<K, V>> = {
            let mut master = self.master();
            let old = master.entries.drain().map(|(_, e)| e).collect();
            self.bytes.store(0, Relaxed);
            self.publish(&mut master);
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
        self.master().entries.contains_key(key)
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
        let master = self.master();
        let mut ticked: Vec<(u64, &K)> = master
            .entries
            .iter()
            .map(|(k, e)| (e.slot.tick.load(Relaxed), k))
            .collect();
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
    S: BuildHasher + Clone + Send + Sync,
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
    S: BuildHasher + Clone + Send + Sync,
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
    S: BuildHasher + Clone + Send + Sync,
{
    fn drop(&mut self) {
        if !self.ended {
            // The loader panicked.
            self.cache.metrics.record_load(false, self.start.elapsed());
            self.end(|| Outcome::Panicked);
        }
    }
}
