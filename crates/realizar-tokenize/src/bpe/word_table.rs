//! The open-addressed table behind the word cache for words of up to 15
//! bytes (nearly every pre-token). A word's key is its bytes and length
//! packed into a `u128`, so a hit is one 16-byte compare.
//!
//! Layout: a row of one-byte tags (a slice of the key's hash, 0 = empty)
//! beside the 32-byte entries (key, id count, up to [`INLINE`] ids). A
//! key lives in the 16-slot window after its home slot, most often in the
//! home slot itself: a lookup compares the key there, and only on a miss
//! reads the window's 16 tags with one load and touches the entries whose
//! tag matches. The split into [`Table::locate`] (hash, and a prefetch of
//! the home entry) and [`Table::find`] lets a caller locate a batch of
//! words before it reads any entry, so their memory accesses overlap.
//!
//! There is no deletion: an insert takes the first empty slot of the window
//! (so a present key always sits before the first empty slot), or evicts
//! the home slot when the window is full. The table doubles while it is
//! less than [`MAX_SLOTS`] and more than half full, then starts evicting.

/// Slots a key may live in after its home slot.
pub(crate) const WINDOW: usize = 16;
/// Slots of a new table.
const MIN_SLOTS: usize = 1 << 12;
/// Growth stops here (4 MiB of entries); past it, inserts evict.
const MAX_SLOTS: usize = 1 << 17;

/// Ids an entry holds inline, 24 bits each (a 2k-vocabulary BPE splits 97%
/// of English pre-tokens into at most four ids; any real vocabulary fits
/// 24 bits).
pub(crate) const INLINE: usize = 4;

/// A word's ids: up to [`INLINE`] of at most 24 bits packed in 12 bytes,
/// or (`n > INLINE`) where they are in the cache's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Ids {
    pub n: u32,
    packed: [u8; 12],
}

impl Ids {
    /// `ids` held inline; `None` if there are more than [`INLINE`] or one
    /// needs more than 24 bits.
    pub fn inline(ids: &[u32]) -> Option<Self> {
        if ids.len() > INLINE || ids.iter().any(|&id| id >> 24 != 0) {
            return None;
        }
        let mut packed = [0u8; 12];
        for (k, id) in ids.iter().enumerate() {
            packed[3 * k..3 * k + 3].copy_from_slice(&id.to_le_bytes()[..3]);
        }
        Some(Self {
            n: ids.len() as u32,
            packed,
        })
    }

    /// `len` ids at `start` in the arena.
    pub fn in_arena(start: u32, len: u32) -> Self {
        let mut packed = [0u8; 12];
        packed[..4].copy_from_slice(&start.to_le_bytes());
        packed[4..8].copy_from_slice(&len.to_le_bytes());
        Self {
            n: u32::MAX,
            packed,
        }
    }

    /// The inline ids (all [`INLINE`] slots; the first `n` are the word's),
    /// or `None` for ids in the arena.
    #[inline(always)]
    pub fn get(&self) -> Option<[u32; INLINE]> {
        (self.n as usize <= INLINE).then(|| self.unpack())
    }

    /// The four 24-bit fields, without a branch.
    #[inline(always)]
    pub fn unpack(&self) -> [u32; INLINE] {
        let mut lo = [0u8; 8];
        lo.copy_from_slice(&self.packed[..8]);
        let lo = u64::from_le_bytes(lo);
        let mut hi = [0u8; 4];
        hi.copy_from_slice(&self.packed[8..]);
        let hi = u32::from_le_bytes(hi);
        const M: u64 = 0xff_ffff;
        [
            (lo & M) as u32,
            (lo >> 24 & M) as u32,
            ((lo >> 48) as u32 | hi << 16) & M as u32,
            hi >> 8,
        ]
    }

    /// `(start, len)` of ids in the arena.
    pub fn arena(&self) -> (usize, usize) {
        let mut a = [0u8; 4];
        a.copy_from_slice(&self.packed[..4]);
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.packed[4..8]);
        (
            u32::from_le_bytes(a) as usize,
            u32::from_le_bytes(b) as usize,
        )
    }
}

/// One cached word: its key and its ids (32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(32))]
pub(crate) struct Entry {
    pub key: u128,
    pub ids: Ids,
}

/// The key of an empty slot: no word packs to it (its length byte would
/// be 255).
const EMPTY: Entry = Entry {
    key: u128::MAX,
    ids: Ids {
        n: 0,
        packed: [0; 12],
    },
};

/// Where a key's search starts: its home slot and its tag.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    home: usize,
    tag: u8,
}

impl Probe {
    /// A probe that finds nothing.
    pub const NONE: Self = Self {
        home: usize::MAX,
        tag: 0,
    };
}

/// The table (see the module docs).
#[derive(Debug)]
pub(crate) struct Table {
    tags: Vec<u8>,
    entries: Vec<Entry>,
    /// log2 of the home-slot count.
    bits: u32,
    len: usize,
}

impl Default for Table {
    fn default() -> Self {
        Self::with_slots(MIN_SLOTS)
    }
}

/// 64-bit hash of a key: a folded 64 × 64 → 128-bit multiply of its two
/// halves (each mixed with a constant); the top bits are used.
#[inline(always)]
fn hash(key: u128) -> u64 {
    const K1: u64 = 0x243f_6a88_85a3_08d3;
    const K2: u64 = 0x1319_8a2e_0370_7344;
    let (lo, hi) = (key as u64 ^ K1, (key >> 64) as u64 ^ K2);
    let p = u128::from(lo) * u128::from(hi);
    (p as u64) ^ (p >> 64) as u64
}

/// Asks the CPU to start loading `e`'s cache line (a hint; nothing on
/// targets without one).
#[inline(always)]
fn prefetch(e: &Entry) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints the cache: it reads nothing and cannot
    // fault; the pointer comes from a reference. SSE is part of the x86-64
    // baseline.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((e as *const Entry).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = e;
}

#[cfg(any(test, not(target_arch = "x86_64")))]
const LSB: u128 = 0x0101_0101_0101_0101_0101_0101_0101_0101;
#[cfg(any(test, not(target_arch = "x86_64")))]
const MSB: u128 = LSB << 7;

/// Bit `j` set where byte `j` of `x` may be zero: exact for the lowest
/// zero byte, and may also flag a byte above a zero one (callers check).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn zero_bytes(x: u128) -> u32 {
    let z = x.wrapping_sub(LSB) & !x & MSB;
    // Gather the 16 flag bits (bit 7 of each byte) into the low 16 bits.
    let lo = (z as u64) >> 7;
    let hi = ((z >> 64) as u64) >> 7;
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let lo = (lo.wrapping_mul(GATHER) >> 56) as u32;
    let hi = (hi.wrapping_mul(GATHER) >> 56) as u32;
    lo | hi << 8
}

impl Table {
    fn with_slots(slots: usize) -> Self {
        Self {
            tags: vec![0; slots + WINDOW],
            entries: vec![EMPTY; slots + WINDOW],
            bits: slots.trailing_zeros(),
            len: 0,
        }
    }

    /// Keys stored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Home slot and tag of `key`.
    #[inline(always)]
    fn place(&self, key: u128) -> (usize, u8) {
        let h = hash(key);
        let home = (h >> (64 - self.bits)) as usize;
        // The byte just below the home bits, never 0 (0 marks empty).
        let tag = ((h >> (56 - self.bits)) as u8) | 1;
        (home, tag)
    }

    /// Hashes `key` and starts loading its home slot's entry (most keys
    /// sit there), without waiting for it.
    #[inline(always)]
    pub fn locate(&self, key: u128) -> Probe {
        let (home, tag) = self.place(key);
        prefetch(&self.entries[home]);
        Probe { home, tag }
    }

    /// The entry of the located key, if present: the home slot first, then
    /// the slots of the window whose tag matches.
    #[inline(always)]
    pub fn find(&self, key: u128, p: Probe) -> Option<&Entry> {
        // `get`: a probe made before the table was replaced by a smaller
        // one may point past the end; it just misses.
        let home = self.entries.get(p.home)?;
        if home.key == key {
            return Some(home);
        }
        let mut c = self.matching(p.home, p.tag) & !1;
        while c != 0 {
            let e = self.entries.get(p.home + c.trailing_zeros() as usize)?;
            if e.key == key {
                return Some(e);
            }
            c &= c - 1;
        }
        None
    }

    /// Looks `key` up.
    #[inline]
    pub fn get(&self, key: u128) -> Option<&Entry> {
        self.find(key, self.locate(key))
    }

    /// Bit `j` set where the tag of slot `home + j` is `tag` (for `tag`
    /// 0: the empty slots; may flag extra slots, never misses one, and is
    /// exact for the lowest).
    #[inline(always)]
    fn matching(&self, home: usize, tag: u8) -> u32 {
        let Some(window) = self.tags.get(home..home.saturating_add(WINDOW)) else {
            return 0;
        };
        let window: &[u8; WINDOW] = window.try_into().unwrap_or(&[0; WINDOW]);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of the x86-64 baseline; `window` is 16 bytes.
        return unsafe { x86::matching(window, tag) };
        #[cfg(not(target_arch = "x86_64"))]
        zero_bytes(u128::from_le_bytes(*window) ^ (u128::from(tag) * LSB))
    }

    /// Stores `e` (whose key is not in the table); may grow the table or,
    /// at its size bound with the key's window full, evict the home slot.
    pub fn insert(&mut self, e: Entry) {
        let can_grow = |t: &Self| (1usize << t.bits) < MAX_SLOTS;
        if self.len * 2 >= 1 << self.bits && can_grow(self) {
            self.grow();
        }
        while !self.place_entry(e, false) {
            if !can_grow(self) {
                self.place_entry(e, true);
                return;
            }
            self.grow();
        }
    }

    /// Puts `e` in the first empty slot of its window; false if there is
    /// none, unless `evict`, which then overwrites the home slot.
    fn place_entry(&mut self, e: Entry, evict: bool) -> bool {
        let (home, tag) = self.place(e.key);
        let empty = self.matching(home, 0);
        // The lowest flagged byte is exact: a real empty slot.
        let slot = if empty != 0 {
            self.len += 1;
            home + empty.trailing_zeros() as usize
        } else if evict {
            home
        } else {
            return false;
        };
        self.tags[slot] = tag;
        self.entries[slot] = e;
        true
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, Self::with_slots(2 << self.bits));
        for (t, e) in old.tags.iter().zip(&old.entries) {
            if *t != 0 {
                // A full window while rehashing (very rare): drop that key.
                self.place_entry(*e, false);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::WINDOW;

    /// Bit `j` set where `window[j] == tag`.
    ///
    /// # Safety
    /// The CPU must support SSE2 (every x86-64 CPU does).
    #[target_feature(enable = "sse2")]
    #[inline]
    pub(super) unsafe fn matching(window: &[u8; WINDOW], tag: u8) -> u32 {
        // SAFETY: `window` is 16 readable bytes; unaligned load.
        let w = unsafe { _mm_loadu_si128(window.as_ptr().cast()) };
        _mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8(tag as i8))) as u32 & 0xffff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: u128) -> Entry {
        Entry {
            key,
            ids: Ids::inline(&[key as u32 & 0xff_ffff]).unwrap(),
        }
    }

    #[test]
    fn tag_matching_flags_every_match_and_is_exact_for_the_lowest() {
        let mut t = Table::default();
        let mut state = 0x9e37_79b9u64;
        for (i, tag) in t.tags.iter_mut().enumerate() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *tag = if i % 3 == 0 { 0 } else { (state % 5) as u8 };
        }
        for home in 0..t.tags.len() - WINDOW {
            for tag in 0..5u8 {
                let got = t.matching(home, tag);
                let want: u32 = (0..WINDOW)
                    .filter(|&j| t.tags[home + j] == tag)
                    .map(|j| 1 << j)
                    .sum();
                assert_eq!(got & want, want);
                assert_eq!(got.trailing_zeros(), want.trailing_zeros());
            }
        }
    }

    #[test]
    fn ids_pack_into_24_bits_and_back() {
        let ids = [0, 0xff_ffff, 0x12_3456, 7];
        for n in 0..=INLINE {
            let e = Ids::inline(&ids[..n]).unwrap();
            assert_eq!(e.n as usize, n);
            assert_eq!(e.get().unwrap()[..n], ids[..n]);
        }
        assert!(Ids::inline(&[1 << 24]).is_none());
        assert!(Ids::inline(&[1; INLINE + 1]).is_none());
        let e = Ids::in_arena(77, 9);
        assert_eq!((e.get(), e.arena()), (None, (77, 9)));
    }

    #[test]
    fn zero_bytes_flags_every_zero_and_is_exact_for_the_lowest() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut bytes = [0u8; 16];
            for b in &mut bytes {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Zero a quarter of the bytes, keep small values common.
                *b = match state % 4 {
                    0 => 0,
                    1 => (state >> 8) as u8 & 3,
                    _ => (state >> 16) as u8,
                };
            }
            let z = zero_bytes(u128::from_le_bytes(bytes));
            let truth: u32 = (0..16).filter(|&j| bytes[j] == 0).map(|j| 1 << j).sum();
            assert_eq!(z & truth, truth, "{bytes:?}");
            assert_eq!(z.trailing_zeros(), truth.trailing_zeros(), "{bytes:?}");
        }
    }

    #[test]
    fn keys_survive_growth_and_are_found_by_locate_and_find() {
        let mut t = Table::default();
        let keys: Vec<u128> = (1..40_000u128)
            .map(|i| i * 0x1_0000_0001 + (i << 120))
            .collect();
        for &k in &keys {
            assert!(t.get(k).is_none());
            t.insert(entry(k));
        }
        assert_eq!(t.len(), keys.len());
        for &k in &keys {
            let p = t.locate(k);
            assert_eq!(t.find(k, p), Some(&entry(k)));
        }
        assert!(t.get(0xdead_beef).is_none());
    }

    #[test]
    fn a_full_table_evicts_instead_of_growing_past_its_bound() {
        let mut t = Table::default();
        for i in 1..(MAX_SLOTS as u128 * 3) {
            let k = i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
            t.insert(entry(k));
            // The key just inserted is always found.
            assert_eq!(
                t.get(k).map(|e| e.ids.unpack()[0]),
                Some(k as u32 & 0xff_ffff)
            );
        }
        assert_eq!(t.tags.len(), MAX_SLOTS + WINDOW);
        assert!(t.len() <= MAX_SLOTS + WINDOW);
    }
}
