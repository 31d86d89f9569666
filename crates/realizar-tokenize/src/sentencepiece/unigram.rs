//! SentencePiece Unigram: the Viterbi best segmentation over a trie of the
//! pieces, with the reference's float arithmetic and tie-breaking
//! (`unigram_model.cc`, `EncodeOptimized`).

use super::SentencePiece;
use super::proto::{Piece, PieceType};
use crate::hash::FxHashMap;

/// Unknown characters score this much below the lowest piece.
const UNK_PENALTY: f32 = 10.0;

/// The trie and scores a Unigram model searches.
#[derive(Debug)]
pub(super) struct Lattice {
    /// (node, byte) → child node; node 0 is the root.
    children: FxHashMap<(u32, u8), u32>,
    /// Piece id ending at each node (u32::MAX for none).
    node_id: Vec<u32>,
    /// Score of each piece id as used in the lattice.
    score: Vec<f32>,
    unk_score: f32,
}

impl Lattice {
    pub(super) fn new(pieces: &[Piece]) -> Self {
        let normal = pieces.iter().filter(|p| p.kind == PieceType::Normal);
        let min = normal.clone().map(|p| p.score).fold(f32::MAX, f32::min);
        let max = normal.map(|p| p.score).fold(f32::MIN_POSITIVE, f32::max);
        let mut children = FxHashMap::default();
        let mut node_id = vec![u32::MAX];
        let mut score = vec![0.0f32; pieces.len()];
        for (i, p) in pieces.iter().enumerate() {
            score[i] = match p.kind {
                PieceType::UserDefined => p.piece.len() as f32 * max - 0.1,
                _ => p.score,
            };
            if !matches!(p.kind, PieceType::Normal | PieceType::UserDefined) || p.piece.is_empty() {
                continue;
            }
            let mut node = 0u32;
            for &b in p.piece.as_bytes() {
                let next = node_id.len() as u32;
                node = *children.entry((node, b)).or_insert_with(|| next);
                if node == next {
                    node_id.push(u32::MAX);
                }
            }
            if node_id[node as usize] == u32::MAX {
                node_id[node as usize] = i as u32;
            }
        }
        Self {
            children,
            node_id,
            score,
            unk_score: min - UNK_PENALTY,
        }
    }

    pub(super) fn encode(&self, sp: &SentencePiece, norm: &str, out: &mut Vec<u32>) {
        let bytes = norm.as_bytes();
        let n = bytes.len();
        if n == 0 {
            return;
        }
        // best[i]: (score, start, id) of the best path ending at byte i.
        let mut best: Vec<(f32, usize, u32)> = vec![(0.0, usize::MAX, u32::MAX); n + 1];
        best[0].1 = 0;
        let mut start = 0;
        while start < n {
            let till_here = best[start].0;
            let mblen = norm[start..].chars().next().map_or(1, char::len_utf8);
            let mut has_single = false;
            let mut node = 0u32;
            let mut end = start;
            while end < n {
                let Some(&child) = self.children.get(&(node, bytes[end])) else {
                    break;
                };
                node = child;
                end += 1;
                let id = self.node_id[node as usize];
                if id == u32::MAX {
                    continue;
                }
                let cand = self.score[id as usize] + till_here;
                let t = &mut best[end];
                if t.1 == usize::MAX || cand > t.0 {
                    *t = (cand, start, id);
                }
                if end - start == mblen {
                    has_single = true;
                }
            }
            if !has_single {
                let cand = self.unk_score + till_here;
                let t = &mut best[start + mblen];
                if t.1 == usize::MAX || cand > t.0 {
                    *t = (cand, start, sp.unk);
                }
            }
            start += mblen;
        }
        // Backtrack, fusing runs of unknown characters into one piece.
        let mut path: Vec<(usize, usize, u32)> = Vec::new();
        let mut end = n;
        while end > 0 {
            let (_, s, id) = best[end];
            match path.last_mut() {
                Some(last) if id == sp.unk && last.2 == sp.unk => last.0 = s,
                _ => path.push((s, end, id)),
            }
            end = s;
        }
        for &(s, e, id) in path.iter().rev() {
            let id = (id != sp.unk).then_some(id);
            sp.emit(&norm[s..e], id, out);
        }
    }
}
