//! SentencePiece Unigram: the Viterbi best segmentation over a trie of the
//! pieces, with the reference's float arithmetic and tie-breaking
//! (`unigram_model.cc`, `EncodeOptimized`).
//!
//! The trie is a double array (two loads per byte, as the reference's
//! darts). The lattice is kept only back to the last position no piece
//! crosses: there the best path is final, so it is traced back and the
//! table restarts, keeping it small (the scores still accumulate from the
//! start of the text, so every float is the reference's).

use super::SentencePiece;
use super::proto::{Piece, PieceType};

/// Unknown characters score this much below the lowest piece.
const UNK_PENALTY: f32 = 10.0;
/// No node / no id.
const NONE: u32 = u32::MAX;
/// The lattice is traced back at a position no piece crosses once it
/// spans this many bytes.
const CHUNK: usize = 1024;

/// A trie of byte strings as a double array: the child of node `s` by
/// byte `c` is `t = base[s] + c` when `check[t] == s`. Node 0 is the root.
#[derive(Debug)]
struct DoubleArray {
    slots: Vec<Slot>,
}

/// One node of the double array, with what the lattice needs of it (one
/// load per byte).
#[derive(Debug, Clone, Copy)]
struct Slot {
    base: u32,
    check: u32,
    /// Piece id ending at this node (`NONE` for none).
    id: u32,
    /// Its lattice score.
    score: f32,
}

const EMPTY: Slot = Slot {
    base: 0,
    check: NONE,
    id: NONE,
    score: 0.0,
};

impl DoubleArray {
    /// Builds the trie of `(bytes, id)` entries (the first id of equal
    /// strings is kept).
    fn new(entries: &[(&[u8], u32)]) -> Self {
        // A plain trie first: children sorted by byte.
        let mut kids: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
        let mut value = vec![NONE];
        for &(bytes, id) in entries {
            let mut node = 0usize;
            for &b in bytes {
                node = match kids[node].binary_search_by_key(&b, |k| k.0) {
                    Ok(i) => kids[node][i].1 as usize,
                    Err(i) => {
                        let new = kids.len();
                        kids[node].insert(i, (b, new as u32));
                        kids.push(Vec::new());
                        value.push(NONE);
                        new
                    }
                };
            }
            if value[node] == NONE {
                value[node] = id;
            }
        }
        // Place the nodes breadth first.
        let mut slots = vec![Slot {
            id: value[0],
            ..EMPTY
        }];
        let mut first_free = 1usize;
        let mut queue = std::collections::VecDeque::from([(0usize, 0usize)]); // (trie node, slot)
        while let Some((node, slot)) = queue.pop_front() {
            let ch = &kids[node];
            if ch.is_empty() {
                continue;
            }
            while first_free < slots.len() && slots[first_free].check != NONE {
                first_free += 1;
            }
            let lo = ch[0].0 as usize;
            let mut base = first_free.saturating_sub(lo).max(1);
            while !ch.iter().all(|&(c, _)| {
                let t = base + c as usize;
                t >= slots.len() || slots[t].check == NONE
            }) {
                base += 1;
            }
            let top = base + ch[ch.len() - 1].0 as usize;
            if top >= slots.len() {
                slots.resize(top + 1, EMPTY);
            }
            slots[slot].base = base as u32;
            for &(c, child) in ch {
                let t = base + c as usize;
                slots[t].check = slot as u32;
                slots[t].id = value[child as usize];
                queue.push_back((child as usize, t));
            }
        }
        DoubleArray { slots }
    }

    /// The child of node `s` by byte `c`.
    #[cfg(test)]
    fn child(&self, s: u32, c: u8) -> Option<u32> {
        let t = self.slots[s as usize].base as usize + c as usize;
        self.slots
            .get(t)
            .is_some_and(|x| x.check == s)
            .then_some(t as u32)
    }
}

/// The trie and scores a Unigram model searches.
#[derive(Debug)]
pub(super) struct Lattice {
    /// The pieces, with their lattice scores in the slots.
    trie: DoubleArray,
    /// Bytes of the longest piece (at least 4, a character's most).
    max_len: usize,
    unk_score: f32,
}

/// Length of the UTF-8 character whose first byte is `b`.
#[inline(always)]
fn char_len(b: u8) -> usize {
    match b {
        0..0xC0 => 1,
        0xC0..0xE0 => 2,
        0xE0..0xF0 => 3,
        _ => 4,
    }
}

/// Best path into one position: (score, start, piece id).
#[derive(Debug, Clone, Copy)]
struct Best {
    score: f32,
    /// Start offset relative to the chunk (`NONE` while unreached).
    start: u32,
    id: u32,
}

const UNREACHED: Best = Best {
    score: 0.0,
    start: NONE,
    id: NONE,
};

impl Lattice {
    pub(super) fn new(pieces: &[Piece]) -> Self {
        let normal = pieces.iter().filter(|p| p.kind == PieceType::Normal);
        let min = normal.clone().map(|p| p.score).fold(f32::MAX, f32::min);
        let max = normal.map(|p| p.score).fold(f32::MIN_POSITIVE, f32::max);
        let mut score = vec![0.0f32; pieces.len()];
        let mut entries = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            score[i] = match p.kind {
                PieceType::UserDefined => p.piece.len() as f32 * max - 0.1,
                _ => p.score,
            };
            if matches!(p.kind, PieceType::Normal | PieceType::UserDefined) && !p.piece.is_empty() {
                entries.push((p.piece.as_bytes(), i as u32));
            }
        }
        let max_len = entries.iter().map(|e| e.0.len()).max().unwrap_or(0).max(4);
        let mut trie = DoubleArray::new(&entries);
        for s in &mut trie.slots {
            if s.id != NONE {
                s.score = score[s.id as usize];
            }
        }
        Self {
            trie,
            max_len,
            unk_score: min - UNK_PENALTY,
        }
    }

    pub(super) fn encode(&self, sp: &SentencePiece, norm: &str, out: &mut Vec<u32>) {
        self.encode_chunked(sp, norm, CHUNK, out);
    }

    /// Encodes `norm`, tracing the best path back at a position no piece
    /// crosses once the lattice spans `chunk` bytes.
    #[inline(never)]
    fn encode_chunked(&self, sp: &SentencePiece, norm: &str, chunk: usize, out: &mut Vec<u32>) {
        let bytes = norm.as_bytes();
        let n = bytes.len();
        if n == 0 {
            return;
        }
        // best[i - base]: the best path ending at byte i of the current chunk.
        // (grown as the walk needs it, so each entry is written about once).
        let mut best: Vec<Best> = Vec::with_capacity(n.min(CHUNK * 2) + 1);
        best.push(Best {
            score: 0.0,
            start: 0,
            id: NONE,
        });
        let mut unk_open = false; // the last piece emitted is unknown
        let mut base = 0; // first byte of the chunk
        let mut reach = 0; // furthest end of an edge seen so far
        let mut start = 0;
        while start < n {
            if reach <= start && start - base >= chunk {
                // No edge crosses `start`: the path into it is final.
                trace(sp, norm, &best, base, start, out, &mut unk_open);
                let at = best[start - base];
                best.clear();
                best.push(Best { start: 0, ..at });
                base = start;
            }
            let rel = start - base;
            let till_here = best[rel].score;
            let mblen = char_len(bytes[start]).min(n - start);
            let stop = n.min(start + self.max_len);
            if best.len() <= stop - base {
                best.resize(stop - base + 1, UNREACHED);
            }
            // tail[k]: the best path ending at byte start + k.
            let tail = &mut best[rel..=stop - base];
            let mut has_single = false;
            let mut node = 0u32;
            let mut node_base = self.trie.slots[0].base as usize;
            let mut depth = 0;
            for (k, &c) in bytes[start..stop].iter().enumerate() {
                let t = node_base + c as usize;
                let Some(slot) = self.trie.slots.get(t).filter(|x| x.check == node) else {
                    break;
                };
                node = t as u32;
                node_base = slot.base as usize;
                depth = k + 1;
                if slot.id == NONE {
                    continue;
                }
                let cand = slot.score + till_here;
                let b = &mut tail[k + 1];
                if b.start == NONE || cand > b.score {
                    *b = Best {
                        score: cand,
                        start: rel as u32,
                        id: slot.id,
                    };
                }
                has_single |= k + 1 == mblen;
            }
            reach = reach.max(start + depth);
            if !has_single {
                let cand = self.unk_score + till_here;
                let t = &mut best[rel + mblen];
                if t.start == NONE || cand > t.score {
                    *t = Best {
                        score: cand,
                        start: rel as u32,
                        id: sp.unk,
                    };
                }
            }
            reach = reach.max(start + mblen);
            start += mblen;
        }
        trace(sp, norm, &best, base, n, out, &mut unk_open);
    }
}

/// Emits the ids of the best path from `base` to `end`: runs of unknown
/// characters are one piece (also across chunks, through `unk_open`), given
/// as bytes with byte fallback, else as the unknown id.
fn trace(
    sp: &SentencePiece,
    norm: &str,
    best: &[Best],
    base: usize,
    end: usize,
    out: &mut Vec<u32>,
    unk_open: &mut bool,
) {
    let from = out.len();
    let mut e = end;
    let mut next_unk = false; // the piece after this one is unknown
    let mut last_unk = None; // whether the chunk's last piece is unknown
    // Backwards, then reversed.
    while e > base {
        let b = best[e - base];
        let s = base + b.start as usize;
        let unk = b.id == sp.unk;
        last_unk.get_or_insert(unk);
        if !unk {
            // Trie pieces are normal or user-defined, never unused.
            out.push(b.id);
        } else if sp.opts.byte_fallback {
            let bytes = norm.as_bytes()[s..e].iter().rev();
            out.extend(bytes.filter_map(|&x| sp.byte_ids[x as usize]));
        } else if !next_unk {
            out.push(sp.unk);
        }
        next_unk = unk;
        e = s;
    }
    out[from..].reverse();
    if next_unk && *unk_open && !sp.opts.byte_fallback && from < out.len() {
        // The chunk starts with an unknown piece that continues the last one.
        out.remove(from);
    }
    if let Some(u) = last_unk {
        *unk_open = u;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracing_back_at_every_cut_point_changes_nothing() {
        use crate::sentencepiece::{SpmKind, SpmOptions};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
        let sp = SentencePiece::from_file(format!("{dir}spm_unigram.model")).unwrap();
        // The same model without byte fallback (unknown runs become one id).
        let types: Vec<i32> = sp
            .pieces
            .iter()
            .map(|p| match p.kind {
                PieceType::Normal => 1,
                PieceType::Unknown => 2,
                PieceType::Control => 3,
                PieceType::UserDefined => 4,
                PieceType::Unused => 5,
                PieceType::Byte => 6,
            })
            .collect();
        let tokens: Vec<String> = sp.pieces.iter().map(|p| p.piece.clone()).collect();
        let scores: Vec<f32> = sp.pieces.iter().map(|p| p.score).collect();
        let opts = SpmOptions {
            byte_fallback: false,
            ..sp.opts
        };
        let no_fallback =
            SentencePiece::from_parts(SpmKind::Unigram, &tokens, &scores, &types, opts, None, None)
                .unwrap();
        let strings: Vec<String> = serde_json::from_str(
            &std::fs::read_to_string(format!("{dir}tokenize_strings.json")).unwrap(),
        )
        .unwrap();
        let mut all = strings.concat();
        all.push_str("\u{10FFFF}\u{10FFFE} x\u{E000}\u{E001}\u{E002}");
        let mut unk_pairs = 0;
        let mut unks = 0;
        for model in [&sp, &no_fallback] {
            let lattice = model.unigram.as_ref().unwrap();
            for s in strings.iter().chain([&all]) {
                let norm = model.normalize(s);
                let (mut a, mut b) = (Vec::new(), Vec::new());
                lattice.encode_chunked(model, &norm, usize::MAX, &mut a);
                lattice.encode_chunked(model, &norm, 1, &mut b);
                assert_eq!(a, b, "{s:?}");
                unks += a.iter().filter(|&&i| i == model.unk).count();
                unk_pairs += a
                    .windows(2)
                    .filter(|w| w == &[model.unk, model.unk])
                    .count();
            }
        }
        // Unknown runs were met, and each became one id.
        assert!(unks > 0);
        assert_eq!(unk_pairs, 0);
    }

    #[test]
    fn double_array_finds_exactly_the_entries() {
        let words: Vec<Vec<u8>> = ["a", "ab", "abc", "b", "\u{2581}x", "zz", "\u{2581}", "ba"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        let entries: Vec<(&[u8], u32)> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.as_slice(), i as u32))
            .collect();
        let da = DoubleArray::new(&entries);
        let find = |w: &[u8]| {
            let mut s = 0;
            for &c in w {
                s = da.child(s, c)?;
            }
            Some(da.slots[s as usize].id).filter(|&v| v != NONE)
        };
        for (i, w) in words.iter().enumerate() {
            assert_eq!(find(w), Some(i as u32), "{w:?}");
        }
        for w in ["", "c", "abcd", "z", "bb", "\u{2582}"] {
            assert_eq!(find(w.as_bytes()), None, "{w:?}");
        }
    }
}
