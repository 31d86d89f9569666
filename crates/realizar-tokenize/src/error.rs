//! The error type of the crate.

/// Everything that can go wrong when loading a tokenizer or using it.
///
/// Messages name what was wrong and where (field, byte offset, token).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a tokenizer file failed.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `tokenizer.json` is not valid JSON or a field has the wrong type.
    #[error("tokenizer.json: {0}")]
    Json(String),
    /// A field the pipeline needs is missing.
    #[error("tokenizer.json: missing field {0}")]
    MissingField(&'static str),
    /// A component or option we do not implement (rather than guess).
    #[error("unsupported {what}: {found}")]
    Unsupported {
        /// Which component (normalizer, pre-tokenizer, model, ...).
        what: &'static str,
        /// What the file asked for.
        found: String,
    },
    /// A merge names a token missing from the vocabulary, or its result is missing.
    #[error("merge {index} ({left:?} + {right:?}): token {missing:?} is not in the vocabulary")]
    UnknownMergeToken {
        /// Position of the merge in the merges list.
        index: usize,
        /// Left part.
        left: String,
        /// Right part.
        right: String,
        /// The token that is absent.
        missing: String,
    },
    /// A merge entry is neither `"a b"` nor `["a", "b"]`.
    #[error("merge {index}: malformed entry {found}")]
    BadMerge {
        /// Position of the merge.
        index: usize,
        /// The entry as found.
        found: String,
    },
    /// The vocabulary is inconsistent (duplicate or out-of-range ids, empty).
    #[error("vocabulary: {0}")]
    Vocab(String),
    /// A regular expression of a pre-tokenizer does not compile.
    #[error("pre-tokenizer regex {pattern:?}: {message}")]
    Regex {
        /// The pattern.
        pattern: String,
        /// Why it was rejected.
        message: String,
    },
    /// A SentencePiece `.model` file is not a valid `ModelProto`.
    #[error("sentencepiece model: {message} at byte {offset}")]
    Protobuf {
        /// What was wrong.
        message: String,
        /// Byte offset in the file.
        offset: usize,
    },
    /// An id passed to `decode` is not in the vocabulary.
    #[error("token id {id} out of range (vocabulary size {vocab_size})")]
    UnknownId {
        /// The id.
        id: u32,
        /// The vocabulary size.
        vocab_size: usize,
    },
}

/// Result with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
