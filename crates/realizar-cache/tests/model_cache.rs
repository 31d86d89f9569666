//! Behaviour of `ModelCache`: LRU order by count and bytes, metrics,
//! single flight, failures and panics in loaders, concurrent use.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use realizar_cache::{CacheConfig, Error, LoadError, ModelCache, Weighted};

/// A value of a chosen weight, tagged to tell values apart.
#[derive(Debug, PartialEq)]
struct Blob {
    tag: u32,
    bytes: usize,
}

impl Weighted for Blob {
    fn weight_bytes(&self) -> usize {
        self.bytes
    }
}

fn blob(tag: u32, bytes: usize) -> Blob {
    Blob { tag, bytes }
}

fn cache(entries: usize, bytes: usize) -> ModelCache<u32, Blob> {
    ModelCache::new(CacheConfig::new(entries, bytes)).unwrap()
}

#[test]
fn zero_limits_are_refused() {
    let e = ModelCache::<u32, Blob>::new(CacheConfig::new(0, 1)).unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidConfig {
            field: "max_entries",
            ..
        }
    ));
    let e = ModelCache::<u32, Blob>::new(CacheConfig::new(1, 0)).unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidConfig {
            field: "max_bytes",
            ..
        }
    ));
}

#[test]
fn count_limit_evicts_least_recently_used() {
    let c = cache(3, 1 << 20);
    for k in 1..=3 {
        c.insert(k, blob(k, 10));
    }
    assert_eq!(c.keys(), [3, 2, 1]);
    assert!(c.get(&1).is_some()); // 1 becomes the most recent
    c.insert(4, blob(4, 10)); // evicts 2
    assert_eq!(c.keys(), [4, 1, 3]);
    assert!(!c.contains(&2));
    c.insert(5, blob(5, 10)); // evicts 3
    assert_eq!(c.keys(), [5, 4, 1]);
    assert_eq!((c.len(), c.bytes()), (3, 30));
    assert_eq!(c.metrics().evictions(), 2);
}

#[test]
fn repeated_hits_on_the_newest_entry_keep_order_exact() {
    let c = cache(3, 1 << 20);
    for k in 1..=3 {
        c.insert(k, blob(k, 1));
    }
    for _ in 0..5 {
        c.get(&3);
    }
    c.get(&1);
    c.get(&1);
    c.get(&2);
    assert_eq!(c.keys(), [2, 1, 3]);
    c.insert(4, blob(4, 1));
    assert_eq!(c.keys(), [4, 2, 1]);
}

#[test]
fn byte_limit_evicts_as_many_as_needed() {
    let c = cache(10, 100);
    c.insert(1, blob(1, 40));
    c.insert(2, blob(2, 30));
    c.insert(3, blob(3, 20));
    assert_eq!(c.bytes(), 90);
    c.get(&1);
    // 60 more bytes: 2 (30) and 3 (20) go, 1 (touched) stays.
    c.insert(4, blob(4, 60));
    assert_eq!(c.keys(), [4, 1]);
    assert_eq!(c.bytes(), 100);
    assert_eq!(c.metrics().evictions(), 2);
}

#[test]
fn replacing_a_key_updates_bytes_without_eviction() {
    let c = cache(2, 100);
    c.insert(1, blob(1, 50));
    c.insert(2, blob(2, 50));
    let v = c.insert(1, blob(11, 40));
    assert_eq!(v.tag, 11);
    assert_eq!(c.get(&1).unwrap().tag, 11);
    assert_eq!((c.len(), c.bytes()), (2, 90));
    assert_eq!(c.metrics().evictions(), 0);
}

#[test]
fn too_large_entries_are_served_but_not_cached() {
    let c = cache(4, 100);
    c.insert(1, blob(1, 60));
    c.insert(2, blob(2, 10));
    let big = c.insert(3, blob(3, 101));
    assert_eq!(big.tag, 3);
    assert!(!c.contains(&3));
    assert_eq!((c.len(), c.bytes()), (2, 70), "nothing evicted for it");
    assert_eq!(c.metrics().rejected(), 1);

    // A too-large value replacing a key drops the stale one.
    c.insert(1, blob(10, 500));
    assert!(!c.contains(&1));
    assert_eq!(c.bytes(), 10);

    let e = c.try_insert(4, blob(4, 101)).unwrap_err();
    assert_eq!(
        e,
        Error::EntryTooLarge {
            bytes: 101,
            max_bytes: 100
        }
    );
    assert!(c.try_insert(4, blob(4, 100)).is_ok());
    assert_eq!(c.keys(), [4]);

    let v = c.get_or_load(5, || Ok::<_, String>(blob(5, 1000))).unwrap();
    assert_eq!(v.tag, 5);
    assert!(!c.contains(&5));
}

#[test]
fn an_entry_of_exactly_max_bytes_is_cached_alone() {
    let c = cache(4, 100);
    c.insert(1, blob(1, 10));
    c.insert(2, blob(2, 100));
    assert_eq!(c.keys(), [2]);
    assert_eq!(c.bytes(), 100);
}

#[test]
fn remove_clear_contains_peek() {
    let c = cache(4, 100);
    c.insert(1, blob(1, 10));
    c.insert(2, blob(2, 20));
    assert!(c.contains(&1));
    assert_eq!(c.peek(&2).unwrap().tag, 2);
    assert_eq!(
        c.metrics().hits() + c.metrics().misses(),
        0,
        "contains/peek do not count"
    );
    assert_eq!(c.remove(&1).unwrap().tag, 1);
    assert!(c.remove(&1).is_none());
    assert_eq!((c.len(), c.bytes()), (1, 20));
    c.clear();
    assert!(c.is_empty());
    assert_eq!(c.bytes(), 0);
    assert_eq!(c.metrics().evictions(), 0);
}

#[test]
fn evicted_values_stay_alive_for_their_holders() {
    let c = cache(1, 100);
    let a = c.insert(1, blob(1, 10));
    c.insert(2, blob(2, 10));
    assert!(!c.contains(&1));
    assert_eq!(a.tag, 1);
    assert_eq!(Arc::strong_count(&a), 1);
}

#[test]
fn metrics_count_hits_misses_and_loads() {
    let c = cache(4, 100);
    assert_eq!(c.metrics().hit_rate(), 0.0);
    assert!(c.get(&1).is_none());
    c.get_or_load(1, || Ok::<_, String>(blob(1, 1))).unwrap();
    c.get_or_load(1, || -> Result<Blob, String> {
        panic!("must not load a cached key")
    })
    .unwrap();
    c.get(&1).unwrap();
    let s = c.metrics().snapshot();
    assert_eq!((s.hits, s.misses, s.loads, s.load_failures), (2, 2, 1, 0));
    assert_eq!(s.hit_rate, 0.5);
    assert!(s.load_time_total > Duration::ZERO);
}

#[test]
fn failed_load_is_not_cached_and_next_call_loads_again() {
    let c = cache(4, 100);
    let e = c
        .get_or_load(1, || Err::<Blob, _>(std::io::Error::other("disk gone")))
        .unwrap_err();
    assert_eq!(e.to_string(), "loading failed: disk gone");
    assert!(std::error::Error::source(&e).is_some());
    assert_eq!(e.into_loader_error().unwrap().to_string(), "disk gone");
    assert!(!c.contains(&1));
    assert_eq!(c.metrics().load_failures(), 1);
    let v = c
        .get_or_load(1, || Ok::<_, std::io::Error>(blob(1, 1)))
        .unwrap();
    assert_eq!(v.tag, 1);
    assert_eq!(c.metrics().loads(), 1);
}

/// Runs `get_or_load(7)` on `n` threads started together. The loader (run
/// by whichever thread leads) holds the load open until all `n` callers
/// have missed, so the others really wait on it (bounded: after 5 s it
/// goes on, and a late caller would simply hit). Returns each thread's
/// outcome (`Err` if it panicked) and how many times the loader ran.
fn contended<T: Send + 'static>(
    n: usize,
    c: Arc<ModelCache<u32, Blob>>,
    load: impl Fn() -> Result<Blob, String> + Send + Sync + 'static,
    map: impl Fn(Result<Arc<Blob>, LoadError<String>>) -> T + Send + Sync + 'static,
) -> (Vec<thread::Result<T>>, usize) {
    let runs = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(n));
    let load = Arc::new(load);
    let map = Arc::new(map);
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (c, runs, barrier, load, map) = (
                Arc::clone(&c),
                Arc::clone(&runs),
                Arc::clone(&barrier),
                Arc::clone(&load),
                Arc::clone(&map),
            );
            thread::spawn(move || {
                barrier.wait();
                let r = c.get_or_load(7, || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    let deadline = Instant::now() + Duration::from_secs(5);
                    while c.metrics().misses() < n as u64 && Instant::now() < deadline {
                        thread::sleep(Duration::from_millis(1));
                    }
                    load()
                });
                map(r)
            })
        })
        .collect();
    let out = handles.into_iter().map(|h| h.join()).collect();
    (out, runs.load(Ordering::SeqCst))
}

#[test]
fn concurrent_misses_of_one_key_load_once_and_share_the_arc() {
    let c = Arc::new(cache(4, 100));
    let (values, runs) = contended(8, Arc::clone(&c), || Ok(blob(7, 5)), |r| r.unwrap());
    let values: Vec<Arc<Blob>> = values.into_iter().map(|v| v.unwrap()).collect();
    assert_eq!(runs, 1);
    assert_eq!(c.metrics().misses(), 8);
    assert_eq!(c.metrics().loads(), 1);
    let first = &values[0];
    assert!(values.iter().all(|v| Arc::ptr_eq(v, first)));
    assert!(Arc::ptr_eq(first, &c.peek(&7).unwrap()));
}

#[test]
fn a_failed_load_reaches_every_waiter() {
    let c = Arc::new(cache(4, 100));
    let (errors, runs) = contended(
        6,
        Arc::clone(&c),
        || Err("bad header".to_string()),
        |r| match r.unwrap_err() {
            LoadError::Failed(e) => format!("failed:{e}"),
            LoadError::Shared(m) => format!("shared:{m}"),
            other => format!("other:{other}"),
        },
    );
    let errors: Vec<String> = errors.into_iter().map(|e| e.unwrap()).collect();
    assert_eq!(runs, 1);
    assert_eq!(
        errors.iter().filter(|e| *e == "failed:bad header").count(),
        1
    );
    assert_eq!(
        errors.iter().filter(|e| *e == "shared:bad header").count(),
        5
    );
    assert!(!c.contains(&7));
    assert_eq!(c.metrics().load_failures(), 1);
}

#[test]
fn a_panicking_loader_releases_its_waiters() {
    let c = Arc::new(cache(4, 100));
    let (outcomes, runs) = contended(
        5,
        Arc::clone(&c),
        || panic!("loader bug (expected by this test)"),
        |r| match r {
            Err(LoadError::Panicked) => "panicked",
            _ => "unexpected",
        },
    );
    assert_eq!(runs, 1);
    // The leader's panic unwinds out of its own call...
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 1);
    // ...and every waiter gets an error, not a hang.
    let waiters: Vec<&str> = outcomes.into_iter().filter_map(|o| o.ok()).collect();
    assert_eq!(waiters, ["panicked"; 4]);
    assert_eq!(c.metrics().load_failures(), 1);
    // Nothing is cached or left in flight: the next call loads.
    let v = c.get_or_load(7, || Ok::<_, String>(blob(70, 1))).unwrap();
    assert_eq!(v.tag, 70);
}

#[test]
fn a_loader_asking_for_its_own_key_gets_an_error() {
    let c = cache(4, 100);
    let inner = std::cell::Cell::new(None);
    let r = c.get_or_load(1, || {
        let again = c.get_or_load(1, || Ok::<_, String>(blob(2, 1)));
        inner.set(Some(matches!(again, Err(LoadError::Reentrant))));
        Ok::<_, String>(blob(1, 1))
    });
    assert_eq!(r.unwrap().tag, 1);
    assert_eq!(inner.get(), Some(true));
}

#[test]
fn loads_of_other_keys_do_not_wait_for_a_slow_one() {
    let c = Arc::new(cache(4, 100));
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let slow = {
        let c = Arc::clone(&c);
        thread::spawn(move || {
            c.get_or_load(1, || {
                started_tx.send(()).unwrap();
                release_rx.recv_timeout(Duration::from_secs(10)).unwrap();
                Ok::<_, String>(blob(1, 1))
            })
            .unwrap()
        })
    };
    started_rx.recv().unwrap();
    // Key 1 is loading; key 2 loads and hits meanwhile.
    assert_eq!(
        c.get_or_load(2, || Ok::<_, String>(blob(2, 1)))
            .unwrap()
            .tag,
        2
    );
    assert!(c.get(&2).is_some());
    release_tx.send(()).unwrap();
    assert_eq!(slow.join().unwrap().tag, 1);
    assert_eq!(c.len(), 2);
}

#[test]
fn concurrent_readers_and_writers_keep_the_limits() {
    const THREADS: u32 = 8;
    const OPS: u32 = 10_000;
    let c = Arc::new(cache(5, 1000));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let c = Arc::clone(&c);
            thread::spawn(move || {
                // xorshift: a cheap reproducible op mix per thread.
                let mut x = 0x9E37_79B9u32 ^ (t + 1).wrapping_mul(0x85EB_CA6B);
                for _ in 0..OPS {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    let key = x % 16;
                    let bytes = 50 + (x >> 8) as usize % 300;
                    match x % 10 {
                        0..=5 => {
                            if let Some(v) = c.get(&key) {
                                assert_eq!(v.tag, key);
                            }
                        }
                        6 | 7 => {
                            let v = c
                                .get_or_load(key, || Ok::<_, String>(blob(key, bytes)))
                                .unwrap();
                            assert_eq!(v.tag, key);
                        }
                        8 => {
                            c.insert(key, blob(key, bytes));
                        }
                        _ => {
                            c.remove(&key);
                        }
                    }
                    assert!(c.len() <= 5);
                    assert!(c.bytes() <= 1000);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let keys = c.keys();
    assert!(keys.len() <= 5 && keys.len() == c.len());
    let sum: usize = keys.iter().map(|k| c.peek(k).unwrap().bytes).sum();
    assert_eq!(sum, c.bytes());
    let m = c.metrics().snapshot();
    assert!(m.hits + m.misses >= u64::from(THREADS * OPS) * 6 / 10);
}

#[test]
fn the_cache_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ModelCache<String, Blob>>();
}

/// A value that records when it is dropped.
struct Tracked(Arc<std::sync::atomic::AtomicBool>);

impl Weighted for Tracked {
    fn weight_bytes(&self) -> usize {
        1
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn an_idle_reader_does_not_keep_an_evicted_value_alive() {
    let c = Arc::new(ModelCache::<u32, Tracked>::new(CacheConfig::new(1, 100)).unwrap());
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    c.insert(1, Tracked(Arc::clone(&dropped)));
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    // A reader that looked key 1 up (its thread now holds a view of the
    // cache) and then stays idle.
    let reader = {
        let c = Arc::clone(&c);
        thread::spawn(move || {
            assert!(c.get(&1).is_some());
            seen_tx.send(()).unwrap();
            done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            c.get(&1).is_none()
        })
    };
    seen_rx.recv().unwrap();
    c.insert(
        2,
        Tracked(Arc::new(std::sync::atomic::AtomicBool::new(false))),
    );
    assert!(
        dropped.load(Ordering::SeqCst),
        "evicted value freed at once"
    );
    done_tx.send(()).unwrap();
    assert!(reader.join().unwrap(), "the reader no longer finds key 1");
}

#[test]
fn removed_keys_are_gone_for_readers_even_while_values_are_held() {
    let c = cache(4, 100);
    let held = c.insert(1, blob(1, 1));
    assert!(c.get(&1).is_some());
    assert!(c.remove(&1).is_some());
    assert!(c.get(&1).is_none());
    c.insert(2, blob(2, 1));
    c.clear();
    assert!(c.get(&2).is_none());
    assert_eq!(held.tag, 1);
}

#[test]
fn readers_see_inserts_from_other_threads() {
    let c = Arc::new(cache(4, 100));
    assert!(c.get(&1).is_none());
    {
        let c = Arc::clone(&c);
        thread::spawn(move || {
            c.insert(1, blob(1, 1));
        })
        .join()
        .unwrap();
    }
    assert_eq!(c.get(&1).unwrap().tag, 1);
    let m = c.metrics();
    assert_eq!((m.hits(), m.misses()), (1, 1));
}

/// Every key hashes to the same value.
#[derive(Clone, Default)]
struct Colliding;

impl std::hash::BuildHasher for Colliding {
    type Hasher = Constant;
    fn build_hasher(&self) -> Constant {
        Constant
    }
}

struct Constant;

impl std::hash::Hasher for Constant {
    fn finish(&self) -> u64 {
        42
    }
    fn write(&mut self, _: &[u8]) {}
}

#[test]
fn colliding_hashes_still_find_the_right_entry() {
    let c = ModelCache::<String, Blob, Colliding>::with_hasher(CacheConfig::new(8, 100), Colliding)
        .unwrap();
    for k in 0..8u32 {
        c.insert(k.to_string(), blob(k, 1));
    }
    for k in 0..8u32 {
        assert_eq!(c.get(k.to_string().as_str()).unwrap().tag, k);
    }
    assert!(c.get("8").is_none());
    c.remove("3");
    assert!(c.get("3").is_none());
    assert_eq!(c.get("7").unwrap().tag, 7);
}
