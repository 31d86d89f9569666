//! Request bodies from JSON bytes: a fast path for the shapes clients send,
//! `serde_json` for everything else.
//!
//! A `/predict` body is mostly one array of numbers (784 of them for an
//! MNIST-sized model, ~8 KB), and parsing it is most of what a server does
//! per request: `serde_json` spends ~30 ns per number. The fast path here
//! reads the common shape (an object with `model_id`, `features`,
//! `options`; no escapes in strings) in one pass. A number of the usual
//! shape (`digits[.digits]`, at most 15 bytes) is read by the SSE4.1
//! kernel of [`simd`] where the CPU has it: one 16-byte load, no branch on
//! its digit count. Any other number takes the general path: digits eight
//! at a time (SWAR). Either way, for a mantissa below 2^53 with a power of
//! ten up to 10^22, one multiplication, by `10^k` (one rounding) or by the
//! rounded `10^-k` (within 2.5 ulps), gives an `f64` whose `f32` is the
//! correctly rounded one unless an `f32` rounding midpoint is within those
//! ulps; then, and for any other number, the standard library's correctly
//! rounding `f32` parser reads the text.
//!
//! It never decides anything `serde_json` would decide differently: on
//! whatever it does not handle itself (unknown or repeated keys, escapes,
//! invalid input of any kind) it returns `None` and the body is parsed
//! again by `serde_json`, whose result or error message is the answer.
//! Numbers become the correctly rounded `f32` of their decimal value, as
//! `serde_json` with `float_roundtrip` (enabled by this crate) gives an
//! `f32` field; a value beyond `f32`'s range is refused, as it refuses it.

use super::{BatchPredictRequest, Instance, PredictOptions, PredictRequest};

#[path = "json_simd.rs"]
mod simd;

impl PredictRequest {
    /// Parses a `POST /predict` body; the same result (or error) as
    /// `serde_json::from_slice`, faster for the usual shape.
    ///
    /// ```
    /// use realizar_infer::api::PredictRequest;
    /// let r = PredictRequest::from_json(br#"{"model_id": "m", "features": [0.5, -1e-3]}"#)?;
    /// assert_eq!(r.features, vec![0.5, -0.001]);
    /// assert!(PredictRequest::from_json(b"{\"features\": [01]}").is_err());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    /// `serde_json`'s error for a body that is not JSON or not this shape.
    pub fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        match fast_predict(body) {
            Some(r) => Ok(r),
            None => serde_json::from_slice(body),
        }
    }
}

impl BatchPredictRequest {
    /// Parses a `POST /predict/batch` body; the same result (or error) as
    /// `serde_json::from_slice`, faster for the usual shape.
    ///
    /// # Errors
    /// `serde_json`'s error for a body that is not JSON or not this shape.
    pub fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        match fast_batch(body) {
            Some(r) => Ok(r),
            None => serde_json::from_slice(body),
        }
    }
}

/// Exact powers of ten as `f64` (10^22 is the largest).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

const ZEROS: u64 = 0x3030_3030_3030_3030;

/// How many of the 8 bytes of `v` (little-endian: first byte lowest) are
/// ASCII digits before the first byte that is not (8 when all are).
fn digit_prefix(v: u64) -> usize {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // A byte is a digit when its high nibble is 3 and adding 6 leaves it 3
    // (0x30..=0x39). The addition can carry out of a byte only from bytes
    // 0xFA..=0xFF, which the first test already flags, so every byte
    // below the first flagged one is classified right.
    let bad = ((v & HIGH) ^ ZEROS) | ((v.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ ZEROS);
    (bad.trailing_zeros() / 8) as usize
}

/// Whether the 8 bytes of `v` are all ASCII digits.
#[cfg(test)]
fn all_digits(v: u64) -> bool {
    digit_prefix(v) == 8
}

/// `10^n` for `n` in `0..=8`.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The value of 8 ASCII digits (little-endian, first digit most
/// significant): pairs, then quads, then the whole, by multiply-adds.
fn eight_digits(v: u64) -> u64 {
    let v = v - ZEROS;
    // Byte 2k: digit pair k (first digit * 10 + second).
    let v = v * 10 + (v >> 8);
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    // Pairs 0, 2 times 10^6, 10^2 and pairs 1, 3 times 10^4, 1, summed in
    // the upper 32 bits.
    let a = (v & MASK).wrapping_mul(100 + (1_000_000 << 32));
    let b = ((v >> 16) & MASK).wrapping_mul(1 + (10_000 << 32));
    a.wrapping_add(b) >> 32
}

/// `1 / 10^k` rounded to `f64`, for `k` in `0..=22`.
const INV_POW10: [f64; 23] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22,
];

/// Whether `v`, within 2.5 ulps of a decimal `x`, might round to a
/// different `f32` than `x` itself: when an `f32` rounding midpoint (low
/// 29 mantissa bits equal to `1 << 28`) lies within a few ulps of `v`.
///
/// `v` comes from `m * 10^k` (one rounding, 0.5 ulp) or `m * fl(10^-k)`
/// (two roundings, under 2.5 ulps). Away from midpoints `v as f32` is the
/// correctly rounded `f32` of `x`, what `serde_json` (with
/// `float_roundtrip`) gives an `f32` field; near one (one value in ~2^26)
/// the text is parsed exactly instead. Values here are at least 1e-22 and
/// below 1e38: no `f32` subnormal or overflow can arise.
fn near_f32_midpoint(v: f64) -> bool {
    let low = (v.to_bits() & ((1 << 29) - 1)) as i64;
    (low - (1 << 28)).abs() <= 4
}

/// The correctly rounded `f32` of a JSON number's text (without sign),
/// or `None` when it is beyond `f32`'s range (serde_json refuses those).
fn exact_f32(text: &[u8]) -> Option<f32> {
    let f: f32 = std::str::from_utf8(text).ok()?.parse().ok()?;
    f.is_finite().then_some(f)
}

/// The `f32` of a short number ([`simd::Short`], at `b[at..]`).
#[inline]
fn short_value(s: simd::Short, b: &[u8], at: usize) -> Option<f32> {
    if s.mantissa == 0 {
        return Some(0.0);
    }
    // mantissa < 10^15 < 2^53: exact in f64; one multiplication by the
    // rounded 10^-k, so within 2.5 ulps (see `near_f32_midpoint`).
    let v = s.mantissa as i64 as f64 * INV_POW10[s.frac_digits];
    if near_f32_midpoint(v) {
        exact_f32(b.get(at..at + s.len)?)
    } else {
        Some(v as f32)
    }
}

/// Which reader of number arrays runs: the best this CPU has, or in
/// tests the one a test asks for (per thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberPath {
    /// One number per SSE4.1 kernel call (`simd`).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Sse41,
    /// A byte at a time.
    #[cfg_attr(not(test), allow(dead_code))]
    Scalar,
}

#[cfg(test)]
thread_local! {
    /// A test's choice of path for its thread (`None`: the CPU's best).
    static FORCED_PATH: std::cell::Cell<Option<NumberPath>> = const { std::cell::Cell::new(None) };
}

impl NumberPath {
    /// The best path of this CPU (the standard library caches detection).
    #[inline]
    fn for_this_cpu() -> Self {
        #[cfg(test)]
        if let Some(p) = FORCED_PATH.with(std::cell::Cell::get) {
            return p;
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("sse4.1") {
            return Self::Sse41;
        }
        Self::Scalar
    }
}

/// A position in the body.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips JSON whitespace.
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    /// Consumes `c` after optional whitespace.
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// Whether the next non-blank byte is `c` (consumed if so).
    fn try_eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.peek() == Some(c);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// Consumes `word` exactly (a literal such as `null`).
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// A string without escapes or control characters (anything else: `None`).
    fn plain_str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        let s = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        self.i += 1;
        Some(s)
    }

    /// Consumes the JSON digits `[0-9]*`, adding them to `m` while it stays
    /// exact; returns (digits read, digits that did not fit).
    fn digits(&mut self, m: &mut u64) -> (usize, usize) {
        let (mut read, mut dropped) = (0, 0);
        // Up to eight digits at a time, without a branch on how many,
        // while `m * 10^8 + 99_999_999` fits.
        while *m < 100_000_000_000 {
            let Some(chunk) = self.b.get(self.i..self.i + 8) else {
                break;
            };
            let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            let n = digit_prefix(v);
            if n == 0 {
                break;
            }
            // The n digits moved to the top, '0's shifted in below them.
            let w = if n == 8 {
                v
            } else {
                (v << (8 * (8 - n))) | (ZEROS >> (8 * n))
            };
            *m = *m * POW10_U64[n] + eight_digits(w);
            read += n;
            self.i += n;
            if n < 8 {
                return (read, dropped);
            }
        }
        while let Some(c @ b'0'..=b'9') = self.peek() {
            let d = u64::from(c - b'0');
            match m.checked_mul(10).and_then(|v| v.checked_add(d)) {
                Some(v) if dropped == 0 => *m = v,
                _ => dropped += 1,
            }
            read += 1;
            self.i += 1;
        }
        (read, dropped)
    }

    /// One JSON number as `f32` (via a correctly rounded `f64`), or `None`
    /// when the text is not a JSON number or overflows `f64`.
    ///
    /// `short` reads the usual shape first (see [`simd`]); what it leaves
    /// (`None`) is read by the general path.
    #[inline(always)]
    fn number_with(&mut self, short: impl Fn(&[u8], usize) -> Option<simd::Short>) -> Option<f32> {
        self.ws();
        let start = self.i;
        let neg = self.peek() == Some(b'-');
        if neg {
            self.i += 1;
        }
        if let Some(s) = short(self.b, self.i) {
            let at = self.i;
            self.i += s.len;
            let f = short_value(s, self.b, at)?;
            return Some(if neg { -f } else { f });
        }
        self.general_number(start, neg)
    }

    /// The general path of [`Self::number_with`]: the number after its
    /// sign (`neg`), whose text starts at `start`.
    #[inline(never)]
    fn general_number(&mut self, start: usize, neg: bool) -> Option<f32> {
        let mut m = 0u64;
        // Integer part: `0` or `[1-9][0-9]*`.
        let first = self.peek()?;
        let (int_digits, int_dropped) = match first {
            b'0' => {
                self.i += 1;
                (1, 0)
            }
            b'1'..=b'9' => self.digits(&mut m),
            _ => return None,
        };
        debug_assert!(int_digits > 0);
        let mut exp10 = int_dropped as i64;
        let mut inexact = int_dropped > 0;
        if self.peek() == Some(b'.') {
            self.i += 1;
            let (read, dropped) = self.digits(&mut m);
            if read == 0 {
                return None;
            }
            exp10 -= (read - dropped) as i64;
            inexact |= dropped > 0;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            let eneg = match self.peek() {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let mut e = 0u64;
            let (read, dropped) = self.digits(&mut e);
            if read == 0 {
                return None;
            }
            if dropped > 0 || e > 100_000 {
                inexact = true;
            }
            let e = e.min(100_000) as i64;
            exp10 += if eneg { -e } else { e };
        }
        // The text after the sign, for the exact fallback.
        let digits = &self.b[start + usize::from(neg)..self.i];
        let f = if m == 0 && !inexact {
            0.0
        } else if !inexact && m <= 1 << 53 && (-22..=22).contains(&exp10) {
            // m <= 2^53 fits i64: one signed conversion (u64 takes several).
            let mf = m as i64 as f64;
            let v = if exp10 >= 0 {
                mf * POW10[exp10 as usize]
            } else {
                mf * INV_POW10[(-exp10) as usize]
            };
            if near_f32_midpoint(v) {
                exact_f32(digits)?
            } else {
                v as f32
            }
        } else {
            exact_f32(digits)?
        };
        Some(if neg { -f } else { f })
    }

    /// `[number, ...]`, appended to `out`.
    fn numbers(&mut self, out: &mut Vec<f32>) -> Option<()> {
        #[cfg(target_arch = "x86_64")]
        {
            if NumberPath::for_this_cpu() == NumberPath::Sse41 {
                // SAFETY: `for_this_cpu` chose it after detecting SSE4.1.
                return unsafe { simd::numbers_sse41(self, out) };
            }
        }
        self.numbers_with(out, |_, _| None)
    }

    /// [`Self::numbers`] with `short` as the usual-shape reader.
    #[inline(always)]
    fn numbers_with(
        &mut self,
        out: &mut Vec<f32>,
        short: impl Fn(&[u8], usize) -> Option<simd::Short> + Copy,
    ) -> Option<()> {
        self.eat(b'[')?;
        if self.try_eat(b']') {
            return Some(());
        }
        self.elements_with(out, short)
    }

    /// The elements of a non-empty array of numbers from the first one
    /// (or any later one) through the closing `]`, appended to `out`.
    #[inline(always)]
    fn elements_with(
        &mut self,
        out: &mut Vec<f32>,
        short: impl Fn(&[u8], usize) -> Option<simd::Short> + Copy,
    ) -> Option<()> {
        loop {
            out.push(self.number_with(short)?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `null` or `{"return_probabilities": bool}` (nothing else).
    fn options(&mut self) -> Option<Option<PredictOptions>> {
        self.ws();
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        self.eat(b'{')?;
        let mut opts = PredictOptions::default();
        if self.try_eat(b'}') {
            return Some(Some(opts));
        }
        if self.plain_str()? != "return_probabilities" {
            return None;
        }
        self.eat(b':')?;
        self.ws();
        opts.return_probabilities = match self.peek()? {
            b't' => self.literal(b"true").map(|_| true)?,
            b'f' => self.literal(b"false").map(|_| false)?,
            _ => return None,
        };
        self.eat(b'}')?;
        Some(Some(opts))
    }

    /// `null` or a plain string.
    fn model_id(&mut self) -> Option<Option<String>> {
        self.ws();
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        Some(Some(self.plain_str()?.to_owned()))
    }

    /// Calls `field(cursor, key)` for each key of an object; `None` on a
    /// repeated key (tracked by `seen`, one bit per key index `field`
    /// returns) or anything malformed.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &str) -> Option<u32>) -> Option<()> {
        self.eat(b'{')?;
        if self.try_eat(b'}') {
            return Some(());
        }
        let mut seen = 0u32;
        loop {
            let key = self.plain_str()?;
            self.eat(b':')?;
            let bit = field(self, key)?;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The body ends here (trailing whitespace allowed).
    fn end(&mut self) -> Option<()> {
        self.ws();
        (self.i == self.b.len()).then_some(())
    }
}

/// The keys both request types have: `model_id` (bit 1) and `options`
/// (bit 4); `None` for any other key.
fn shared_field(
    c: &mut Cursor<'_>,
    key: &str,
    model_id: &mut Option<String>,
    options: &mut Option<PredictOptions>,
) -> Option<u32> {
    match key {
        "model_id" => {
            *model_id = c.model_id()?;
            Some(1)
        }
        "options" => {
            *options = c.options()?;
            Some(4)
        }
        _ => None,
    }
}

fn fast_predict(body: &[u8]) -> Option<PredictRequest> {
    let mut c = Cursor { b: body, i: 0 };
    let (mut model_id, mut features, mut options) = (None, None, None);
    c.object(|c, key| match key {
        "features" => {
            // One allocation for inputs of up to 1024 features.
            let mut v = Vec::with_capacity(1024);
            c.numbers(&mut v)?;
            features = Some(v);
            Some(2)
        }
        _ => shared_field(c, key, &mut model_id, &mut options),
    })?;
    c.end()?;
    Some(PredictRequest {
        model_id,
        features: features?,
        options,
    })
}

fn fast_batch(body: &[u8]) -> Option<BatchPredictRequest> {
    let mut c = Cursor { b: body, i: 0 };
    let (mut model_id, mut instances, mut options) = (None, None, None);
    let mut scratch = Vec::with_capacity(1024);
    c.object(|c, key| match key {
        "instances" => {
            let mut all = Vec::new();
            c.eat(b'[')?;
            if !c.try_eat(b']') {
                loop {
                    let mut features = None;
                    c.object(|c, key| {
                        (key == "features").then_some(())?;
                        // Gathered in `scratch` (it grows once per batch),
                        // kept at exactly its length.
                        scratch.clear();
                        c.numbers(&mut scratch)?;
                        features = Some(scratch.clone());
                        Some(1)
                    })?;
                    all.push(Instance {
                        features: features?,
                    });
                    if !c.try_eat(b',') {
                        c.eat(b']')?;
                        break;
                    }
                }
            }
            instances = Some(all);
            Some(2)
        }
        _ => shared_field(c, key, &mut model_id, &mut options),
    })?;
    c.end()?;
    Some(BatchPredictRequest {
        model_id,
        instances: instances?,
        options,
    })
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
