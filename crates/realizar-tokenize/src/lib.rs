//! # realizar-tokenize
//!
//! Text to token ids and back, for the models realizar runs, with the
//! ids the reference libraries produce: one id of difference from the
//! tokenizer a model was trained with silently degrades every answer, so
//! correctness is defined as "equal to HF `tokenizers` / `sentencepiece`
//! on every string", and checked against fixtures those libraries wrote.
//!
//! Two families are covered:
//!
//! - **BPE from `tokenizer.json`** ([`HfTokenizer`]): byte-level BPE with
//!   the GPT-2 pattern (`ByteLevel` pre-tokenizer) or a `Split` regex such as
//!   LLaMA-3's, added tokens matched before pre-tokenization, the common
//!   normalizers (NFC, Prepend/Replace `▁`), post-processors (templates
//!   adding BOS) and decoders (ByteLevel, ByteFallback, Fuse, Strip).
//! - **SentencePiece `.model`** ([`SentencePiece`]): BPE and Unigram, byte
//!   fallback, dummy prefix, control and user-defined symbols, read by a
//!   small protobuf reader of our own.
//!
//! Both build from parts too ([`HfTokenizer::from_parts`],
//! [`SentencePiece::from_parts`]) so a GGUF vocabulary needs no file.
//! [`Tokenizer`] loads either kind of file; [`Tokenize`] is the common
//! interface; [`StreamDecoder`] yields text token by token without ever
//! splitting a UTF-8 character.
//!
//! Speed comes from working on bytes and ids rather than strings: the
//! byte-level model maps raw bytes straight to ids, merges by rank over an
//! id-pair table (a scan for short words, a heap for long ones), and caches
//! pre-token → ids. Anything a file asks for that is not implemented is an
//! [`Error::Unsupported`], never a silent difference.
//!
//! ```
//! use realizar_tokenize::{HfTokenizer, Tokenize};
//!
//! let json = r#"{
//!   "added_tokens": [{"id": 5, "content": "<eos>", "special": true,
//!                     "single_word": false, "lstrip": false, "rstrip": false,
//!                     "normalized": false}],
//!   "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
//!   "decoder": {"type": "ByteLevel"},
//!   "model": {"type": "BPE",
//!             "vocab": {"h": 0, "i": 1, "hi": 2, "Ġ": 3, "Ġhi": 4, "<eos>": 5},
//!             "merges": ["h i", "Ġ hi"]}
//! }"#;
//! let tok = HfTokenizer::from_json_str(json)?;
//! let ids = tok.encode("hi hi<eos>", false);
//! assert_eq!(ids, [2, 4, 5]);
//! assert_eq!(tok.decode(&ids, true)?, "hi hi");
//! # Ok::<(), realizar_tokenize::Error>(())
//! ```
#![warn(missing_docs)]

pub mod bpe;
mod bytes;
mod error;
mod hash;
pub mod sentencepiece;
mod special;
mod stream;
mod tokenizer;

pub use bpe::HfTokenizer;
pub use error::{Error, Result};
pub use sentencepiece::{SentencePiece, SpmKind, SpmOptions};
pub use special::SpecialTokens;
pub use stream::StreamDecoder;
pub use tokenizer::{Tokenize, Tokenizer};
