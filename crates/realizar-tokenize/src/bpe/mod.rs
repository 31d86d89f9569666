//! BPE tokenizers from `tokenizer.json` (HF `tokenizers`): byte-level BPE
//! (GPT-2, LLaMA-3, Qwen) and character BPE with byte fallback (LLaMA-2
//! exported to `tokenizer.json`).
//!
//! The pipeline is the reference's: added tokens are cut out of the raw text
//! first, each remaining segment is normalized, pre-tokenized into words,
//! and each word is merged by the model; `add_special_tokens` wraps the
//! result with the post-processor's template.

pub mod added;
pub mod cache;
mod class_masks;
pub mod decode;
mod fastsplit;
mod json;
mod json_post;
pub mod model;
pub mod normalize;
pub mod pretokenize;
mod scan;
mod word_table;

use std::path::Path;

use added::{AddedMatcher, AddedToken, Segment};
use cache::WordCache;
use decode::{Decoder, decode_chain};
use model::{BpeModel, BpeOptions};
use normalize::{Normalizer, PostProcessor};
use pretokenize::{GPT2_PATTERN, PreTokenizer, SplitRegex};

use crate::error::{Error, Result};
use crate::hash::FxHashMap;
use crate::special::SpecialTokens;

/// A tokenizer loaded from `tokenizer.json` (model type BPE).
#[derive(Debug)]
pub struct HfTokenizer {
    model: BpeModel,
    normalizers: Vec<Normalizer>,
    pre: Vec<PreTokenizer>,
    post: PostProcessor,
    decoders: Vec<Decoder>,
    raw_added: AddedMatcher,
    normalized_added: AddedMatcher,
    id_to_token: Vec<Option<String>>,
    token_to_id: FxHashMap<String, u32>,
    is_special: Vec<bool>,
    /// The pre-tokenizers are one hand-matched pattern whose words go
    /// straight to the model (GPT-2's ByteLevel, or LLaMA-3's Split then a
    /// regex-less ByteLevel): the split calls the model directly.
    fast_split: Option<fastsplit::Known>,
    /// With a lone ByteLevel decoder: the bytes each id decodes to.
    id_bytes: Option<Vec<Box<[u8]>>>,
    special: SpecialTokens,
}

impl HfTokenizer {
    /// Reads and parses a `tokenizer.json` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json_str(&text)
    }

    /// Parses the contents of a `tokenizer.json` file.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))?;
        let root = v
            .as_object()
            .ok_or_else(|| Error::Json("top level: expected an object".into()))?;
        let m = json::model(root.get("model").ok_or(Error::MissingField("model"))?)?;
        let added = json::added_tokens(root.get("added_tokens"))?;
        let mut normalizers = Vec::new();
        json::normalizers(root.get("normalizer"), &mut normalizers)?;
        let mut pre = Vec::new();
        json::pre_tokenizers(root.get("pre_tokenizer"), &mut pre)?;
        let mut decoders = Vec::new();
        json_post::decoders(root.get("decoder"), &mut decoders)?;
        let byte_level = match pre
            .iter()
            .position(|p| matches!(p, PreTokenizer::ByteLevel { .. }))
        {
            None => false,
            Some(i) if i + 1 == pre.len() => true,
            Some(_) => {
                return Err(Error::Unsupported {
                    what: "pre-tokenizer",
                    found: "ByteLevel before another pre-tokenizer".into(),
                });
            }
        };
        let mut vocab = m.vocab;
        let unk = match &m.unk {
            Some(u) => Some(*vocab.get(u).ok_or_else(|| {
                Error::Vocab(format!("unk_token {u:?} is not in the vocabulary"))
            })?),
            None => None,
        };
        let opts = BpeOptions {
            byte_level,
            unk,
            fuse_unk: m.fuse_unk,
            byte_fallback: m.byte_fallback,
            ignore_merges: m.ignore_merges,
        };
        let model = BpeModel::new(&vocab, &m.merges, opts)?;
        for t in &added {
            vocab.entry(t.content.clone()).or_insert(t.id);
        }
        let mut post = PostProcessor::default();
        json_post::post_processor(
            root.get("post_processor"),
            &|t| vocab.get(t).copied(),
            &mut post,
        )?;
        Self::assemble(model, vocab, added, normalizers, pre, post, decoders, unk)
    }

    /// A GPT-2 style byte-level BPE from a vocabulary (`tokens[i]` has id
    /// `i`) and merges, as GGUF's `tokenizer.ggml.*` (model `gpt2`) stores it.
    /// `added` lists the ids of control / user-defined tokens (matched whole).
    pub fn from_parts(
        tokens: &[String],
        merges: &[(String, String)],
        added: &[(u32, bool)],
    ) -> Result<Self> {
        let mut vocab = FxHashMap::default();
        for (i, t) in tokens.iter().enumerate() {
            vocab.insert(t.clone(), i as u32);
        }
        let opts = BpeOptions {
            byte_level: true,
            ..BpeOptions::default()
        };
        let model = BpeModel::new(&vocab, merges, opts)?;
        let added = added
            .iter()
            .map(|&(id, special)| {
                let content = tokens.get(id as usize).cloned().ok_or(Error::UnknownId {
                    id,
                    vocab_size: tokens.len(),
                })?;
                Ok(AddedToken {
                    content,
                    id,
                    special,
                    lstrip: false,
                    rstrip: false,
                    normalized: false,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let pre = vec![PreTokenizer::ByteLevel {
            add_prefix_space: false,
            regex: Some(SplitRegex::new(GPT2_PATTERN)?),
        }];
        Self::assemble(
            model,
            vocab,
            added,
            Vec::new(),
            pre,
            PostProcessor::default(),
            vec![Decoder::ByteLevel],
            None,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        model: BpeModel,
        vocab: FxHashMap<String, u32>,
        added: Vec<AddedToken>,
        normalizers: Vec<Normalizer>,
        pre: Vec<PreTokenizer>,
        post: PostProcessor,
        decoders: Vec<Decoder>,
        unk: Option<u32>,
    ) -> Result<Self> {
        let size = vocab.values().map(|&i| i as usize + 1).max().unwrap_or(0);
        let mut id_to_token = vec![None; size];
        for (t, &i) in &vocab {
            id_to_token[i as usize] = Some(t.clone());
        }
        let mut is_special = vec![false; size];
        for t in &added {
            if (t.id as usize) < size {
                id_to_token[t.id as usize] = Some(t.content.clone());
                is_special[t.id as usize] = t.special;
            }
        }
        let id_bytes = matches!(decoders.as_slice(), [Decoder::ByteLevel]).then(|| {
            id_to_token
                .iter()
                .map(|t| {
                    let mut b = Vec::new();
                    if let Some(t) = t {
                        crate::bytes::token_to_bytes(t, &mut b);
                    }
                    b.into_boxed_slice()
                })
                .collect()
        });
        let special = SpecialTokens::guess(&vocab, post.prefix.first().copied(), unk, &added);
        let fast_split = match pre.as_slice() {
            [
                PreTokenizer::ByteLevel {
                    add_prefix_space: false,
                    regex: Some(r),
                },
            ] => r.known(),
            [
                PreTokenizer::Split {
                    regex,
                    behavior: pretokenize::SplitBehavior::Isolated,
                    invert: false,
                },
                PreTokenizer::ByteLevel {
                    add_prefix_space: false,
                    regex: None,
                },
            ] => regex.known(),
            _ => None,
        };
        Ok(Self {
            fast_split,
            model,
            normalizers,
            pre,
            post,
            decoders,
            raw_added: AddedMatcher::new(added.iter().filter(|t| !t.normalized).cloned()),
            normalized_added: AddedMatcher::new(added.iter().filter(|t| t.normalized).cloned()),
            id_to_token,
            token_to_id: vocab,
            is_special,
            id_bytes,
            special,
        })
    }

    /// Encodes `text`; with `add_special_tokens` the post-processor's
    /// template (e.g. a leading BOS) is applied.
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Vec<u32> {
        // A byte-level id covers at least one byte, and a lookup may write
        // four ids before keeping its count: a short text gets room for
        // all (no reallocation at all), a long one for the about one id per
        // two bytes of English with a small vocabulary (growing copies).
        let room = if text.len() < 4096 {
            text.len()
        } else {
            text.len() / 2
        };
        let mut out = Vec::with_capacity(room + 2 * cache::BATCH * 4);
        if add_special_tokens {
            out.extend_from_slice(&self.post.prefix);
        }
        self.model.with_cache(|cache| {
            self.raw_added.split(text, &mut |seg| match seg {
                Segment::Token(id) => out.push(id),
                Segment::Text(t) => self.encode_segment(t, cache, &mut out),
            })
        });
        if add_special_tokens {
            out.extend_from_slice(&self.post.suffix);
        }
        out
    }

    fn encode_segment(&self, text: &str, cache: &mut WordCache, out: &mut Vec<u32>) {
        if self.normalizers.is_empty()
            && let Some(known) = self.fast_split
        {
            // Words are staged in the cache and looked up a batch at a time.
            let b = text.as_bytes();
            let mut encode = |w: &[u8], o: &mut Vec<u32>| self.model.encode_word_uncached(w, o);
            cache.discard_staged();
            fastsplit::for_each(known, text, |s, e| {
                if cache.stage(b, s, e) {
                    cache.flush(b, out, &mut encode);
                }
            });
            return cache.flush(b, out, &mut encode);
        }
        if self.normalizers.is_empty() {
            return self.pre_tokenize(0, text, cache, out);
        }
        let mut s = text.to_owned();
        for n in &self.normalizers {
            s = n.apply(s);
        }
        self.normalized_added.split(&s, &mut |seg| match seg {
            Segment::Token(id) => out.push(id),
            Segment::Text(t) => self.pre_tokenize(0, t, cache, out),
        });
    }

    fn pre_tokenize(&self, step: usize, text: &str, cache: &mut WordCache, out: &mut Vec<u32>) {
        let Some(p) = self.pre.get(step) else {
            return self.model.encode_word(text.as_bytes(), cache, out);
        };
        if let PreTokenizer::ByteLevel {
            add_prefix_space: true,
            ..
        } = p
            && !text.starts_with(' ')
        {
            let spaced = format!(" {text}");
            return p.split(&spaced, &mut |w| self.pre_tokenize(step + 1, w, cache, out));
        }
        p.split(text, &mut |w| self.pre_tokenize(step + 1, w, cache, out));
    }

    /// Decodes ids to text with the decoder chain (tokens joined by spaces
    /// when the file has no decoder, as the reference does).
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        if let Some(table) = &self.id_bytes {
            // Byte-level fast path: ids straight to bytes, then lossy UTF-8,
            // which is what the ByteLevel decoder computes.
            let mut bytes = Vec::with_capacity(ids.len() * 4);
            for &id in ids {
                let b = table
                    .get(id as usize)
                    .filter(|_| self.id_to_token(id).is_some());
                let b = b.ok_or(Error::UnknownId {
                    id,
                    vocab_size: self.vocab_size(),
                })?;
                if !(skip_special_tokens && self.is_special[id as usize]) {
                    bytes.extend_from_slice(b);
                }
            }
            return Ok(match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            });
        }
        let mut tokens = Vec::with_capacity(ids.len());
        for &id in ids {
            let t = self.id_to_token(id).ok_or(Error::UnknownId {
                id,
                vocab_size: self.vocab_size(),
            })?;
            if skip_special_tokens && self.is_special[id as usize] {
                continue;
            }
            tokens.push(t.to_owned());
        }
        if self.decoders.is_empty() {
            return Ok(tokens.join(" "));
        }
        Ok(decode_chain(&self.decoders, tokens))
    }

    /// The token of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.id_to_token.get(id as usize)?.as_deref()
    }

    /// The id of a token.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.token_to_id.get(token).copied()
    }

    /// One more than the largest id.
    pub fn vocab_size(&self) -> usize {
        self.id_to_token.len()
    }

    /// The raw bytes token `id` decodes to, for a byte-level tokenizer
    /// whose decoder is a lone ByteLevel (`None` otherwise, or for an
    /// unknown id). With [`Self::vocab_size`] this is the id → bytes table
    /// that tiktoken-style libraries take as their ranks.
    pub fn id_to_bytes(&self, id: u32) -> Option<&[u8]> {
        self.id_to_token(id)?;
        self.id_bytes.as_ref()?.get(id as usize).map(|b| &b[..])
    }

    /// Bos, eos, unk, pad and the added tokens.
    pub fn special_tokens(&self) -> &SpecialTokens {
        &self.special
    }

    /// Whether an id is a special added token.
    pub fn is_special(&self, id: u32) -> bool {
        self.is_special.get(id as usize).copied().unwrap_or(false)
    }

    /// Empties the word cache (to measure cold-cache encoding).
    pub fn clear_cache(&self) {
        self.model.clear_cache();
    }
}
