//! SentencePiece BPE: start from characters (user-defined symbols whole),
//! repeatedly merge the adjacent pair whose concatenation is the
//! highest-scoring piece (leftmost on ties), as `bpe_model.cc` does.
//!
//! The merge runs on ids: a table maps each pair of pieces whose
//! concatenation is a piece to that piece's score and id, so the loop never
//! builds or hashes a string. A word with a character that is not a piece
//! takes the string path (a pair of strings looked up as their
//! concatenation), which is the reference's algorithm verbatim. When words
//! cannot interact (no piece has a `▁` after another character), each
//! word's ids are cached.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::SentencePiece;
use super::proto::Piece;
use crate::bpe::cache::{WordCache, with_thread_cache};
use crate::hash::FxHashMap;

/// Words longer than this (in bytes) are not cached.
const CACHE_MAX_WORD: usize = 256;
/// Below this many symbols a quadratic scan beats the heap.
const HEAP_THRESHOLD: usize = 32;
/// No id.
const NONE: u32 = u32::MAX;
/// `▁` in UTF-8.
const SPACE: &[u8] = "\u{2581}".as_bytes();

/// The id tables of a BPE model.
#[derive(Debug)]
pub(super) struct Tables {
    /// Id of each ASCII character's piece (`NONE` if it is not one).
    ascii: [u32; 128],
    /// Id of each other character that is a piece.
    chars: FxHashMap<char, u32>,
    /// (left id, right id) → (score key, id) of their concatenation.
    pairs: FxHashMap<(u32, u32), (i32, u32)>,
    /// Some piece has a character that is not a piece by itself: such a
    /// character could still merge, so words with one take the string path.
    /// Otherwise a character that is not a piece never merges.
    orphans: bool,
}

impl Tables {
    /// Tables over `lookup` (piece → id, the pieces text can produce).
    pub(super) fn new(pieces: &[Piece], lookup: &FxHashMap<String, u32>) -> Self {
        let mut t = Tables {
            ascii: [NONE; 128],
            chars: FxHashMap::default(),
            pairs: FxHashMap::default(),
            orphans: false,
        };
        for (p, &id) in lookup {
            let mut chars = p.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                if c.is_ascii() {
                    t.ascii[c as usize] = id;
                } else {
                    t.chars.insert(c, id);
                }
            }
            let k = key(pieces[id as usize].score);
            for (i, _) in p.char_indices().skip(1) {
                if let (Some(&a), Some(&b)) = (lookup.get(&p[..i]), lookup.get(&p[i..])) {
                    t.pairs.insert((a, b), (k, id));
                }
            }
        }
        let mut buf = [0u8; 4];
        t.orphans = lookup.keys().any(|p| {
            p.chars()
                .any(|c| !lookup.contains_key(&*c.encode_utf8(&mut buf)))
        });
        t
    }

    #[inline]
    fn pair(&self, a: u32, b: u32) -> Option<(i32, u32)> {
        self.pairs.get(&(a, b)).copied()
    }
}

/// One symbol of a word: its piece id and its bytes in the word.
#[derive(Debug, Clone, Copy)]
struct Sym {
    id: u32,
    start: u32,
    end: u32,
}

/// `f32` to an `i32` whose order is the float's total order.
fn key(score: f32) -> i32 {
    let b = score.to_bits() as i32;
    b ^ (((b >> 31) as u32) >> 1) as i32
}

/// Encodes the normalized text. When no piece has a `▁` right after
/// another character, no merge can cross the start of a `▁` run, so the
/// text is merged word by word (same result, small words, cached).
pub(super) fn encode(sp: &SentencePiece, norm: &str, out: &mut Vec<u32>) {
    let mut syms = Vec::new();
    if !sp.split_at_space {
        return encode_word(sp, norm, &mut syms, out);
    }
    with_thread_cache(sp.instance, |cache| {
        let b = norm.as_bytes();
        let mut start = 0;
        while start < b.len() {
            let mut i = start;
            while b[i..].starts_with(SPACE) {
                i += SPACE.len();
            }
            let end = match norm[i..].find('\u{2581}') {
                Some(j) => i + j,
                None => b.len(),
            };
            cached_word(sp, &norm[start..end], cache, &mut syms, out);
            start = end;
        }
    });
}

fn cached_word(
    sp: &SentencePiece,
    word: &str,
    cache: &mut WordCache,
    syms: &mut Vec<Sym>,
    out: &mut Vec<u32>,
) {
    if word.len() > CACHE_MAX_WORD {
        return encode_word(sp, word, syms, out);
    }
    if cache.get(word.as_bytes(), out) {
        return;
    }
    let start = out.len();
    encode_word(sp, word, syms, out);
    cache.insert(word.as_bytes(), &out[start..]);
}

/// Length of the user-defined symbol at the start of `rest`, if any.
#[inline]
fn user_defined<'a>(sp: &'a SentencePiece, rest: &str) -> Option<&'a str> {
    sp.user_defined
        .iter()
        .find(|(u, _)| rest.starts_with(u.as_str()))
        .map(|(u, _)| u.as_str())
}

fn encode_word(sp: &SentencePiece, word: &str, syms: &mut Vec<Sym>, out: &mut Vec<u32>) {
    let Some(t) = &sp.bpe else {
        return encode_word_str(sp, word, out);
    };
    if word.is_empty() {
        return;
    }
    let b = word.as_bytes();
    syms.clear();
    let mut pos = 0;
    while pos < b.len() {
        let (len, id) = if let Some(u) = user_defined(sp, &word[pos..]) {
            (u.len(), sp.lookup.get(u).copied().unwrap_or(NONE))
        } else if b[pos] < 0x80 {
            (1, t.ascii[b[pos] as usize])
        } else {
            let c = word[pos..].chars().next().unwrap_or('\u{FFFD}');
            (c.len_utf8(), t.chars.get(&c).copied().unwrap_or(NONE))
        };
        if id == NONE && t.orphans {
            // A character that is not a piece but may merge: the string path.
            return encode_word_str(sp, word, out);
        }
        // Otherwise it keeps id NONE, which no pair has: it never merges.
        syms.push(Sym {
            id,
            start: pos as u32,
            end: (pos + len) as u32,
        });
        pos += len;
    }
    if syms.len() < HEAP_THRESHOLD {
        merge_scan(t, syms);
    } else {
        merge_heap(t, syms);
    }
    for s in syms.iter() {
        let id = (s.id != NONE).then_some(s.id);
        sp.emit(&word[s.start as usize..s.end as usize], id, out);
    }
}

/// Repeatedly merges the best pair (highest score, leftmost on ties).
fn merge_scan(t: &Tables, syms: &mut Vec<Sym>) {
    let mut pairs: [Option<(i32, u32)>; HEAP_THRESHOLD] = [None; HEAP_THRESHOLD];
    let mut n = syms.len();
    for i in 0..n.saturating_sub(1) {
        pairs[i] = t.pair(syms[i].id, syms[i + 1].id);
    }
    while n > 1 {
        let mut best: Option<(usize, i32, u32)> = None;
        for (i, p) in pairs[..n - 1].iter().enumerate() {
            if let Some((k, id)) = *p
                && best.is_none_or(|(_, bk, _)| k > bk)
            {
                best = Some((i, k, id));
            }
        }
        let Some((i, _, id)) = best else { break };
        syms[i].id = id;
        syms[i].end = syms[i + 1].end;
        syms.remove(i + 1);
        pairs.copy_within(i + 1..n - 1, i);
        n -= 1;
        if i + 1 < n {
            pairs[i] = t.pair(syms[i].id, syms[i + 1].id);
        }
        if i > 0 {
            pairs[i - 1] = t.pair(syms[i - 1].id, syms[i].id);
        }
    }
}

/// The same merge order with a priority queue over a linked list, for
/// long words: O(n log n).
fn merge_heap(t: &Tables, syms: &mut Vec<Sym>) {
    let n = syms.len();
    let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
    let mut next: Vec<usize> = (1..=n).collect();
    let mut alive = vec![true; n];
    let mut heap = BinaryHeap::new();
    for i in 0..n - 1 {
        if let Some((k, id)) = t.pair(syms[i].id, syms[i + 1].id) {
            heap.push((k, Reverse(i), id));
        }
    }
    while let Some((k, Reverse(i), id)) = heap.pop() {
        if !alive[i] || next[i] >= n {
            continue;
        }
        let j = next[i];
        if t.pair(syms[i].id, syms[j].id) != Some((k, id)) {
            continue;
        }
        syms[i].id = id;
        syms[i].end = syms[j].end;
        alive[j] = false;
        next[i] = next[j];
        if next[i] < n {
            prev[next[i]] = i;
            if let Some((k, m)) = t.pair(syms[i].id, syms[next[i]].id) {
                heap.push((k, Reverse(i), m));
            }
        }
        let p = prev[i];
        if p < n
            && let Some((k, m)) = t.pair(syms[p].id, syms[i].id)
        {
            heap.push((k, Reverse(p), m));
        }
    }
    let mut w = 0;
    for i in 0..n {
        if alive[i] {
            syms[w] = syms[i];
            w += 1;
        }
    }
    syms.truncate(w);
}

/// Byte span of a symbol on the string path.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    prev: usize,
    next: usize,
}

/// Heap entry of the string path: score key, then leftmost first.
type Entry = (i32, Reverse<usize>, usize, usize);

/// The reference's algorithm on strings (for words with a character that
/// is not a piece).
fn encode_word_str(sp: &SentencePiece, norm: &str, out: &mut Vec<u32>) {
    if norm.is_empty() {
        return;
    }
    let mut syms: Vec<Span> = Vec::with_capacity(norm.len());
    let mut pos = 0;
    while pos < norm.len() {
        let rest = &norm[pos..];
        let len = user_defined(sp, rest)
            .map(str::len)
            .unwrap_or_else(|| rest.chars().next().map_or(1, char::len_utf8));
        let i = syms.len();
        syms.push(Span {
            start: pos,
            end: pos + len,
            prev: i.wrapping_sub(1),
            next: i + 1,
        });
        pos += len;
    }
    let n = syms.len();
    let mut heap: BinaryHeap<Entry> = BinaryHeap::new();
    let push = |heap: &mut BinaryHeap<Entry>, syms: &[Span], l: usize, r: usize| {
        let piece = &norm[syms[l].start..syms[r].end];
        if let Some(&id) = sp.lookup.get(piece) {
            heap.push((
                key(sp.pieces[id as usize].score),
                Reverse(l),
                l,
                syms[r].end - syms[l].start,
            ));
        }
    };
    for i in 0..n - 1 {
        push(&mut heap, &syms, i, i + 1);
    }
    let mut alive = vec![true; n];
    while let Some((_, _, l, size)) = heap.pop() {
        if !alive[l] || syms[l].next >= n {
            continue;
        }
        let r = syms[l].next;
        if syms[r].end - syms[l].start != size {
            continue;
        }
        syms[l].end = syms[r].end;
        alive[r] = false;
        syms[l].next = syms[r].next;
        if syms[l].next < n {
            let nx = syms[l].next;
            syms[nx].prev = l;
            push(&mut heap, &syms, l, nx);
        }
        if syms[l].prev < n {
            push(&mut heap, &syms, syms[l].prev, l);
        }
    }
    let mut i = 0;
    while i < n {
        let s = syms[i];
        let piece = &norm[s.start..s.end];
        sp.emit(piece, sp.lookup.get(piece).copied(), out);
        i = s.next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_path_equals_string_path_on_the_fixture_strings() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
        let sp = SentencePiece::from_file(format!("{dir}spm_bpe.model")).unwrap();
        // Characters that are not pieces stay on the id path (as ids that
        // never merge) only when no piece contains such a character.
        assert!(!sp.bpe.as_ref().unwrap().orphans);
        let strings: Vec<String> = serde_json::from_str(
            &std::fs::read_to_string(format!("{dir}tokenize_strings.json")).unwrap(),
        )
        .unwrap();
        let mut syms = Vec::new();
        for s in &strings {
            let norm = sp.normalize(s);
            // The whole text (long: heap merge) and its space-free runs.
            for word in std::iter::once(norm.as_str()).chain(norm.split('\u{2581}')) {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                encode_word(&sp, word, &mut syms, &mut a);
                encode_word_str(&sp, word, &mut b);
                assert_eq!(a, b, "{word:?}");
            }
        }
    }
}
