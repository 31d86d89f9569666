//! Hand-written matchers for the two pre-tokenizer patterns nearly every
//! byte-level BPE uses (GPT-2's and LLaMA-3's / GPT-4's), giving exactly the
//! matches of the regex (tested against it), several times faster: one pass
//! over the text, ASCII classified by a table, other characters by binary
//! search in the Unicode tables of `regex-syntax`.

use std::sync::OnceLock;

use super::scan::{Scan, Window};

/// A pattern we match by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    Gpt2,
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    Llama3,
}

/// LLaMA-3's pattern, as `tokenizer.json` files spell it.
pub const LLAMA3_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Letter,
    Number,
    Space,
    Other,
}

fn letters() -> &'static [(char, char)] {
    static L: OnceLock<Vec<(char, char)>> = OnceLock::new();
    L.get_or_init(|| {
        use regex_syntax::hir::{Class as C, HirKind};
        match regex_syntax::parse(r"\p{L}").map(|h| h.kind().clone()) {
            Ok(HirKind::Class(C::Unicode(u))) => {
                u.ranges().iter().map(|r| (r.start(), r.end())).collect()
            }
            _ => Vec::new(),
        }
    })
}

fn is_letter(c: char) -> bool {
    letters()
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Classes of the ASCII characters.
const ASCII: [Class; 128] = {
    let mut t = [Class::Other; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = match i as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
            b'0'..=b'9' => Class::Number,
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => Class::Space,
            _ => Class::Other,
        };
        i += 1;
    }
    t
};

#[inline(always)]
fn class(c: char) -> Class {
    if c.is_ascii() {
        ASCII[c as usize]
    } else if is_letter(c) {
        Class::Letter
    } else if c.is_numeric() {
        Class::Number
    } else if c.is_whitespace() {
        Class::Space
    } else {
        Class::Other
    }
}

/// End of the run of `class` starting at `i`, and how many chars it has.
#[inline]
pub(super) fn run(t: &str, mut i: usize, want: Class) -> usize {
    let b = t.as_bytes();
    // ASCII bytes by table; the first non-ASCII one hands over to chars.
    while i < b.len() && b[i] < 0x80 {
        if ASCII[b[i] as usize] != want {
            return i;
        }
        i += 1;
    }
    for c in t[i..].chars() {
        if class(c) != want {
            break;
        }
        i += c.len_utf8();
    }
    i
}

pub(super) fn contraction(rest: &str, fold: bool) -> Option<usize> {
    let mut it = rest.chars();
    if it.next() != Some('\'') {
        return None;
    }
    let norm = |c: char| {
        if !fold {
            c
        } else if c == '\u{17F}' {
            's'
        } else {
            c.to_ascii_lowercase()
        }
    };
    let a = it.next().map(norm)?;
    let a_len = rest[1..].chars().next().map_or(0, char::len_utf8);
    match a {
        's' | 't' | 'm' | 'd' => Some(1 + a_len),
        'r' | 'v' | 'l' => {
            let b = it.next().map(norm)?;
            let want = if a == 'l' { 'l' } else { 'e' };
            (b == want)
                .then(|| 1 + a_len + rest[1 + a_len..].chars().next().map_or(0, char::len_utf8))
        }
        _ => None,
    }
}

/// The whitespace alternatives at `i` (a whitespace char): `\s+(?!\S)|\s+`,
/// preceded for LLaMA-3 by `\s*[\r\n]+`.
fn spaces(t: &str, i: usize, newline_alt: bool) -> usize {
    let end = run(t, i, Class::Space);
    if newline_alt && let Some(j) = t[i..end].rfind(['\r', '\n']) {
        return i + j + 1;
    }
    if end == t.len() {
        return end;
    }
    // Followed by a non-space: give back the last char if there are two or more.
    let last = t[i..end].char_indices().next_back().map_or(0, |(k, _)| k);
    if last == 0 { end } else { i + last }
}

fn next_gpt2(t: &str, i: usize) -> usize {
    let rest = &t[i..];
    if let Some(n) = contraction(rest, false) {
        return i + n;
    }
    let mut chars = rest.chars();
    let c = chars.next().unwrap_or(' ');
    let cc = class(c);
    let start = if c == ' ' {
        match chars.next().map(class) {
            Some(k @ (Class::Letter | Class::Number | Class::Other)) => Some((i + 1, k)),
            _ => None,
        }
    } else if cc != Class::Space {
        Some((i, cc))
    } else {
        None
    };
    match start {
        Some((s, k)) => run(t, s, k),
        None => spaces(t, i, false),
    }
}

fn next_llama3(t: &str, i: usize) -> usize {
    let rest = &t[i..];
    if let Some(n) = contraction(rest, true) {
        return i + n;
    }
    let mut chars = rest.chars();
    let c = chars.next().unwrap_or(' ');
    let cc = class(c);
    let next = chars.next();
    let nc = next.map(class);
    if cc == Class::Letter {
        return run(t, i, Class::Letter);
    }
    if cc != Class::Number && c != '\r' && c != '\n' && nc == Some(Class::Letter) {
        return run(t, i + c.len_utf8(), Class::Letter);
    }
    if cc == Class::Number {
        let mut e = i;
        for d in rest.chars().take(3) {
            if class(d) != Class::Number {
                break;
            }
            e += d.len_utf8();
        }
        return e;
    }
    let other_from = if cc == Class::Other {
        Some(i)
    } else if c == ' ' && nc == Some(Class::Other) {
        Some(i + 1)
    } else {
        None
    };
    if let Some(s) = other_from {
        let mut e = run(t, s, Class::Other);
        e += t[e..].len() - t[e..].trim_start_matches(['\r', '\n']).len();
        return e;
    }
    spaces(t, i, true)
}

/// Calls `f(start, end)` for each match of `known` in `text` (the matches
/// cover the text: every character is in one).
pub fn for_each(known: Known, text: &str, f: impl FnMut(usize, usize)) {
    match known {
        Known::Gpt2 => each_window(text, |s, t, i| s.gpt2_window(t, i), next_gpt2, f),
        Known::Llama3 => each_window(text, |s, t, i| s.llama3_window(t, i), next_llama3, f),
    }
}

/// The split a window of match starts at a time (`window`), one match at
/// a time (`step`, the character-by-character matcher) where the window
/// decides nothing: a non-ASCII byte within reach, or a run longer than
/// the window.
#[inline(always)]
fn each_window(
    text: &str,
    window: impl Fn(&mut Scan<'_>, &str, usize) -> Window,
    step: fn(&str, usize) -> usize,
    mut f: impl FnMut(usize, usize),
) {
    let mut scan = Scan::new(text.as_bytes());
    let mut i = 0;
    while i < text.len() {
        let w = window(&mut scan, text, i);
        let (mut starts, mut s) = (w.starts, i);
        while starts != 0 {
            let p = i + starts.trailing_zeros() as usize;
            f(s, p);
            s = p;
            starts &= starts - 1;
        }
        if w.at_end {
            f(s, text.len());
            return;
        }
        if s > i {
            i = s;
            continue;
        }
        let e = step(text, i).max(i + 1);
        // Every alternative consumes at least one character.
        let e = if text.is_char_boundary(e) {
            e
        } else {
            i + text[i..].chars().next().map_or(1, char::len_utf8)
        };
        f(i, e);
        i = e;
    }
}

#[cfg(test)]
mod tests {
    use super::super::pretokenize::{GPT2_PATTERN, SplitRegex};
    use super::*;

    fn splitters() -> Vec<(SplitRegex, SplitRegex)> {
        [GPT2_PATTERN, LLAMA3_PATTERN]
            .iter()
            .map(|p| {
                let fast = SplitRegex::new(p).unwrap();
                (fast.clone(), fast.without_fast_path())
            })
            .collect()
    }

    fn both(splitters: &[(SplitRegex, SplitRegex)], text: &str) {
        for (fast, slow) in splitters {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            fast.for_each(text, |s, e, m| a.push((s, e, m)));
            slow.for_each(text, |s, e, m| b.push((s, e, m)));
            assert_eq!(a, b, "{fast:?} on {text:?}");
        }
    }

    /// `rounds` texts of up to `max_pieces - 1` pieces drawn from
    /// `palette` (xorshift from `seed`), each split both ways.
    fn random_texts(palette: &[&str], seed: u64, rounds: usize, max_pieces: u64) {
        let sp = splitters();
        let mut state = seed;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..rounds {
            let mut s = String::new();
            for _ in 0..(next() % max_pieces) {
                s.push_str(palette[(next() % palette.len() as u64) as usize]);
            }
            both(&sp, &s);
        }
    }

    #[test]
    fn same_matches_as_the_regex_on_random_text() {
        const PALETTE: &[&str] = &[
            "a", "Z", "é", "ſ", "S", "s", "t", "T", "r", "E", "e", "v", "m", "L", "l", "d", "D",
            "'", "\"", "1", "٣", "½", "Ⅻ", " ", "  ", "\t", "\n", "\r", "\r\n", "\u{a0}",
            "\u{3000}", "\u{2028}", "\u{b}", "\u{85}", "中", "😀", "\u{301}", "-", "(", "_", ".",
            "\u{200d}", "x\u{308}", "ab", "12345", "\u{1f}", "ǅ", "ʰ", "ª",
        ];
        random_texts(PALETTE, 0x9e37_79b9_7f4a_7c15, 4000, 24);
    }

    #[test]
    fn same_matches_as_the_regex_on_long_mostly_ascii_text() {
        // Long texts cross many 64-byte blocks, with runs of every length
        // (some longer than the 128-byte window) and non-ASCII characters
        // inside and at the edges of ASCII runs.
        const PALETTE: &[&str] = &[
            "the",
            " quick",
            "fox",
            " ",
            "  ",
            "\n",
            "\n\n",
            "\t",
            "\r\n",
            "1",
            "2024",
            "12345678",
            "'s",
            "'T",
            "'ll",
            "'",
            ".",
            ",",
            "--",
            " (",
            ")",
            "_",
            "é",
            " é",
            "中",
            "٣",
            "\u{a0}",
            "x",
            "-é",
            ",é",
            " ٣",
            "9٣",
            "ab\u{301}",
            "😀",
            "{",
            "}",
            ";\n",
            "    ",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "                                                                              ",
            "..........................................................................!!",
        ];
        random_texts(PALETTE, 0x1234_5678_9abc_def1, 200, 600);
    }

    #[test]
    fn same_matches_as_the_regex_after_long_non_ascii_stretches() {
        // The window jumps over text taken one character at a time; the
        // ASCII after it must be classified where it is.
        let sp = splitters();
        for n in [1, 21, 22, 43, 64, 150] {
            let cjk = "中文".repeat(n);
            for tail in [" the fox's 123 jumps\n  ok", "x'll  \t\n\n(ab) 9999"] {
                both(&sp, &format!("ab {cjk}{tail}{cjk}{tail}"));
                both(&sp, &format!("{cjk} {tail}"));
            }
        }
    }

    #[test]
    fn same_matches_as_the_regex_on_the_fixture_strings() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/tokenize_strings.json"
        );
        let strings: Vec<String> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let sp = splitters();
        for s in &strings {
            both(&sp, s);
        }
    }

    #[test]
    fn every_non_ascii_letter_class_agrees_with_regex() {
        let re = regex::Regex::new(r"^\p{L}$").unwrap();
        for cp in (0x80..0x3_0000).step_by(7) {
            if let Some(c) = char::from_u32(cp) {
                assert_eq!(
                    is_letter(c),
                    re.is_match(c.encode_utf8(&mut [0; 4])),
                    "{cp:#x}"
                );
            }
        }
    }

    #[test]
    fn same_matches_as_the_regex_around_window_edges() {
        // Short pieces and runs of 31-38 bytes put match edges, apostrophes
        // and non-ASCII characters at every offset of the 64-byte windows.
        const PALETTE: &[&str] = &[
            "a",
            "b",
            " ",
            "\n",
            "1",
            "'",
            "s",
            ".",
            "é",
            "ll",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "                               ",
            "\t",
            "\r\n",
            " \n",
            "\n ",
            "((",
            "(",
            "123",
            "1234567",
            "'S",
            "'Re",
            "'LL",
            "D",
            "\u{a0}",
            "٣",
            "\x0b",
            "\n\n\n\n\n\n\n\n\n\n",
        ];
        random_texts(
            PALETTE,
            0x1234_5678,
            std::env::var("SPLIT_ROUNDS").map_or(20_000, |v| v.parse().unwrap_or(20_000)),
            30,
        );
    }
}
