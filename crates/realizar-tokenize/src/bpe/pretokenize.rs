//! Pre-tokenizers: split a normalized segment into the words the BPE model
//! encodes one by one.
//!
//! The GPT-2 and LLaMA-3 patterns end in `\s+(?!\S)|\s+`, a lookahead the
//! `regex` crate lacks. It is emulated exactly: the pattern is compiled with
//! plain `\s+`, and a whitespace-only match of two or more characters that
//! came from that alternative and is followed by a non-space gives back its
//! last character (which then starts the next word, as the lookahead would
//! have made it).

use regex::Regex;

use super::fastsplit::{self, Known};
use crate::error::{Error, Result};

pub use super::fastsplit::LLAMA3_PATTERN;

/// GPT-2's pattern (the `ByteLevel` pre-tokenizer with `use_regex`).
pub const GPT2_PATTERN: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// A regex split that reproduces Oniguruma's leftmost-first matches.
#[derive(Debug, Clone)]
pub struct SplitRegex {
    re: Regex,
    /// The pattern had `\s+(?!\S)|\s+`.
    emulate: bool,
    /// The pattern has `\s*[\r\n]+` before it (whitespace matches with a
    /// line break came from that alternative, not from `\s+`).
    newline_alt: bool,
    /// GPT-2's or LLaMA-3's pattern: matched by hand, same matches.
    fast: Option<Known>,
}

impl SplitRegex {
    /// Compiles `pattern`; lookarounds other than the trailing-whitespace one
    /// are rejected.
    pub fn new(pattern: &str) -> Result<Self> {
        const LOOK: &str = r"\s+(?!\S)|\s+";
        let emulate = pattern.contains(LOOK);
        let plain = pattern.replace(LOOK, r"\s+");
        if plain.contains("(?=") || plain.contains("(?!") || plain.contains("(?<") {
            return Err(Error::Regex {
                pattern: pattern.to_owned(),
                message: "lookaround other than `\\s+(?!\\S)|\\s+` is not supported".into(),
            });
        }
        let re = Regex::new(&plain).map_err(|e| Error::Regex {
            pattern: pattern.to_owned(),
            message: e.to_string(),
        })?;
        let fast = match pattern {
            GPT2_PATTERN => Some(Known::Gpt2),
            LLAMA3_PATTERN => Some(Known::Llama3),
            _ => None,
        };
        Ok(Self {
            re,
            emulate,
            newline_alt: pattern.contains(r"\s*[\r\n]+"),
            fast,
        })
    }

    /// The hand-written matcher of this pattern, if it has one.
    pub(crate) fn known(&self) -> Option<Known> {
        self.fast
    }

    /// The same split without the hand-written matcher (to test it).
    pub fn without_fast_path(mut self) -> Self {
        self.fast = None;
        self
    }

    /// Calls `f(start, end, is_match)` for every match and every gap between
    /// matches, in order.
    pub fn for_each(&self, text: &str, mut f: impl FnMut(usize, usize, bool)) {
        if let Some(known) = self.fast {
            return fastsplit::for_each(known, text, |s, e| f(s, e, true));
        }
        let mut pos = 0;
        let mut last = 0;
        while pos < text.len() {
            let Some(m) = self.re.find_at(text, pos) else {
                break;
            };
            let (s, mut e) = (m.start(), m.end());
            if e == s {
                // An empty match: step over one character.
                pos = e + text[e..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            if self.emulate && e < text.len() {
                e = self.lookahead_end(text, s, e);
            }
            if s > last {
                f(last, s, false);
            }
            f(s, e, true);
            last = e;
            pos = e;
        }
        if last < text.len() {
            f(last, text.len(), false);
        }
    }

    fn lookahead_end(&self, text: &str, s: usize, e: usize) -> usize {
        let m = &text[s..e];
        let next_is_space = text[e..].chars().next().is_some_and(char::is_whitespace);
        if next_is_space || !m.chars().all(char::is_whitespace) {
            return e;
        }
        if self.newline_alt && m.contains(['\r', '\n']) {
            return e;
        }
        let mut chars = m.char_indices();
        let (last, _) = chars.next_back().unwrap_or((0, ' '));
        if last == 0 { e } else { s + last }
    }
}

/// How a `Split` pre-tokenizer treats the matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBehavior {
    /// Matches and gaps are words.
    Isolated,
    /// Matches are dropped.
    Removed,
    /// A match joins the word before it.
    MergedWithPrevious,
    /// A match joins the word after it.
    MergedWithNext,
}

/// One pre-tokenizer step.
#[derive(Debug, Clone)]
pub enum PreTokenizer {
    /// Split on a regex.
    Split {
        /// The regex.
        regex: SplitRegex,
        /// What to do with matches.
        behavior: SplitBehavior,
        /// Words are the gaps instead of the matches.
        invert: bool,
    },
    /// GPT-2's byte-level step (the byte mapping itself is done by the model).
    ByteLevel {
        /// Prepend a space to a segment that does not start with one.
        add_prefix_space: bool,
        /// Split with [`GPT2_PATTERN`].
        regex: Option<SplitRegex>,
    },
    /// Split digits from the rest (each digit alone if `individual`).
    Digits {
        /// One word per digit.
        individual: bool,
    },
}

impl PreTokenizer {
    /// Splits `text` into words, calling `f` on each.
    pub fn split<'a>(&self, text: &'a str, f: &mut dyn FnMut(&'a str)) {
        match self {
            PreTokenizer::Split {
                regex,
                behavior,
                invert,
            } => split_regex(regex, *behavior, *invert, text, f),
            PreTokenizer::ByteLevel { regex: Some(r), .. } => {
                r.for_each(text, |s, e, _| f(&text[s..e]))
            }
            PreTokenizer::ByteLevel { regex: None, .. } => f(text),
            PreTokenizer::Digits { individual } => split_digits(text, *individual, f),
        }
    }
}

fn split_regex<'a>(
    re: &SplitRegex,
    behavior: SplitBehavior,
    invert: bool,
    text: &'a str,
    f: &mut dyn FnMut(&'a str),
) {
    let mut pending: Option<usize> = None; // start of a word being merged
    re.for_each(text, |s, e, is_match| {
        let is_match = is_match != invert;
        match behavior {
            SplitBehavior::Isolated => f(&text[s..e]),
            SplitBehavior::Removed => {
                if !is_match {
                    f(&text[s..e])
                }
            }
            SplitBehavior::MergedWithPrevious => {
                if is_match {
                    f(&text[pending.take().unwrap_or(s)..e]);
                } else {
                    if let Some(p) = pending.take() {
                        f(&text[p..s]);
                    }
                    pending = Some(s);
                }
            }
            SplitBehavior::MergedWithNext => {
                if is_match {
                    if let Some(p) = pending.take() {
                        f(&text[p..s]);
                    }
                    pending = Some(s);
                } else {
                    f(&text[pending.take().unwrap_or(s)..e]);
                }
            }
        }
    });
    if let Some(p) = pending {
        f(&text[p..]);
    }
}

fn split_digits<'a>(text: &'a str, individual: bool, f: &mut dyn FnMut(&'a str)) {
    let mut start = 0;
    let mut prev_digit: Option<bool> = None;
    for (i, c) in text.char_indices() {
        let d = c.is_numeric();
        if let Some(p) = prev_digit
            && (p != d || (d && individual))
        {
            f(&text[start..i]);
            start = i;
        }
        prev_digit = Some(d);
    }
    if start < text.len() {
        f(&text[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(pattern: &str, text: &str) -> Vec<String> {
        let re = SplitRegex::new(pattern).unwrap();
        let mut v = Vec::new();
        re.for_each(text, |s, e, _| v.push(text[s..e].to_owned()));
        v
    }

    #[test]
    fn gpt2_trailing_whitespace_lookahead() {
        assert_eq!(words(GPT2_PATTERN, "a   b"), ["a", "  ", " b"]);
        assert_eq!(
            words(GPT2_PATTERN, "a \n\nb  "),
            ["a", " \n", "\n", "b", "  "]
        );
        assert_eq!(words(GPT2_PATTERN, "x\ny"), ["x", "\n", "y"]);
    }
}
