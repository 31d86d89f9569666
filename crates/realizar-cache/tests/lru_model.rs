//! Property test: single-threaded, `ModelCache` behaves exactly like a
//! plain LRU list (front = least recently used) with a count and a byte
//! limit, on random sequences of operations.

use proptest::prelude::*;
use realizar_cache::{CacheConfig, ModelCache, Weighted};

#[derive(Debug)]
struct Blob(usize);

impl Weighted for Blob {
    fn weight_bytes(&self) -> usize {
        self.0
    }
}

#[derive(Debug, Clone)]
enum Op {
    Get(u8),
    Insert(u8, usize),
    Remove(u8),
    Load(u8, usize, bool),
    Contains(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..10;
    let bytes = 0usize..60;
    prop_oneof![
        3 => key.clone().prop_map(Op::Get),
        3 => (key.clone(), bytes.clone()).prop_map(|(k, b)| Op::Insert(k, b)),
        1 => key.clone().prop_map(Op::Remove),
        2 => (key.clone(), bytes, any::<bool>()).prop_map(|(k, b, ok)| Op::Load(k, b, ok)),
        1 => key.prop_map(Op::Contains),
    ]
}

/// The reference: entries in use order, least recent first.
struct Model {
    entries: Vec<(u8, usize)>,
    max_entries: usize,
    max_bytes: usize,
    evictions: u64,
    hits: u64,
    misses: u64,
}

impl Model {
    fn find(&self, k: u8) -> Option<usize> {
        self.entries.iter().position(|e| e.0 == k)
    }

    fn get(&mut self, k: u8) -> bool {
        match self.find(k) {
            Some(i) => {
                let e = self.entries.remove(i);
                self.entries.push(e);
                self.hits += 1;
                true
            }
            None => {
                self.misses += 1;
                false
            }
        }
    }

    fn insert(&mut self, k: u8, b: usize) {
        if let Some(i) = self.find(k) {
            self.entries.remove(i);
        }
        if b > self.max_bytes {
            return;
        }
        while self.entries.len() >= self.max_entries || self.bytes() + b > self.max_bytes {
            self.entries.remove(0);
            self.evictions += 1;
        }
        self.entries.push((k, b));
    }

    fn bytes(&self) -> usize {
        self.entries.iter().map(|e| e.1).sum()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matches_a_reference_lru(
        max_entries in 1usize..6,
        max_bytes in 1usize..150,
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let cache = ModelCache::new(CacheConfig::new(max_entries, max_bytes)).unwrap();
        let mut model = Model { entries: Vec::new(), max_entries, max_bytes, evictions: 0, hits: 0, misses: 0 };
        for op in ops {
            match op {
                Op::Get(k) => {
                    prop_assert_eq!(cache.get(&k).is_some(), model.get(k));
                }
                Op::Insert(k, b) => {
                    prop_assert_eq!(cache.insert(k, Blob(b)).0, b);
                    model.insert(k, b);
                }
                Op::Remove(k) => {
                    let expected = model.find(k).map(|i| model.entries.remove(i).1);
                    prop_assert_eq!(cache.remove(&k).map(|v| v.0), expected);
                }
                Op::Load(k, b, ok) => {
                    let r = cache.get_or_load(k, || if ok { Ok(Blob(b)) } else { Err("refused") });
                    if model.get(k) {
                        prop_assert!(r.is_ok());
                    } else if ok {
                        prop_assert_eq!(r.unwrap().0, b);
                        model.insert(k, b);
                    } else {
                        prop_assert!(r.is_err());
                    }
                }
                Op::Contains(k) => {
                    prop_assert_eq!(cache.contains(&k), model.find(k).is_some());
                }
            }
            let expected: Vec<u8> = model.entries.iter().rev().map(|e| e.0).collect();
            prop_assert_eq!(cache.keys(), expected);
            prop_assert_eq!(cache.bytes(), model.bytes());
            prop_assert_eq!(cache.len(), model.entries.len());
            prop_assert!(cache.len() <= max_entries && cache.bytes() <= max_bytes);
            let m = cache.metrics();
            prop_assert_eq!((m.evictions(), m.hits(), m.misses()), (model.evictions, model.hits, model.misses));
        }
    }
}
