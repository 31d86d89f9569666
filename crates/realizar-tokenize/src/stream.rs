//! Streaming decoding: text token by token, never splitting a character.

use crate::error::Result;
use crate::tokenizer::Tokenize;

/// Turns ids, one at a time, into text pieces whose concatenation equals
/// `decode(all ids)` (for decoders that act token by token), holding back
/// output while the last tokens end inside a UTF-8 character.
#[derive(Debug)]
pub struct StreamDecoder<'t, T: Tokenize + ?Sized> {
    tok: &'t T,
    skip_special_tokens: bool,
    ids: Vec<u32>,
    /// Text already returned for `ids[..]` (decoded as one sequence).
    emitted: String,
}

impl<'t, T: Tokenize + ?Sized> StreamDecoder<'t, T> {
    /// A decoder over `tok`.
    pub fn new(tok: &'t T, skip_special_tokens: bool) -> Self {
        Self {
            tok,
            skip_special_tokens,
            ids: Vec::new(),
            emitted: String::new(),
        }
    }

    /// Adds one id; returns the new text, if a whole character is ready.
    pub fn step(&mut self, id: u32) -> Result<Option<String>> {
        self.ids.push(id);
        let text = self.tok.decode(&self.ids, self.skip_special_tokens)?;
        if text.ends_with('\u{FFFD}') || text.len() <= self.emitted.len() {
            return Ok(None);
        }
        let new = match text.strip_prefix(self.emitted.as_str()) {
            Some(rest) => rest.to_owned(),
            None => text[common_prefix(&text, &self.emitted)..].to_owned(),
        };
        // Keep one token of context: decoders strip the first token's space.
        let last = *self.ids.last().unwrap_or(&id);
        self.ids.clear();
        self.ids.push(last);
        self.emitted = self.tok.decode(&self.ids, self.skip_special_tokens)?;
        Ok(Some(new))
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
}
