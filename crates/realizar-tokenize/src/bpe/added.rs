//! Added tokens (`<|endoftext|>`, chat markers, ...): found in the text
//! before normalization and pre-tokenization, leftmost-longest, and never
//! split by the model.

/// One added token.
#[derive(Debug, Clone)]
pub struct AddedToken {
    /// Its text.
    pub content: String,
    /// Its id.
    pub id: u32,
    /// Skipped by `decode(.., skip_special_tokens = true)`.
    pub special: bool,
    /// Swallows whitespace on its left.
    pub lstrip: bool,
    /// Swallows whitespace on its right.
    pub rstrip: bool,
    /// Matched in the normalized text rather than the raw text.
    pub normalized: bool,
}

/// A piece of a segmented text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Ordinary text, to be normalized and pre-tokenized.
    Text(&'a str),
    /// An added token.
    Token(u32),
}

/// The added tokens of one pass (raw or normalized).
#[derive(Debug, Clone, Default)]
pub struct AddedMatcher {
    /// Longest first, so the first hit at a position is the longest.
    tokens: Vec<AddedToken>,
    first_byte: Vec<bool>,
    /// The first byte of every token, when they all share one ASCII byte
    /// (`<` for `<|endoftext|>`, ...): candidates are found by `memchr`.
    common_first: Option<char>,
}

impl AddedMatcher {
    /// A matcher over `tokens` (empty contents are ignored).
    pub fn new(tokens: impl IntoIterator<Item = AddedToken>) -> Self {
        let mut tokens: Vec<AddedToken> = tokens
            .into_iter()
            .filter(|t| !t.content.is_empty())
            .collect();
        tokens.sort_by_key(|t| std::cmp::Reverse(t.content.len()));
        let mut first_byte = vec![false; 256];
        for t in &tokens {
            first_byte[t.content.as_bytes()[0] as usize] = true;
        }
        let firsts: Vec<u8> = tokens.iter().map(|t| t.content.as_bytes()[0]).collect();
        let common_first = firsts
            .first()
            .filter(|&&b| b.is_ascii() && firsts.iter().all(|&c| c == b))
            .map(|&b| b as char);
        Self {
            tokens,
            first_byte,
            common_first,
        }
    }

    /// Whether there is nothing to match.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Splits `text` into text and added-token segments.
    pub fn split<'a>(&self, text: &'a str, f: &mut dyn FnMut(Segment<'a>)) {
        if self.tokens.is_empty() {
            f(Segment::Text(text));
            return;
        }
        let bytes = text.as_bytes();
        let mut last = 0; // start of pending text
        let mut i = 0;
        while i < bytes.len() {
            if let Some(c) = self.common_first {
                // `i` is a character boundary: it follows a token or a
                // candidate byte, both ASCII or whole strings.
                match text[i..].find(c) {
                    Some(j) => i += j,
                    None => break,
                }
            } else if !self.first_byte[bytes[i] as usize] {
                i += 1;
                continue;
            }
            let hit = self
                .tokens
                .iter()
                .find(|t| bytes[i..].starts_with(t.content.as_bytes()));
            let Some(t) = hit else {
                i += 1;
                continue;
            };
            let mut start = i;
            if t.lstrip {
                start = last + text[last..i].trim_end().len();
            }
            let mut end = i + t.content.len();
            if t.rstrip {
                end += text[end..].len() - text[end..].trim_start().len();
            }
            if start > last {
                f(Segment::Text(&text[last..start]));
            }
            f(Segment::Token(t.id));
            last = end;
            i = end;
        }
        if last < text.len() {
            f(Segment::Text(&text[last..]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(content: &str, id: u32) -> AddedToken {
        AddedToken {
            content: content.into(),
            id,
            special: true,
            lstrip: false,
            rstrip: false,
            normalized: false,
        }
    }

    #[test]
    fn leftmost_longest() {
        let m = AddedMatcher::new([tok("<a>", 1), tok("<a><b>", 2)]);
        let mut v = Vec::new();
        m.split("x<a><b>y<a>", &mut |s| v.push(s));
        assert_eq!(
            v,
            [
                Segment::Text("x"),
                Segment::Token(2),
                Segment::Text("y"),
                Segment::Token(1)
            ]
        );
    }
}
