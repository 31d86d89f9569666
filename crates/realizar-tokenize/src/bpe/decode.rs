//! Decoders: turn the tokens of a sequence back into text, as the
//! reference's decoder chain does.

use crate::bytes::token_to_bytes;

/// One decoder step of `tokenizer.json`.
#[derive(Debug, Clone)]
pub enum Decoder {
    /// Byte-level tokens back to bytes, then lossy UTF-8 (joins all tokens).
    ByteLevel,
    /// Replace a string in every token.
    Replace {
        /// What to find.
        pattern: String,
        /// What to put instead.
        content: String,
    },
    /// `<0xNN>` tokens back to bytes; invalid UTF-8 runs become one U+FFFD per byte.
    ByteFallback,
    /// Join all tokens into one.
    Fuse,
    /// Remove `start` leading and `stop` trailing occurrences of a character
    /// from every token.
    Strip {
        /// The character.
        content: char,
        /// How many to remove at the start.
        start: usize,
        /// How many to remove at the end.
        stop: usize,
    },
    /// `▁` back to spaces; the first token loses its leading space if
    /// `strip_first`.
    Metaspace {
        /// The replacement character (usually `▁`).
        replacement: char,
        /// Remove the space the pre-tokenizer prepended.
        strip_first: bool,
    },
}

/// Runs a decoder chain over `tokens` and joins the result.
pub fn decode_chain(decoders: &[Decoder], mut tokens: Vec<String>) -> String {
    for d in decoders {
        tokens = d.apply(tokens);
    }
    tokens.concat()
}

impl Decoder {
    fn apply(&self, tokens: Vec<String>) -> Vec<String> {
        match self {
            Decoder::ByteLevel => {
                let mut bytes = Vec::new();
                for t in &tokens {
                    token_to_bytes(t, &mut bytes);
                }
                vec![String::from_utf8_lossy(&bytes).into_owned()]
            }
            Decoder::Replace { pattern, content } => tokens
                .into_iter()
                .map(|t| t.replace(pattern.as_str(), content))
                .collect(),
            Decoder::ByteFallback => byte_fallback(tokens),
            Decoder::Fuse => vec![tokens.concat()],
            Decoder::Strip {
                content,
                start,
                stop,
            } => tokens
                .into_iter()
                .map(|t| {
                    let mut s: &str = &t;
                    for _ in 0..*start {
                        match s.strip_prefix(*content) {
                            Some(r) => s = r,
                            None => break,
                        }
                    }
                    for _ in 0..*stop {
                        match s.strip_suffix(*content) {
                            Some(r) => s = r,
                            None => break,
                        }
                    }
                    s.to_owned()
                })
                .collect(),
            Decoder::Metaspace {
                replacement,
                strip_first,
            } => tokens
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    let t = t.replace(*replacement, " ");
                    if i == 0 && *strip_first {
                        t.strip_prefix(' ').map(str::to_owned).unwrap_or(t)
                    } else {
                        t
                    }
                })
                .collect(),
        }
    }
}

/// Parses `<0xNN>`.
pub fn parse_byte_token(t: &str) -> Option<u8> {
    let hex = t.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

fn byte_fallback(tokens: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut pending: Vec<u8> = Vec::new();
    let flush = |pending: &mut Vec<u8>, out: &mut Vec<String>| {
        if pending.is_empty() {
            return;
        }
        match String::from_utf8(std::mem::take(pending)) {
            Ok(s) => out.push(s),
            Err(e) => {
                for _ in 0..e.as_bytes().len() {
                    out.push('\u{FFFD}'.to_string());
                }
            }
        }
    };
    for t in tokens {
        match parse_byte_token(&t) {
            Some(b) => pending.push(b),
            None => {
                flush(&mut pending, &mut out);
                out.push(t);
            }
        }
    }
    flush(&mut pending, &mut out);
    out
}
