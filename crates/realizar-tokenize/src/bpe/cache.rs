//! The pre-token → ids cache. Words of up to 15 bytes (nearly all) are
//! packed with their length into a `u128` key and their ids, when at most
//! three, stored inline: a lookup is one hash of two words and one probe,
//! with no pointer to follow and no `memcmp`.

use crate::hash::FxHashMap;

/// The cache is cleared when it holds this many words.
const CAPACITY: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Inline {
    n: u8,
    ids: [u32; 3],
}

/// One model's cache (per thread).
#[derive(Debug, Default)]
pub struct WordCache {
    small: FxHashMap<u128, Inline>,
    big: FxHashMap<Box<[u8]>, Box<[u32]>>,
}

#[inline]
fn pack(word: &[u8]) -> Option<u128> {
    if word.len() > 15 {
        return None;
    }
    let mut b = [0u8; 16];
    b[..word.len()].copy_from_slice(word);
    b[15] = word.len() as u8;
    Some(u128::from_le_bytes(b))
}

impl WordCache {
    /// Appends the cached ids of `word` to `out`; false on a miss.
    #[inline]
    pub fn get(&self, word: &[u8], out: &mut Vec<u32>) -> bool {
        if let Some(k) = pack(word)
            && let Some(v) = self.small.get(&k)
        {
            match v.n {
                1 => out.push(v.ids[0]),
                2 => out.extend_from_slice(&v.ids[..2]),
                _ => out.extend_from_slice(&v.ids[..3]),
            }
            return true;
        }
        match self.big.get(word) {
            Some(ids) => {
                out.extend_from_slice(ids);
                true
            }
            None => false,
        }
    }

    /// Remembers the ids of `word`.
    pub fn insert(&mut self, word: &[u8], ids: &[u32]) {
        if self.small.len() + self.big.len() >= CAPACITY {
            self.small.clear();
            self.big.clear();
        }
        match pack(word) {
            Some(k) if (1..=3).contains(&ids.len()) => {
                let mut v = Inline {
                    n: ids.len() as u8,
                    ids: [0; 3],
                };
                v.ids[..ids.len()].copy_from_slice(ids);
                self.small.insert(k, v);
            }
            _ => {
                self.big.insert(word.into(), ids.into());
            }
        }
    }
}
