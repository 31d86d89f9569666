//! The [`Tokenize`] trait and the [`Tokenizer`] that loads either kind of file.

use std::path::Path;

use crate::bpe::HfTokenizer;
use crate::error::{Error, Result};
use crate::sentencepiece::SentencePiece;
use crate::special::SpecialTokens;
use crate::stream::StreamDecoder;

/// What every tokenizer of the crate can do.
pub trait Tokenize {
    /// Text to ids; `add_special_tokens` adds what the model expects around
    /// a sequence (e.g. BOS).
    fn encode(&self, text: &str, add_special_tokens: bool) -> Vec<u32>;
    /// Ids to text, as the reference library decodes them.
    fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String>;
    /// The id of a token (piece) string.
    fn token_to_id(&self, token: &str) -> Option<u32>;
    /// The token (piece) string of an id.
    fn id_to_token(&self, id: u32) -> Option<&str>;
    /// Number of ids (one more than the largest).
    fn vocab_size(&self) -> usize;
    /// Bos, eos, unk, pad and added tokens.
    fn special_tokens(&self) -> &SpecialTokens;
}

/// A tokenizer of either kind, loaded from a file.
#[derive(Debug)]
#[non_exhaustive]
pub enum Tokenizer {
    /// BPE from `tokenizer.json`.
    Bpe(Box<HfTokenizer>),
    /// SentencePiece from a `.model` file.
    SentencePiece(Box<SentencePiece>),
}

impl Tokenizer {
    /// Loads `tokenizer.json` (a file starting with `{`) or a SentencePiece
    /// `.model` (anything else).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    /// Parses the contents of either kind of file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'{') {
            let text = std::str::from_utf8(bytes).map_err(|e| Error::Json(e.to_string()))?;
            Ok(Tokenizer::Bpe(Box::new(HfTokenizer::from_json_str(text)?)))
        } else {
            Ok(Tokenizer::SentencePiece(Box::new(
                SentencePiece::from_bytes(bytes)?,
            )))
        }
    }

    /// A streaming decoder over this tokenizer.
    pub fn stream_decoder(&self, skip_special_tokens: bool) -> StreamDecoder<'_, Self> {
        StreamDecoder::new(self, skip_special_tokens)
    }
}

macro_rules! forward {
    ($self:ident, $t:ident => $e:expr) => {
        match $self {
            Tokenizer::Bpe($t) => $e,
            Tokenizer::SentencePiece($t) => $e,
        }
    };
}

impl Tokenize for Tokenizer {
    fn encode(&self, text: &str, add_special_tokens: bool) -> Vec<u32> {
        forward!(self, t => t.encode(text, add_special_tokens))
    }
    fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        forward!(self, t => t.decode(ids, skip_special_tokens))
    }
    fn token_to_id(&self, token: &str) -> Option<u32> {
        forward!(self, t => t.token_to_id(token))
    }
    fn id_to_token(&self, id: u32) -> Option<&str> {
        forward!(self, t => t.id_to_token(id))
    }
    fn vocab_size(&self) -> usize {
        forward!(self, t => t.vocab_size())
    }
    fn special_tokens(&self) -> &SpecialTokens {
        forward!(self, t => t.special_tokens())
    }
}

macro_rules! impl_tokenize {
    ($ty:ty) => {
        impl Tokenize for $ty {
            fn encode(&self, text: &str, add_special_tokens: bool) -> Vec<u32> {
                <$ty>::encode(self, text, add_special_tokens)
            }
            fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
                <$ty>::decode(self, ids, skip_special_tokens)
            }
            fn token_to_id(&self, token: &str) -> Option<u32> {
                <$ty>::token_to_id(self, token)
            }
            fn id_to_token(&self, id: u32) -> Option<&str> {
                <$ty>::id_to_token(self, id)
            }
            fn vocab_size(&self) -> usize {
                <$ty>::vocab_size(self)
            }
            fn special_tokens(&self) -> &SpecialTokens {
                <$ty>::special_tokens(self)
            }
        }
    };
}

impl_tokenize!(HfTokenizer);
impl_tokenize!(SentencePiece);
