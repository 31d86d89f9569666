//! A sliding window of class bitmaps over the text being pre-tokenized,
//! and the bit-parallel GPT-2 and LLaMA-3 splits built on it.
//!
//! The window holds the masks of the 128 bytes from `base` (two 64-byte
//! blocks, see [`super::class_masks`]). A whole window of match starts is
//! a handful of shifts and ands ([`Scan::gpt2_window`], [`Scan::llama3_window`]).

use super::class_masks::block;
use super::fastsplit::contraction;

/// Class bitmaps of the 128 bytes from `base`, slid forward as the split
/// advances.
pub(super) struct Scan<'a> {
    b: &'a [u8],
    base: usize,
    m: Masks,
}

/// Class bitmaps of 128 bytes (see [`super::class_masks::Block`]).
#[derive(Debug, Clone, Copy, Default)]
struct Masks {
    letter: u128,
    digit: u128,
    space: u128,
    newline: u128,
    blank: u128,
    apos: u128,
    ascii: u128,
}

impl Masks {
    /// Every mask moved `sh` bytes back (bit 0 = byte `sh`).
    #[inline(always)]
    fn from(&self, sh: usize) -> Self {
        Self {
            letter: self.letter >> sh,
            digit: self.digit >> sh,
            space: self.space >> sh,
            newline: self.newline >> sh,
            blank: self.blank >> sh,
            apos: self.apos >> sh,
            ascii: self.ascii >> sh,
        }
    }
}

/// Match starts found in one window (see [`Scan::gpt2_window`]).
pub(super) struct Window {
    /// Bit `j` set: a match starts at `i + j` (bit 0 is never set).
    pub starts: u128,
    /// The text ends inside the window: the last match ends at the end.
    pub at_end: bool,
}

impl<'a> Scan<'a> {
    /// The window at the start of `b`.
    pub fn new(b: &'a [u8]) -> Self {
        let mut s = Self {
            b,
            base: 0,
            m: Masks::default(),
        };
        s.push_block(0);
        s.push_block(64);
        s
    }

    /// Shifts the window one block forward and loads the block at `at`
    /// into its high half.
    #[inline(always)]
    fn push_block(&mut self, at: usize) {
        let m = block(self.b, at);
        let push = |w: &mut u128, x: u64| *w = *w >> 64 | u128::from(x) << 64;
        let w = &mut self.m;
        push(&mut w.letter, m.letter);
        push(&mut w.digit, m.digit);
        push(&mut w.space, m.space);
        push(&mut w.newline, m.newline);
        push(&mut w.blank, m.blank);
        push(&mut w.apos, m.apos);
        push(&mut w.ascii, m.ascii);
    }

    /// Slides until `i` is in the low block: one block on, or straight to
    /// `i`'s block after a longer skip (a match taken one character at a
    /// time over non-ASCII text), without classifying the blocks between.
    #[inline(always)]
    fn seek(&mut self, i: usize) {
        if i < self.base + 64 {
            return;
        }
        if i >= self.base + 128 {
            self.base = i & !63;
            self.push_block(self.base);
        } else {
            self.base += 64;
        }
        self.push_block(self.base + 64);
    }

    /// The masks of the window from `i`, bit 0 = byte `i`.
    #[inline(always)]
    fn frame(&mut self, i: usize) -> Frame {
        self.seek(i);
        let sh = i - self.base;
        let m = self.m.from(sh);
        let ascii = m.ascii;
        // First non-ASCII byte, or the end of the text (past it no class).
        let q = (!ascii).trailing_zeros() as usize;
        // Positions whose rule reads only known ASCII bytes (rules read
        // up to p + 1).
        let (trusted, at_end) = if q > 64 {
            (64, false)
        } else if i + q >= self.b.len() {
            (q, true)
        } else {
            (q.saturating_sub(1), false)
        };
        Frame { m, trusted, at_end }
    }

    /// The starts of GPT-2 matches in the 64 bytes from `i` (itself a
    /// match start), as far as they are decided by ASCII bytes.
    ///
    /// From a match start the regex never looks back, so `i` is treated as
    /// the start of the text. On ASCII text without apostrophes, position
    /// `p` starts a match exactly when
    /// - a letter, digit or other run starts at `p` not right after a space
    ///   (which would be the run's optional leading space); or
    /// - `p` is a space followed by a letter, digit or other; or
    /// - a whitespace run starts at `p`; or
    /// - `p` is the last character of a whitespace run of two or more
    ///   that a non-space follows (`\s+(?!\S)` leaves it for the next
    ///   match).
    ///
    /// A contraction (`'s`, `'ll`, ...) at a match start then replaces the
    /// starts inside it by one just after it. Positions whose rule needs a
    /// non-ASCII byte are left out: the caller takes those matches one at
    /// a time.
    #[inline(always)]
    pub fn gpt2_window(&mut self, t: &str, i: usize) -> Window {
        let f = self.frame(i);
        let (l, n, s, sp) = (f.m.letter, f.m.digit, f.m.space, f.m.blank);
        let o = f.m.ascii & !(l | n | s);
        let lno = f.m.ascii & !s;
        let run_starts = ((l & !after(l)) | (n & !after(n)) | (o & !after(o))) & !after(sp);
        let spaced = sp & before(lno);
        let ws_start = s & !after(s);
        let ws_last = s & after(s) & before(lno);
        f.finish(t, i, run_starts | spaced | ws_start | ws_last, false)
    }

    /// The starts of LLaMA-3 matches in the 64 bytes from `i` (itself a
    /// match start), as far as they are decided by ASCII bytes.
    ///
    /// As for [`Self::gpt2_window`], `i` is the start of the text. With
    /// `T` the whitespace other than line breaks, position `p` starts a
    /// match exactly when
    /// - a letter run starts at `p`, unless the byte before is a `T` or a
    ///   lone other (an other-run of one, not after a space) that the
    ///   letters take as their prefix;
    /// - a digit run starts at `p`, or `p` is 3, 6, ... digits into it;
    /// - an other-run starts at `p` not right after a space;
    /// - a whitespace run starts at `p`, where the line breaks right after
    ///   an other-run are not whitespace (`[\r\n]*` took them);
    /// - `p` is the first `T` after the last line break of its run; or
    /// - `p` is the last of two or more `T`s ending a run that a
    ///   non-space follows.
    ///
    /// Contractions are then fixed up as for GPT-2.
    #[inline(always)]
    pub fn llama3_window(&mut self, t: &str, i: usize) -> Window {
        let mut f = self.frame(i);
        let m = f.m;
        let (l, n, s, nl, sp) = (m.letter, m.digit, m.space, m.newline, m.blank);
        let o = m.ascii & !(l | n | s);
        let tw = s & !nl;
        let o_start = o & !after(o);
        // Line breaks right after an other-run belong to its match.
        let seeds = nl & after(o);
        let taken = nl & !nl.wrapping_add(seeds);
        let ws = s & !taken;
        let lone_o = o_start & before(l) & !after(sp);
        let l_start = l & !after(l);
        let letters = l_start & !(after(tw) | after(lone_o));
        let n_start = n & !after(n);
        let mut starts = letters
            | n_start
            | (o_start & !after(sp))
            | (ws & !after(ws))
            | (tw & after(tw) & !before(ws) & before(m.ascii));
        // First T after a line break: a start if no line break follows
        // in its run of Ts.
        let mut cand = tw & after(nl) & ws & f.mask();
        while cand != 0 {
            let p = cand.trailing_zeros() as usize;
            cand &= cand - 1;
            let end = p + (!tw >> p).trailing_zeros() as usize;
            if end > f.trusted && !f.at_end {
                f.trusted = p;
                break;
            }
            if nl >> end & 1 == 0 {
                starts |= 1 << p;
            }
        }
        // Digit runs split every three digits.
        let mut runs = n_start & f.mask();
        while runs != 0 {
            let x = runs.trailing_zeros() as usize;
            runs &= runs - 1;
            let y = x + (!n >> x).trailing_zeros() as usize;
            let mut k = x + 3;
            while k < y.min(f.trusted) {
                starts |= 1 << k;
                k += 3;
            }
        }
        f.finish(t, i, starts, true)
    }
}

/// `x` moved one position on: bit `p` says what bit `p - 1` said.
#[inline(always)]
fn after(x: u128) -> u128 {
    x << 1
}

/// `x` moved one position back: bit `p` says what bit `p + 1` said.
#[inline(always)]
fn before(x: u128) -> u128 {
    x >> 1
}

/// A window's masks from its start `i` (see [`Scan::frame`]).
struct Frame {
    m: Masks,
    /// Positions below this are decided by known bytes.
    trusted: usize,
    /// The text ends inside the window.
    at_end: bool,
}

impl Frame {
    /// Bits of the trusted positions.
    #[inline(always)]
    fn mask(&self) -> u128 {
        (1u128 << self.trusted) - 1
    }

    /// Applies the contractions at match starts (`fold`: case-insensitive,
    /// LLaMA-3) and keeps the trusted starts.
    #[inline(always)]
    fn finish(mut self, t: &str, i: usize, mut starts: u128, fold: bool) -> Window {
        starts &= self.mask();
        let mut aps = self.m.apos & (starts | 1) & self.mask();
        while aps != 0 {
            let p = aps.trailing_zeros() as usize;
            aps &= aps - 1;
            if !self.at_end && p + 3 >= self.trusted {
                // Its letters may lie past the known bytes: stop before it.
                self.trusted = p;
                break;
            }
            if let Some(len) = contraction(&t[i + p..], fold) {
                starts &= !(((1u128 << (len - 1)) - 1) << (p + 1));
                starts |= 1 << (p + len);
            }
        }
        Window {
            starts: starts & self.mask() & !1,
            at_end: self.at_end,
        }
    }
}
