//! Normalizers (applied to each segment before pre-tokenization) and the
//! post-processors that add special tokens.

use unicode_normalization::UnicodeNormalization;

/// One normalizer step of `tokenizer.json`.
#[derive(Debug, Clone)]
pub enum Normalizer {
    /// Unicode NFC.
    Nfc,
    /// Unicode NFD.
    Nfd,
    /// Unicode NFKC.
    Nfkc,
    /// Unicode NFKD.
    Nfkd,
    /// Lower-case.
    Lowercase,
    /// Prepend a string to a non-empty segment (LLaMA-style `▁`).
    Prepend(String),
    /// Replace every occurrence of a string.
    Replace {
        /// What to find.
        pattern: String,
        /// What to put instead.
        content: String,
    },
    /// Strip whitespace on the left and/or right.
    Strip {
        /// Strip leading whitespace.
        left: bool,
        /// Strip trailing whitespace.
        right: bool,
    },
}

impl Normalizer {
    /// Applies this step.
    pub fn apply(&self, s: String) -> String {
        match self {
            Normalizer::Nfc => s.nfc().collect(),
            Normalizer::Nfd => s.nfd().collect(),
            Normalizer::Nfkc => s.nfkc().collect(),
            Normalizer::Nfkd => s.nfkd().collect(),
            Normalizer::Lowercase => s.to_lowercase(),
            Normalizer::Prepend(p) => {
                if s.is_empty() {
                    s
                } else {
                    let mut out = String::with_capacity(p.len() + s.len());
                    out.push_str(p);
                    out.push_str(&s);
                    out
                }
            }
            Normalizer::Replace { pattern, content } => {
                if pattern.is_empty() {
                    s
                } else {
                    s.replace(pattern.as_str(), content)
                }
            }
            Normalizer::Strip { left, right } => {
                let mut t: &str = &s;
                if *left {
                    t = t.trim_start();
                }
                if *right {
                    t = t.trim_end();
                }
                t.to_owned()
            }
        }
    }
}

/// A post-processor: the special tokens `encode(.., add_special_tokens=true)`
/// puts around the ids of a single sequence.
#[derive(Debug, Clone, Default)]
pub struct PostProcessor {
    /// Ids before the sequence.
    pub prefix: Vec<u32>,
    /// Ids after the sequence.
    pub suffix: Vec<u32>,
}
