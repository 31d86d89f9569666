//! The pre-token → ids cache. Words of up to 31 bytes (nearly all) are
//! packed with their length into one or two `u128` keys, so a hit is a
//! key compare with no pointer to follow and no `memcmp`. Words of up to
//! 15 bytes live in an open-addressed table (`word_table.rs`) with up to
//! four ids inline; [`WordCache::stage`] and [`WordCache::flush`] look up
//! a batch of words with their memory accesses overlapped. Longer words
//! live in hash maps, their ids stored the same way. Longer encodings live
//! in one shared arena, so no word costs an allocation.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::word_table::{Entry, INLINE, Ids, Probe, Table};
use crate::hash::FxHashMap;

/// Models whose caches a thread keeps at once (the oldest is dropped).
const MAX_MODELS_PER_THREAD: usize = 8;

static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Per thread: (model instance, its word → ids cache).
    static CACHES: RefCell<Vec<(u64, WordCache)>> = const { RefCell::new(Vec::new()) };
}

/// A fresh key for one model's caches.
pub(crate) fn next_instance() -> u64 {
    NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed)
}

/// Drops every word this thread cached for model `instance`.
pub(crate) fn clear_thread_cache(instance: u64) {
    CACHES.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            c.retain(|(id, _)| *id != instance);
        }
    });
}

/// Runs `f` with this thread's word cache for model `instance` (a
/// throwaway cache if the thread's caches are already borrowed, e.g. by a
/// re-entrant call).
pub(crate) fn with_thread_cache<R>(instance: u64, f: impl FnOnce(&mut WordCache) -> R) -> R {
    CACHES.with(|caches| {
        let Ok(mut caches) = caches.try_borrow_mut() else {
            return f(&mut WordCache::default());
        };
        let pos = match caches.iter().position(|(id, _)| *id == instance) {
            Some(p) => p,
            None => {
                if caches.len() >= MAX_MODELS_PER_THREAD {
                    caches.remove(0);
                }
                caches.push((instance, WordCache::default()));
                caches.len() - 1
            }
        };
        f(&mut caches[pos].1)
    })
}

/// The long-word maps are cleared when they hold this many words.
const CAPACITY: usize = 100_000;
/// Everything is cleared when the arena of long encodings holds this many
/// ids (evicted short entries leave their arena ids behind).
const ARENA_MAX: usize = 1 << 22;
/// Words longer than this (in bytes) are not cached.
pub const MAX_WORD: usize = 1024;
/// Words looked up together by [`WordCache::flush`].
pub const BATCH: usize = 32;

/// One model's cache (per thread): words of up to 15 bytes in an
/// open-addressed table, longer ones in hash maps.
#[derive(Debug)]
pub struct WordCache {
    short: Table,
    long: FxHashMap<(u128, u128), Ids>,
    huge: FxHashMap<Box<[u8]>, Ids>,
    arena: Vec<u32>,
    /// The words staged for [`WordCache::flush`].
    batch: Box<Batch>,
    /// The arena size that empties the cache ([`ARENA_MAX`]).
    arena_max: usize,
}

/// `word` (at most 16 bytes) as little-endian bytes of a `u128`, zero-padded.
///
/// Built from two fixed-size, possibly overlapping loads with the overlap
/// shifted out, instead of a variable-length copy: no `memcpy` call on the
/// hottest path of encoding.
#[inline]
fn load(word: &[u8]) -> u128 {
    let n = word.len();
    let u32_at = |i: usize| u32::from_le_bytes([word[i], word[i + 1], word[i + 2], word[i + 3]]);
    let u64_at = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&word[i..i + 8]);
        u64::from_le_bytes(b)
    };
    match n {
        0 => 0,
        1..=3 => {
            let mut v = u128::from(word[0]);
            if n >= 2 {
                v |= u128::from(word[1]) << 8;
            }
            if n == 3 {
                v |= u128::from(word[2]) << 16;
            }
            v
        }
        4 => u128::from(u32_at(0)),
        5..=7 => {
            let hi = u32_at(n - 4) >> (8 * (8 - n));
            u128::from(u32_at(0)) | u128::from(hi) << 32
        }
        8 => u128::from(u64_at(0)),
        9..=15 => {
            let hi = u64_at(n - 8) >> (8 * (16 - n));
            u128::from(u64_at(0)) | u128::from(hi) << 64
        }
        _ => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&word[..16]);
            u128::from_le_bytes(b)
        }
    }
}

/// Keys: a word of up to 15 bytes is one `u128` with its length in the
/// top byte; up to 31 bytes, two (the length in the second's top byte).
enum Key<'a> {
    Short(u128),
    Long(u128, u128),
    Huge(&'a [u8]),
}

#[inline]
fn key(word: &[u8]) -> Key<'_> {
    let len = (word.len() as u128) << 120;
    if word.len() <= 15 {
        Key::Short(load(word) | len)
    } else if word.len() <= 31 {
        // The last 16 bytes, with the part already in the first key shifted out.
        let n = word.len();
        let tail = if n == 16 {
            0
        } else {
            load(&word[n - 16..]) >> (8 * (32 - n))
        };
        Key::Long(load(&word[..16]), tail | len)
    } else {
        Key::Huge(word)
    }
}

impl Default for WordCache {
    fn default() -> Self {
        Self {
            short: Table::default(),
            long: FxHashMap::default(),
            huge: FxHashMap::default(),
            arena: Vec::new(),
            batch: Box::new(Batch {
                start: 0,
                len: 0,
                ends: [0; BATCH],
                keys: [0; BATCH],
                probes: [Probe::NONE; BATCH],
            }),
            arena_max: ARENA_MAX,
        }
    }
}

impl WordCache {
    /// Appends a word's cached ids to `out`.
    #[inline(always)]
    fn emit(&self, ids: &Ids, out: &mut Vec<u32>) {
        match ids.get() {
            Some(inline) => out.extend_from_slice(&inline[..ids.n as usize]),
            None => {
                let (start, len) = ids.arena();
                out.extend_from_slice(&self.arena[start..start + len]);
            }
        }
    }

    /// Appends the cached ids of `word` to `out`; false on a miss.
    #[inline]
    pub fn get(&self, word: &[u8], out: &mut Vec<u32>) -> bool {
        let ids = match key(word) {
            Key::Short(k) => self.short.get(k).map(|e| &e.ids),
            Key::Long(a, b) => self.long.get(&(a, b)),
            Key::Huge(w) => self.huge.get(w),
        };
        let Some(ids) = ids else { return false };
        self.emit(ids, out);
        true
    }

    /// Appends `ids` to the arena: `[start, len]`, or `None` past 4 G ids.
    fn push_arena(&mut self, ids: &[u32]) -> Option<[u32; 2]> {
        let start = u32::try_from(self.arena.len()).ok()?;
        let len = u32::try_from(ids.len()).ok()?;
        self.arena.extend_from_slice(ids);
        Some([start, len])
    }

    /// Remembers the ids of `word` (which must not be cached yet).
    pub fn insert(&mut self, word: &[u8], ids: &[u32]) {
        if self.arena.len() >= self.arena_max {
            // Every cached word goes (entries point into the arena); the
            // staged batch stays (a flush may be inserting).
            self.short = Table::default();
            self.long.clear();
            self.huge.clear();
            self.arena.clear();
        }
        if self.long.len() + self.huge.len() >= CAPACITY {
            // Long words' arena ids stay until the arena is cleared.
            self.long.clear();
            self.huge.clear();
        }
        let ids = match Ids::inline(ids) {
            Some(inline) => inline,
            None => {
                let Some([start, len]) = self.push_arena(ids) else {
                    return; // an arena past 4 G ids: not worth caching
                };
                Ids::in_arena(start, len)
            }
        };
        match key(word) {
            Key::Short(key) => self.short.insert(Entry { key, ids }),
            Key::Long(a, b) => {
                self.long.insert((a, b), ids);
            }
            Key::Huge(w) => {
                self.huge.insert(w.into(), ids);
            }
        }
    }

    /// Appends the ids of `word`: from the cache, or from `encode` (and
    /// then cached, if the word is at most [`MAX_WORD`] bytes).
    #[inline]
    pub fn get_or_encode(
        &mut self,
        word: &[u8],
        out: &mut Vec<u32>,
        encode: &mut impl FnMut(&[u8], &mut Vec<u32>),
    ) {
        if word.len() > MAX_WORD {
            return encode(word, out);
        }
        if self.get(word, out) {
            return;
        }
        let start = out.len();
        encode(word, out);
        self.insert(word, &out[start..]);
    }

    /// Drops any staged words (left by a call that unwound mid-batch).
    pub fn discard_staged(&mut self) {
        self.batch.len = 0;
    }

    /// Stages the word `text[s..e]` (non-empty, starting where the last
    /// staged word ended) for the next [`Self::flush`]: a short word's key
    /// is built and hashed now, and its home entry's load started, so the
    /// entry reads of a whole batch overlap. True when the batch is full
    /// (flush it then).
    #[inline(always)]
    pub fn stage(&mut self, text: &[u8], s: usize, e: usize) -> bool {
        let b = &mut *self.batch;
        let k = b.len;
        if k == 0 {
            b.start = s;
        }
        b.ends[k] = e;
        let n = e - s;
        // A longer word's probe finds nothing (its key is not read).
        b.probes[k] = Probe::NONE;
        if n <= 15 {
            // One unaligned 16-byte load masked to the word, where the text
            // has 16 bytes from `s`.
            let w = match text.get(s..s + 16) {
                Some(w16) => {
                    let mut bytes = [0u8; 16];
                    bytes.copy_from_slice(w16);
                    u128::from_le_bytes(bytes) & KEEP[n]
                }
                None => load(&text[s..e]),
            };
            b.keys[k] = w | (n as u128) << 120;
            b.probes[k] = self.short.locate(b.keys[k]);
        }
        b.len = k + 1;
        b.len == BATCH
    }

    /// Appends the ids of the staged words to `out`, as
    /// [`Self::get_or_encode`] would one by one, and empties the batch.
    ///
    /// Inline hits are written branch-free (all four slots written,
    /// the length set), so no branch waits on an entry's id count. A probe
    /// made stale by an insert on a miss can only miss (the key compare is
    /// exact); a miss looks the word up afresh.
    pub fn flush(
        &mut self,
        text: &[u8],
        out: &mut Vec<u32>,
        encode: &mut impl FnMut(&[u8], &mut Vec<u32>),
    ) {
        // Room for every inline hit, so the pushes below never reallocate.
        out.reserve(self.batch.len * INLINE);
        let mut s = self.batch.start;
        for k in 0..self.batch.len {
            let (key, probe, e) = (self.batch.keys[k], self.batch.probes[k], self.batch.ends[k]);
            match self.short.find(key, probe) {
                Some(entry) if entry.ids.n as usize <= INLINE => {
                    // All slots pushed, the unused ones dropped: no branch
                    // on the id count.
                    let keep = out.len() + entry.ids.n as usize;
                    out.extend_from_slice(&entry.ids.unpack());
                    out.truncate(keep);
                }
                _ => self.get_or_encode(&text[s..e], out, encode),
            }
            s = e;
        }
        self.batch.len = 0;
    }
}

/// `KEEP[n]`: the low `n` bytes of a `u128`.
const KEEP: [u128; 16] = {
    let mut t = [0u128; 16];
    let mut n = 1;
    while n < 16 {
        t[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    t
};

/// Words staged for [`WordCache::flush`].
#[derive(Debug)]
struct Batch {
    /// Start of the first word.
    start: usize,
    len: usize,
    ends: [usize; BATCH],
    keys: [u128; BATCH],
    probes: [Probe; BATCH],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_emptied_by_an_insert_inside_a_flush_finishes_the_batch() {
        // Words of five ids each go to the arena; a tiny arena bound makes
        // the inserts of one flush empty the cache several times over.
        let text: Vec<u8> = (0..200u32)
            .flat_map(|i| [b'a' + (i % 26) as u8, b'0' + (i / 26) as u8, b' '])
            .collect();
        let mut encode =
            |w: &[u8], o: &mut Vec<u32>| o.extend(w.iter().map(|&b| u32::from(b)).chain([7, 7]));
        let mut want = Vec::new();
        for w in text.chunks(3) {
            encode(w, &mut want);
        }
        for round in 0..2 {
            let mut c = WordCache {
                arena_max: 12,
                ..WordCache::default()
            };
            let mut out = Vec::new();
            for (k, s) in (0..text.len()).step_by(3).enumerate() {
                if c.stage(&text, s, s + 3) {
                    c.flush(&text, &mut out, &mut encode);
                }
                if round == 1 && k % 7 == 0 {
                    c.flush(&text, &mut out, &mut encode);
                }
            }
            c.flush(&text, &mut out, &mut encode);
            assert_eq!(out, want, "round {round}");
        }
    }

    #[test]
    fn load_equals_a_zero_padded_copy() {
        let bytes: Vec<u8> = (1..=16).map(|i| i * 13).collect();
        for n in 0..=16 {
            let mut b = [0u8; 16];
            b[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(load(&bytes[..n]), u128::from_le_bytes(b), "length {n}");
        }
    }

    #[test]
    fn words_of_every_length_and_id_count_round_trip() {
        let mut c = WordCache::default();
        let words: Vec<Vec<u8>> = (0..70)
            .map(|n| (0..n).map(|i| b'a' + (i % 26) as u8).collect())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let ids: Vec<u32> = (0..(i % 7) as u32).map(|j| j * 1000 + i as u32).collect();
            c.insert(w, &ids);
        }
        for (i, w) in words.iter().enumerate() {
            let want: Vec<u32> = (0..(i % 7) as u32).map(|j| j * 1000 + i as u32).collect();
            let mut out = vec![7];
            assert!(c.get(w, &mut out), "word of {} bytes", w.len());
            assert_eq!(out[1..], want[..], "word of {} bytes", w.len());
        }
        // Same bytes, different lengths: trailing zero bytes are not padding.
        c.insert(b"ab\0", &[1]);
        let mut out = Vec::new();
        assert!(c.get(b"ab", &mut out));
        assert_ne!(out, vec![1]);
        assert!(!c.get(b"zz", &mut out));
    }
}
