//! The BPE model: a vocabulary, merges ranked by priority, and the merge
//! loop that turns one pre-token into ids, with a cache of pre-token → ids.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub use super::cache::WordCache;
use crate::bytes::{byte_to_char, token_to_bytes};
use crate::error::{Error, Result};
use crate::hash::FxHashMap;

/// Below this many symbols a quadratic scan beats the heap.
const HEAP_THRESHOLD: usize = 48;

/// Options of a BPE model, as in `tokenizer.json`'s `model` object.
#[derive(Debug, Clone, Default)]
pub struct BpeOptions {
    /// Words are raw bytes mapped through GPT-2's byte table (byte-level BPE)
    /// rather than characters.
    pub byte_level: bool,
    /// Id of the unknown token, if any.
    pub unk: Option<u32>,
    /// Merge consecutive unknown tokens into one.
    pub fuse_unk: bool,
    /// Characters missing from the vocabulary become `<0xNN>` byte tokens.
    pub byte_fallback: bool,
    /// A word found whole in the vocabulary is emitted without merging.
    pub ignore_merges: bool,
}

/// A byte-pair-encoding model.
#[derive(Debug)]
pub struct BpeModel {
    opts: BpeOptions,
    /// Key bytes (raw bytes for byte-level, UTF-8 of the token otherwise) → id.
    word_vocab: FxHashMap<Box<[u8]>, u32>,
    /// (left, right) → (rank, merged id).
    merges: FxHashMap<(u32, u32), (u32, u32)>,
    /// Byte-level: id of the stand-in character of each byte.
    byte_ids: [Option<u32>; 256],
    /// Byte fallback: id of `<0xNN>`.
    fallback_ids: [Option<u32>; 256],
    /// Key of this model's word cache in each thread's caches.
    instance: u64,
}

impl BpeModel {
    /// Builds a model from the vocabulary (`token → id`) and the merges in
    /// priority order. Merges naming unknown tokens are an error.
    pub fn new(
        vocab: &FxHashMap<String, u32>,
        merges: &[(String, String)],
        opts: BpeOptions,
    ) -> Result<Self> {
        let mut word_vocab = FxHashMap::default();
        let mut key = Vec::new();
        for (tok, &id) in vocab {
            key.clear();
            if opts.byte_level {
                token_to_bytes(tok, &mut key);
            } else {
                key.extend_from_slice(tok.as_bytes());
            }
            word_vocab.insert(key.clone().into_boxed_slice(), id);
        }
        let mut merge_map = FxHashMap::default();
        merge_map.reserve(merges.len());
        let mut joined = String::new();
        for (rank, (a, b)) in merges.iter().enumerate() {
            let missing = |m: &str| Error::UnknownMergeToken {
                index: rank,
                left: a.clone(),
                right: b.clone(),
                missing: m.to_owned(),
            };
            let ia = *vocab.get(a).ok_or_else(|| missing(a))?;
            let ib = *vocab.get(b).ok_or_else(|| missing(b))?;
            joined.clear();
            joined.push_str(a);
            joined.push_str(b);
            let ij = *vocab.get(&joined).ok_or_else(|| missing(&joined))?;
            // The first occurrence of a pair wins, as in the reference.
            merge_map.entry((ia, ib)).or_insert((rank as u32, ij));
        }
        let mut byte_ids = [None; 256];
        let mut fallback_ids = [None; 256];
        for b in 0..=255u8 {
            let mut s = [0u8; 4];
            byte_ids[b as usize] = vocab
                .get(byte_to_char(b).encode_utf8(&mut s) as &str)
                .copied();
            fallback_ids[b as usize] = vocab.get(&format!("<0x{b:02X}>")).copied();
        }
        Ok(Self {
            opts,
            word_vocab,
            merges: merge_map,
            byte_ids,
            fallback_ids,
            instance: super::cache::next_instance(),
        })
    }

    /// Whether words are byte-level.
    pub fn byte_level(&self) -> bool {
        self.opts.byte_level
    }

    /// Drops every word this thread cached for this model (to measure a
    /// cold cache).
    pub fn clear_cache(&self) {
        super::cache::clear_thread_cache(self.instance);
    }

    /// Runs `f` with this thread's word cache for this model (borrowed
    /// once per call, so the per-word path has no lock and no TLS access).
    pub fn with_cache<R>(&self, f: impl FnOnce(&mut WordCache) -> R) -> R {
        super::cache::with_thread_cache(self.instance, f)
    }

    /// Appends the ids of one pre-token to `out`, using `cache`.
    #[inline]
    pub fn encode_word(&self, word: &[u8], cache: &mut WordCache, out: &mut Vec<u32>) {
        if word.is_empty() {
            return;
        }
        cache.get_or_encode(word, out, &mut |w, o| self.encode_word_uncached(w, o));
    }

    /// Appends the ids of one pre-token to `out` without the cache.
    pub fn encode_word_uncached(&self, word: &[u8], out: &mut Vec<u32>) {
        if self.opts.ignore_merges
            && let Some(&id) = self.word_vocab.get(word)
        {
            out.push(id);
            return;
        }
        let mut syms: Vec<u32> = Vec::with_capacity(word.len());
        if self.opts.byte_level {
            for &b in word {
                self.push_unit(self.byte_ids[b as usize], &[b], &mut syms);
            }
        } else {
            // Non byte-level words come from `&str`, so they are UTF-8.
            let text = String::from_utf8_lossy(word);
            let mut buf = [0u8; 4];
            for c in text.chars() {
                let s = c.encode_utf8(&mut buf);
                let id = self.word_vocab.get(s.as_bytes()).copied();
                self.push_unit(id, s.as_bytes(), &mut syms);
            }
        }
        if syms.len() < HEAP_THRESHOLD {
            self.merge_scan(&mut syms);
        } else {
            self.merge_heap(&mut syms);
        }
        out.extend_from_slice(&syms);
    }

    fn push_unit(&self, id: Option<u32>, bytes: &[u8], syms: &mut Vec<u32>) {
        if let Some(id) = id {
            syms.push(id);
            return;
        }
        if self.opts.byte_fallback
            && bytes
                .iter()
                .all(|&b| self.fallback_ids[b as usize].is_some())
        {
            syms.extend(bytes.iter().filter_map(|&b| self.fallback_ids[b as usize]));
            return;
        }
        if let Some(unk) = self.opts.unk {
            // Fused unknowns are kept apart from merges: a merge never
            // produces the unknown token, so the fused run stays one symbol.
            if self.opts.fuse_unk && syms.last() == Some(&unk) {
                return;
            }
            syms.push(unk);
        }
        // Neither byte fallback nor an unknown token: the reference drops it.
    }

    #[inline]
    fn rank(&self, a: u32, b: u32) -> Option<(u32, u32)> {
        self.merges.get(&(a, b)).copied()
    }

    /// Repeatedly merges the lowest-ranked adjacent pair (leftmost on ties).
    fn merge_scan(&self, syms: &mut Vec<u32>) {
        let mut ranks: Vec<Option<(u32, u32)>> =
            syms.windows(2).map(|w| self.rank(w[0], w[1])).collect();
        loop {
            let mut best: Option<(usize, u32, u32)> = None;
            for (i, r) in ranks.iter().enumerate() {
                if let Some((rank, id)) = *r
                    && best.is_none_or(|(_, br, _)| rank < br)
                {
                    best = Some((i, rank, id));
                }
            }
            let Some((i, _, id)) = best else { break };
            syms[i] = id;
            syms.remove(i + 1);
            ranks.remove(i);
            if i + 1 < syms.len() {
                ranks[i] = self.rank(syms[i], syms[i + 1]);
            }
            if i > 0 {
                ranks[i - 1] = self.rank(syms[i - 1], syms[i]);
            }
        }
    }

    /// The same merge order with a priority queue over a linked list, for
    /// long words: O(n log n).
    fn merge_heap(&self, syms: &mut Vec<u32>) {
        let n = syms.len();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut next: Vec<usize> = (1..=n).collect();
        let mut alive = vec![true; n];
        let mut heap = BinaryHeap::new();
        for i in 0..n - 1 {
            if let Some((rank, id)) = self.rank(syms[i], syms[i + 1]) {
                heap.push(Reverse((rank, i, id)));
            }
        }
        while let Some(Reverse((rank, i, id))) = heap.pop() {
            if !alive[i] || next[i] >= n {
                continue;
            }
            let j = next[i];
            if self.rank(syms[i], syms[j]) != Some((rank, id)) {
                continue;
            }
            syms[i] = id;
            alive[j] = false;
            next[i] = next[j];
            if next[i] < n {
                prev[next[i]] = i;
                if let Some((r, m)) = self.rank(syms[i], syms[next[i]]) {
                    heap.push(Reverse((r, i, m)));
                }
            }
            let p = prev[i];
            if p < n
                && let Some((r, m)) = self.rank(syms[p], syms[i])
            {
                heap.push(Reverse((r, p, m)));
            }
        }
        let mut k = 0;
        for i in 0..n {
            if alive[i] {
                syms[k] = syms[i];
                k += 1;
            }
        }
        syms.truncate(k);
    }
}
