//! SentencePiece tokenizers from `.model` files (LLaMA-2, Mistral,
//! TinyLlama): BPE and Unigram, `▁` for spaces, a dummy prefix, byte
//! fallback `<0xNN>`, control and user-defined symbols.
//!
//! Only the identity normalizer is implemented (what LLaMA-style models
//! ship); a model with a precompiled NFKC character map is rejected with
//! [`Error::Unsupported`] rather than tokenized differently.

mod bpe;
pub mod proto;
mod unigram;

use proto::{ModelProto, Piece, PieceType};

use crate::bpe::decode::parse_byte_token;
use crate::error::{Error, Result};
use crate::hash::FxHashMap;
use crate::special::SpecialTokens;

/// The SentencePiece algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpmKind {
    /// Unigram language model (Viterbi).
    Unigram,
    /// Byte-pair encoding by score.
    Bpe,
}

/// Normalizer options of a SentencePiece model.
#[derive(Debug, Clone, Copy)]
pub struct SpmOptions {
    /// Prepend `▁` to non-empty text.
    pub add_dummy_prefix: bool,
    /// Drop leading, trailing and repeated spaces.
    pub remove_extra_whitespaces: bool,
    /// Spaces become `▁`.
    pub escape_whitespaces: bool,
    /// Unknown characters become `<0xNN>` byte pieces.
    pub byte_fallback: bool,
}

/// A SentencePiece tokenizer.
#[derive(Debug)]
pub struct SentencePiece {
    kind: SpmKind,
    opts: SpmOptions,
    pieces: Vec<Piece>,
    /// Pieces that text can produce (normal, user-defined, unused) → id.
    lookup: FxHashMap<String, u32>,
    /// User-defined symbols, longest first.
    user_defined: Vec<(String, u32)>,
    byte_ids: [Option<u32>; 256],
    unk: u32,
    unk_surface: String,
    special: SpecialTokens,
    unigram: Option<unigram::Lattice>,
    /// BPE: the id tables of the merge loop.
    bpe: Option<bpe::Tables>,
    /// Key of this model's word cache in each thread's caches.
    instance: u64,
    /// No piece has `▁` after another character (BPE may split at spaces).
    split_at_space: bool,
}

impl SentencePiece {
    /// Reads a `.model` file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    /// Parses a serialized `ModelProto`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let m = ModelProto::parse(bytes)?;
        if m.has_charsmap {
            return Err(Error::Unsupported {
                what: "SentencePiece normalizer",
                found: format!("{:?} with a precompiled character map", m.normalizer_name),
            });
        }
        if m.whitespace_as_suffix {
            return Err(Error::Unsupported {
                what: "SentencePiece option",
                found: "treat_whitespace_as_suffix".into(),
            });
        }
        let kind = match m.model_type {
            1 => SpmKind::Unigram,
            2 => SpmKind::Bpe,
            t => {
                return Err(Error::Unsupported {
                    what: "SentencePiece model type",
                    found: format!("{t} (only 1 Unigram and 2 BPE)"),
                });
            }
        };
        let opts = SpmOptions {
            add_dummy_prefix: m.add_dummy_prefix,
            remove_extra_whitespaces: m.remove_extra_whitespaces,
            escape_whitespaces: m.escape_whitespaces,
            byte_fallback: m.byte_fallback,
        };
        let id = |i: i64| {
            u32::try_from(i)
                .ok()
                .filter(|&i| (i as usize) < m.pieces.len())
        };
        let ids = (id(m.bos_id), id(m.eos_id), id(m.pad_id));
        Self::from_pieces(kind, m.pieces, opts, ids, m.unk_surface)
    }

    /// Builds a tokenizer from its parts, as GGUF's `tokenizer.ggml.*`
    /// (model `llama`) stores them: `tokens[i]`, `scores[i]` and
    /// `types[i]` (1 normal, 2 unknown, 3 control, 4 user-defined,
    /// 5 unused, 6 byte) describe id `i`.
    pub fn from_parts(
        kind: SpmKind,
        tokens: &[String],
        scores: &[f32],
        types: &[i32],
        opts: SpmOptions,
        bos: Option<u32>,
        eos: Option<u32>,
    ) -> Result<Self> {
        if scores.len() != tokens.len() || types.len() != tokens.len() {
            return Err(Error::Vocab(format!(
                "{} tokens, {} scores, {} types",
                tokens.len(),
                scores.len(),
                types.len()
            )));
        }
        let mut pieces = Vec::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            let kind = match types[i] {
                1 => PieceType::Normal,
                2 => PieceType::Unknown,
                3 => PieceType::Control,
                4 => PieceType::UserDefined,
                5 => PieceType::Unused,
                6 => PieceType::Byte,
                x => return Err(Error::Vocab(format!("token {i}: unknown type {x}"))),
            };
            pieces.push(Piece {
                piece: t.clone(),
                score: scores[i],
                kind,
            });
        }
        Self::from_pieces(kind, pieces, opts, (bos, eos, None), " \u{2047} ".into())
    }

    fn from_pieces(
        kind: SpmKind,
        pieces: Vec<Piece>,
        opts: SpmOptions,
        (bos, eos, pad): (Option<u32>, Option<u32>, Option<u32>),
        unk_surface: String,
    ) -> Result<Self> {
        let mut lookup = FxHashMap::default();
        let mut user_defined = Vec::new();
        let mut byte_ids = [None; 256];
        let mut unk = None;
        let mut added = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            let i = i as u32;
            match p.kind {
                PieceType::Normal | PieceType::Unused => {
                    lookup.entry(p.piece.clone()).or_insert(i);
                }
                PieceType::UserDefined => {
                    lookup.entry(p.piece.clone()).or_insert(i);
                    user_defined.push((p.piece.clone(), i));
                    added.push((i, p.piece.clone(), false));
                }
                PieceType::Byte => {
                    let b = parse_byte_token(&p.piece)
                        .ok_or_else(|| Error::Vocab(format!("byte piece {i} is {:?}", p.piece)))?;
                    byte_ids[b as usize] = Some(i);
                }
                PieceType::Unknown => {
                    unk.get_or_insert(i);
                }
                PieceType::Control => added.push((i, p.piece.clone(), true)),
            }
        }
        let unk = unk.ok_or_else(|| Error::Vocab("no unknown piece".into()))?;
        if opts.byte_fallback && byte_ids.iter().any(Option::is_none) {
            return Err(Error::Vocab(
                "byte_fallback without all 256 <0xNN> pieces".into(),
            ));
        }
        user_defined.retain(|(s, _)| !s.is_empty());
        user_defined.sort_by_key(|u| std::cmp::Reverse(u.0.len()));
        let unigram = (kind == SpmKind::Unigram).then(|| unigram::Lattice::new(&pieces));
        let split_at_space = !lookup.keys().any(|p: &String| {
            let mut prev = '\u{2581}';
            p.chars().any(|c| {
                let inner = c == '\u{2581}' && prev != '\u{2581}';
                prev = c;
                inner
            })
        });
        let bpe = (kind == SpmKind::Bpe).then(|| bpe::Tables::new(&pieces, &lookup));
        Ok(Self {
            kind,
            opts,
            pieces,
            lookup,
            user_defined,
            byte_ids,
            unk,
            unk_surface,
            special: SpecialTokens {
                bos,
                eos,
                unk: Some(unk),
                pad,
                added,
            },
            unigram,
            bpe,
            instance: crate::bpe::cache::next_instance(),
            split_at_space,
        })
    }

    /// Drops every word this thread cached for this model (to measure a
    /// cold cache; only BPE models cache words).
    pub fn clear_cache(&self) {
        crate::bpe::cache::clear_thread_cache(self.instance);
    }

    /// The algorithm of this model.
    pub fn kind(&self) -> SpmKind {
        self.kind
    }

    /// The normalized text: extra spaces removed, dummy prefix, `▁` for spaces.
    fn normalize(&self, text: &str) -> String {
        // `▁` is three bytes where a space was one.
        let mut out = String::with_capacity(text.len() + text.len() / 2 + 8);
        let mut t = text;
        if self.opts.remove_extra_whitespaces {
            t = t.trim_matches(' ');
        }
        if t.is_empty() {
            return out;
        }
        let space = if self.opts.escape_whitespaces {
            "\u{2581}"
        } else {
            " "
        };
        if self.opts.add_dummy_prefix {
            out.push_str(space);
        }
        // Runs without a space are copied whole; `prev_space`: the
        // character before the next space is a space.
        let bytes = t.as_bytes();
        let mut prev_space = false;
        let mut i = 0;
        loop {
            let j = bytes[i..]
                .iter()
                .position(|&c| c == b' ')
                .map_or(bytes.len(), |k| i + k);
            if j > i {
                out.push_str(&t[i..j]);
                prev_space = false;
            }
            if j == bytes.len() {
                break;
            }
            if !(self.opts.remove_extra_whitespaces && prev_space) {
                out.push_str(space);
            }
            prev_space = true;
            i = j + 1;
        }
        out
    }

    /// Encodes `text`; with `add_special_tokens` BOS is prepended (as
    /// LLaMA-style models expect).
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Vec<u32> {
        let norm = self.normalize(text);
        let mut out = Vec::with_capacity(norm.len() / 3 + 1);
        if add_special_tokens {
            out.extend(self.special.bos);
        }
        match &self.unigram {
            Some(l) => l.encode(self, &norm, &mut out),
            None => bpe::encode(self, &norm, &mut out),
        }
        out
    }

    /// Emits one piece, or its bytes / unk when it is not in the vocabulary.
    fn emit(&self, piece: &str, id: Option<u32>, out: &mut Vec<u32>) {
        match id {
            Some(id) if self.pieces[id as usize].kind != PieceType::Unused => out.push(id),
            _ if self.opts.byte_fallback => {
                out.extend(piece.bytes().filter_map(|b| self.byte_ids[b as usize]))
            }
            _ => out.push(self.unk),
        }
    }

    /// Decodes ids as `sentencepiece` does: control pieces vanish, `▁`
    /// becomes a space (the first one dropped with a dummy prefix), byte
    /// pieces are joined into UTF-8, unk becomes ` ⁇ `.
    pub fn decode(&self, ids: &[u32], _skip_special_tokens: bool) -> Result<String> {
        let mut out = String::new();
        let mut bytes: Vec<u8> = Vec::new();
        let mut first = true;
        for &id in ids {
            let p = self.pieces.get(id as usize).ok_or(Error::UnknownId {
                id,
                vocab_size: self.pieces.len(),
            })?;
            if p.kind == PieceType::Byte {
                if let Some(b) = parse_byte_token(&p.piece) {
                    bytes.push(b);
                }
                continue;
            }
            flush_bytes(&mut bytes, &mut out, &mut first);
            let piece: &str = match p.kind {
                PieceType::Control => continue,
                PieceType::Unknown => &self.unk_surface,
                _ => &p.piece,
            };
            let mut piece = piece;
            if first && self.opts.add_dummy_prefix {
                piece = piece.strip_prefix('\u{2581}').unwrap_or(piece);
            }
            first = false;
            out.push_str(&piece.replace('\u{2581}', " "));
        }
        flush_bytes(&mut bytes, &mut out, &mut first);
        Ok(out)
    }

    /// The piece of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(|p| p.piece.as_str())
    }

    /// The id of a piece.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        if let Some(&i) = self.lookup.get(token) {
            return Some(i);
        }
        self.pieces
            .iter()
            .position(|p| p.piece == token)
            .map(|i| i as u32)
    }

    /// Number of pieces.
    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    /// Bos, eos, unk, pad and the control / user-defined pieces.
    pub fn special_tokens(&self) -> &SpecialTokens {
        &self.special
    }
}

/// Appends pending fallback bytes: valid UTF-8 as is, each invalid byte as U+FFFD.
fn flush_bytes(bytes: &mut Vec<u8>, out: &mut String, first: &mut bool) {
    if bytes.is_empty() {
        return;
    }
    let mut rest: &[u8] = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let ok = e.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..ok]).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len() - ok);
                for _ in 0..bad {
                    out.push('\u{FFFD}');
                }
                rest = &rest[ok + bad..];
            }
        }
    }
    bytes.clear();
    *first = false;
}
