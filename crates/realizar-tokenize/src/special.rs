//! The special tokens of a vocabulary.

use crate::bpe::added::AddedToken;
use crate::hash::FxHashMap;

/// Bos, eos, unk, pad and the added tokens of a tokenizer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    /// Beginning of sequence.
    pub bos: Option<u32>,
    /// End of sequence.
    pub eos: Option<u32>,
    /// Unknown.
    pub unk: Option<u32>,
    /// Padding.
    pub pad: Option<u32>,
    /// Added (control and user-defined) tokens, `(id, text, special)`.
    pub added: Vec<(u32, String, bool)>,
}

const BOS: &[&str] = &["<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>"];
const EOS: &[&str] = &[
    "<|end_of_text|>",
    "<|endoftext|>",
    "</s>",
    "<eos>",
    "<|im_end|>",
];
const PAD: &[&str] = &["<pad>", "<|pad|>", "[PAD]", "<|finetune_right_pad_id|>"];

impl SpecialTokens {
    /// `tokenizer.json` does not name bos/eos/pad (that is in
    /// `tokenizer_config.json`): bos is the template's first token, else a
    /// well-known name; eos and pad are looked up by well-known names.
    pub(crate) fn guess(
        vocab: &FxHashMap<String, u32>,
        template_bos: Option<u32>,
        unk: Option<u32>,
        added: &[AddedToken],
    ) -> Self {
        let find = |names: &[&str]| names.iter().find_map(|n| vocab.get(*n).copied());
        Self {
            bos: template_bos.or_else(|| find(BOS)),
            eos: find(EOS),
            unk,
            pad: find(PAD),
            added: added
                .iter()
                .map(|t| (t.id, t.content.clone(), t.special))
                .collect(),
        }
    }
}
