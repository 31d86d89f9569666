//! SentencePiece BPE: start from characters (user-defined symbols whole),
//! repeatedly merge the adjacent pair whose concatenation is the
//! highest-scoring piece (leftmost on ties), as `bpe_model.cc` does.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::SentencePiece;

#[derive(Debug, Clone, Copy)]
struct Sym {
    start: usize,
    end: usize,
    prev: usize,
    next: usize,
}

/// Heap entry: score (as a total-ordered key), then leftmost first.
type Entry = (i32, Reverse<usize>, usize, usize);

/// `f32` to an `i32` whose order is the float's total order.
fn key(score: f32) -> i32 {
    let b = score.to_bits() as i32;
    b ^ (((b >> 31) as u32) >> 1) as i32
}

/// Encodes the normalized text. When no piece has a `▁` right after
/// another character, no merge can cross the start of a `▁` run, so the
/// text is merged word by word (same result, small heaps).
pub(super) fn encode(sp: &SentencePiece, norm: &str, out: &mut Vec<u32>) {
    if !sp.split_at_space {
        return encode_word(sp, norm, out);
    }
    let mut start = 0;
    let mut prev_space = true;
    for (i, c) in norm.char_indices() {
        let space = c == '\u{2581}';
        if space && !prev_space {
            encode_word(sp, &norm[start..i], out);
            start = i;
        }
        prev_space = space;
    }
    encode_word(sp, &norm[start..], out);
}

fn encode_word(sp: &SentencePiece, norm: &str, out: &mut Vec<u32>) {
    if norm.is_empty() {
        return;
    }
    let mut syms: Vec<Sym> = Vec::with_capacity(norm.len());
    let mut pos = 0;
    while pos < norm.len() {
        let rest = &norm[pos..];
        let len = sp
            .user_defined
            .iter()
            .find(|(u, _)| rest.starts_with(u.as_str()))
            .map(|(u, _)| u.len())
            .unwrap_or_else(|| rest.chars().next().map_or(1, char::len_utf8));
        let i = syms.len();
        syms.push(Sym {
            start: pos,
            end: pos + len,
            prev: i.wrapping_sub(1),
            next: i + 1,
        });
        pos += len;
    }
    let n = syms.len();
    let mut heap: BinaryHeap<Entry> = BinaryHeap::new();
    let push = |heap: &mut BinaryHeap<Entry>, syms: &[Sym], l: usize, r: usize| {
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
