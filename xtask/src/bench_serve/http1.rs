//! A minimal, incremental HTTP/1.x response parser for the load generator.
//!
//! It reads exactly what a closed-loop client needs from one response: the
//! status code, the body (by `Content-Length`, chunked `Transfer-Encoding`,
//! or until the server closes) and whether the connection may be reused.
//! Bytes may arrive split at any boundary: [`ResponseParser::feed`] takes
//! everything received and not yet consumed, consumes what it can and says
//! how much. It keeps no reference to the caller's buffer, so the caller
//! owns one reused read buffer per connection.
//!
//! Every input ends in a response, a "need more bytes" or an [`Error`]:
//! the head, chunk-size lines, trailers and the body are bounded, so a
//! hostile or broken server cannot make it grow without limit. Lines must
//! end in CRLF (every server the benchmark drives sends CRLF).

use std::fmt;

/// Longest accepted response head (status line and headers), bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// Longest accepted chunk-size or trailer line, bytes.
pub const MAX_LINE: usize = 4 * 1024;
/// Largest accepted body, bytes.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Why a response could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Not HTTP/1.x as specified; says what was wrong.
    Malformed(&'static str),
    /// The head exceeded [`MAX_HEAD`], a line [`MAX_LINE`].
    HeadTooLarge,
    /// The body exceeded [`MAX_BODY`].
    BodyTooLarge,
    /// The stream ended before the response did.
    Incomplete,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "bad HTTP: {what}"),
            Self::HeadTooLarge => write!(f, "bad HTTP: head or line too large"),
            Self::BodyTooLarge => write!(f, "bad HTTP: body too large"),
            Self::Incomplete => write!(f, "connection closed before the response ended"),
        }
    }
}

impl std::error::Error for Error {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the whole head (up to CRLFCRLF).
    Head,
    /// Body bytes still expected.
    Length(u64),
    /// Waiting for a chunk-size line.
    ChunkSize,
    /// Chunk bytes still expected.
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// Trailer lines after the last chunk, up to an empty line.
    Trailer,
    /// The body runs until the server closes the connection.
    UntilClose,
    /// A whole response was read.
    Done,
}

/// Reads one response at a time; [`reset`](Self::reset) before the next.
#[derive(Debug)]
pub struct ResponseParser {
    state: State,
    status: u16,
    close: bool,
    body: Vec<u8>,
    /// Bytes of the pending head already searched for CRLFCRLF.
    scanned: usize,
    /// Trailer bytes consumed so far.
    trailer: usize,
}

impl Default for ResponseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseParser {
    /// A parser waiting for a response head.
    pub fn new() -> Self {
        Self {
            state: State::Head,
            status: 0,
            close: false,
            body: Vec::with_capacity(1024),
            scanned: 0,
            trailer: 0,
        }
    }

    /// Forgets the last response (keeps the body's allocation).
    pub fn reset(&mut self) {
        self.state = State::Head;
        self.status = 0;
        self.close = false;
        self.body.clear();
        self.scanned = 0;
        self.trailer = 0;
    }

    /// Whether a whole response has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The status code (once the head is read).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body read so far (chunked bodies decoded).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Whether the connection may carry another request after this response.
    pub fn keep_alive(&self) -> bool {
        !self.close
    }

    /// Consumes what it can of `input` (all bytes received and not yet
    /// consumed) and returns how many bytes it consumed. An unfinished head
    /// is not consumed: pass it again with more bytes after it. Stops at the
    /// end of the response; see [`is_done`](Self::is_done).
    pub fn feed(&mut self, input: &[u8]) -> Result<usize, Error> {
        let mut at = 0;
        loop {
            let rest = &input[at..];
            match self.state {
                State::Done => return Ok(at),
                State::Head => {
                    let from = self.scanned.saturating_sub(3);
                    match find(&rest[from.min(rest.len())..], b"\r\n\r\n") {
                        Some(i) => {
                            let end = from + i + 4;
                            self.head(&rest[..end])?;
                            self.scanned = 0;
                            at += end;
                        }
                        None => {
                            if rest.len() > MAX_HEAD {
                                return Err(Error::HeadTooLarge);
                            }
                            self.scanned = rest.len();
                            return Ok(at);
                        }
                    }
                }
                State::Length(left) | State::ChunkData(left) => {
                    let take = left.min(rest.len() as u64) as usize;
                    if self.body.len() + take > MAX_BODY {
                        return Err(Error::BodyTooLarge);
                    }
                    self.body.extend_from_slice(&rest[..take]);
                    at += take;
                    let left = left - take as u64;
                    self.state = match (self.state, left) {
                        (State::Length(_), 0) => State::Done,
                        (State::Length(_), n) => State::Length(n),
                        (_, 0) => State::ChunkEnd,
                        (_, n) => State::ChunkData(n),
                    };
                    if left > 0 {
                        return Ok(at);
                    }
                }
                State::UntilClose => {
                    if self.body.len() + rest.len() > MAX_BODY {
                        return Err(Error::BodyTooLarge);
                    }
                    self.body.extend_from_slice(rest);
                    return Ok(input.len());
                }
                State::ChunkSize => {
                    let Some(line) = line(rest)? else {
                        return Ok(at);
                    };
                    at += line.len() + 2;
                    let size = chunk_size(line)?;
                    if size > MAX_BODY as u64 {
                        return Err(Error::BodyTooLarge);
                    }
                    self.state = if size == 0 {
                        State::Trailer
                    } else {
                        State::ChunkData(size)
                    };
                }
                State::ChunkEnd => {
                    if rest.len() < 2 {
                        if rest.first().is_some_and(|&b| b != b'\r') {
                            return Err(Error::Malformed("no CRLF after chunk data"));
                        }
                        return Ok(at);
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(Error::Malformed("no CRLF after chunk data"));
                    }
                    at += 2;
                    self.state = State::ChunkSize;
                }
                State::Trailer => {
                    let Some(line) = line(rest)? else {
                        return Ok(at);
                    };
                    at += line.len() + 2;
                    self.trailer += line.len() + 2;
                    if self.trailer > MAX_HEAD {
                        return Err(Error::HeadTooLarge);
                    }
                    if line.is_empty() {
                        self.state = State::Done;
                    } else if !line.contains(&b':') {
                        return Err(Error::Malformed("trailer line without a colon"));
                    }
                }
            }
        }
    }

    /// The stream ended: completes a body that runs until close, or
    /// reports the response as incomplete.
    pub fn finish(&mut self) -> Result<(), Error> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            _ => Err(Error::Incomplete),
        }
    }

    /// Parses a whole head (`head` ends in CRLFCRLF) and picks the framing.
    fn head(&mut self, head: &[u8]) -> Result<(), Error> {
        // Drop the empty line's CRLF: every line left ends in CRLF.
        let mut lines = head[..head.len() - 2]
            .split_inclusive(|&b| b == b'\n')
            .map(|l| {
                l.strip_suffix(b"\r\n")
                    .ok_or(Error::Malformed("line not ended by CRLF"))
            });
        let status_line = lines.next().ok_or(Error::Malformed("empty head"))??;
        let (http10, status) = status_line_of(status_line)?;
        let mut length: Option<u64> = None;
        let mut chunked = None;
        let mut close = false;
        let mut keep_alive = false;
        for l in lines {
            let l = l?;
            let colon = l
                .iter()
                .position(|&b| b == b':')
                .ok_or(Error::Malformed("header line without a colon"))?;
            let (name, value) = (&l[..colon], trim(&l[colon + 1..]));
            if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
                return Err(Error::Malformed("bad header name"));
            }
            if name.eq_ignore_ascii_case(b"content-length") {
                for v in value.split(|&b| b == b',') {
                    let n = decimal(trim(v))?;
                    if length.is_some_and(|m| m != n) {
                        return Err(Error::Malformed("conflicting Content-Length"));
                    }
                    length = Some(n);
                }
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                // Only the last coding matters: chunked must be the last.
                if let Some(last) = value.rsplit(|&b| b == b',').next() {
                    chunked = Some(trim(last).eq_ignore_ascii_case(b"chunked"));
                }
            } else if name.eq_ignore_ascii_case(b"connection") {
                for t in value.split(|&b| b == b',').map(trim) {
                    close |= t.eq_ignore_ascii_case(b"close");
                    keep_alive |= t.eq_ignore_ascii_case(b"keep-alive");
                }
            }
        }
        self.status = status;
        self.close = close || (http10 && !keep_alive);
        self.state = match status {
            101 => return Err(Error::Malformed("unexpected 101 Switching Protocols")),
            // An interim response: the real one follows.
            100..=199 => State::Head,
            204 | 304 => State::Done,
            _ => match (chunked, length) {
                (Some(true), _) => State::ChunkSize,
                (Some(false), _) | (None, None) => {
                    self.close = true;
                    State::UntilClose
                }
                (None, Some(0)) => State::Done,
                (None, Some(n)) if n > MAX_BODY as u64 => return Err(Error::BodyTooLarge),
                (None, Some(n)) => State::Length(n),
            },
        };
        Ok(())
    }
}

/// `HTTP/1.1 200 OK` -> (is HTTP/1.0, 200).
fn status_line_of(l: &[u8]) -> Result<(bool, u16), Error> {
    let http10 = match l.get(..9) {
        Some(b"HTTP/1.1 ") => false,
        Some(b"HTTP/1.0 ") => true,
        _ => return Err(Error::Malformed("bad status line")),
    };
    let code = &l[9..];
    let digits = code
        .get(..3)
        .filter(|d| d.iter().all(u8::is_ascii_digit))
        .ok_or(Error::Malformed("bad status code"))?;
    if code.len() > 3 && code[3] != b' ' {
        return Err(Error::Malformed("bad status code"));
    }
    let status = digits
        .iter()
        .fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
    if status < 100 {
        return Err(Error::Malformed("bad status code"));
    }
    Ok((http10, status))
}

/// The next CRLF-terminated line of `rest` (without the CRLF), or `None`
/// when it has not all arrived.
fn line(rest: &[u8]) -> Result<Option<&[u8]>, Error> {
    match find(rest, b"\r\n") {
        Some(i) if i > MAX_LINE => Err(Error::HeadTooLarge),
        Some(i) => Ok(Some(&rest[..i])),
        None if rest.len() > MAX_LINE => Err(Error::HeadTooLarge),
        None => Ok(None),
    }
}

/// A chunk-size line: hex digits, then optional whitespace and extensions.
fn chunk_size(line: &[u8]) -> Result<u64, Error> {
    let end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let (hex, after) = line.split_at(end);
    if hex.is_empty() || hex.len() > 15 {
        return Err(Error::Malformed("bad chunk size"));
    }
    if !matches!(trim(after).first(), None | Some(b';')) {
        return Err(Error::Malformed("bad chunk size"));
    }
    let mut n = 0u64;
    for &d in hex {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => d - b'A' + 10,
        };
        n = (n << 4) | u64::from(v);
    }
    Ok(n)
}

fn decimal(v: &[u8]) -> Result<u64, Error> {
    if v.is_empty() || v.len() > 18 || !v.iter().all(u8::is_ascii_digit) {
        return Err(Error::Malformed("bad Content-Length"));
    }
    Ok(v.iter().fold(0u64, |a, &d| a * 10 + u64::from(d - b'0')))
}

fn trim(v: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = v.iter().position(|b| !is_ws(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !is_ws(b)).map_or(start, |e| e + 1);
    &v[start..end]
}

/// RFC 9110 `tchar`.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a finished parse yields.
    #[derive(Debug, PartialEq, Eq)]
    struct Parsed {
        status: u16,
        body: Vec<u8>,
        keep_alive: bool,
        /// Bytes consumed (the rest would belong to a next response).
        used: usize,
    }

    /// Feeds `input` in pieces cut at `cuts`, like a caller with one read
    /// buffer: unconsumed bytes are passed again with the next piece.
    /// `eof`: the stream ends after the input.
    fn parse_cut(input: &[u8], cuts: &[usize], eof: bool) -> Result<Option<Parsed>, Error> {
        let mut p = ResponseParser::new();
        let mut buf = Vec::new();
        let mut used = 0;
        let mut bounds: Vec<usize> = cuts.to_vec();
        bounds.push(input.len());
        let mut from = 0;
        for to in bounds {
            buf.extend_from_slice(&input[from..to]);
            from = to;
            let n = p.feed(&buf)?;
            assert!(n <= buf.len());
            buf.drain(..n);
            used += n;
            if p.is_done() {
                break;
            }
        }
        if !p.is_done() && eof {
            p.finish()?;
        }
        Ok(p.is_done().then(|| Parsed {
            status: p.status(),
            body: p.body().to_vec(),
            keep_alive: p.keep_alive(),
            used,
        }))
    }

    fn parse(input: &[u8]) -> Result<Option<Parsed>, Error> {
        parse_cut(input, &[], false)
    }

    /// Every single cut and every byte-by-byte feed give the same result
    /// as one piece.
    fn same_at_every_boundary(input: &[u8], eof: bool) -> Result<Option<Parsed>, Error> {
        let whole = parse_cut(input, &[], eof);
        for i in 0..=input.len() {
            assert_eq!(parse_cut(input, &[i], eof), whole, "cut at {i}");
        }
        let all: Vec<usize> = (0..input.len()).collect();
        assert_eq!(parse_cut(input, &all, eof), whole, "byte by byte");
        whole
    }

    const REALIZAR: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
        content-length: 38\r\ndate: Sat, 28 Nov 2026 00:00:00 GMT\r\n\r\n\
        {\"prediction\":1,\"probabilities\":[0,1]}";
    const UVICORN: &[u8] = b"HTTP/1.1 200 OK\r\ndate: Sat, 28 Nov 2026 00:00:00 GMT\r\n\
        server: uvicorn\r\ncontent-length: 16\r\ncontent-type: application/json\r\n\r\n\
        {\"prediction\":1}";
    const NETTY_CHUNKED: &[u8] = b"HTTP/1.1 200 \r\ncontent-type: application/json\r\n\
        x-request-id: 1\r\nConnection: keep-alive\r\nTransfer-Encoding: Chunked\r\n\r\n\
        5;ext=1\r\n{\"pre\r\nB\r\ndiction\":1}\r\n0\r\nx-trailer: y\r\n\r\n";

    #[test]
    fn content_length_at_every_boundary() {
        let p = same_at_every_boundary(REALIZAR, false).unwrap().unwrap();
        assert_eq!(p.status, 200);
        assert_eq!(p.body, &REALIZAR[REALIZAR.len() - 38..]);
        assert!(p.keep_alive);
        assert_eq!(p.used, REALIZAR.len());
        let p = same_at_every_boundary(UVICORN, false).unwrap().unwrap();
        assert_eq!(p.body, b"{\"prediction\":1}");
    }

    #[test]
    fn chunked_at_every_boundary() {
        let p = same_at_every_boundary(NETTY_CHUNKED, false)
            .unwrap()
            .unwrap();
        assert_eq!(p.status, 200);
        assert_eq!(p.body, b"{\"prediction\":1}");
        assert!(p.keep_alive);
        assert_eq!(p.used, NETTY_CHUNKED.len());
    }

    #[test]
    fn stops_at_the_end_of_the_response() {
        let mut two = REALIZAR.to_vec();
        two.extend_from_slice(UVICORN);
        let p = parse(&two).unwrap().unwrap();
        assert_eq!(p.used, REALIZAR.len());
        let mut two = NETTY_CHUNKED.to_vec();
        two.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(parse(&two).unwrap().unwrap().used, NETTY_CHUNKED.len());
    }

    #[test]
    fn connection_close_and_http10() {
        let r =
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\nConnection: Close\r\n\r\nno";
        let p = same_at_every_boundary(r, false).unwrap().unwrap();
        assert_eq!((p.status, p.keep_alive), (503, false));
        let r = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
        assert!(!parse(r).unwrap().unwrap().keep_alive);
        let r = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nok";
        assert!(parse(r).unwrap().unwrap().keep_alive);
        let r = b"HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n";
        assert!(!parse(r).unwrap().unwrap().keep_alive);
    }

    #[test]
    fn body_until_close() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"prediction\":1}";
        // Without the end of the stream the response is not over.
        assert_eq!(parse(r), Ok(None));
        let p = same_at_every_boundary(r, true).unwrap().unwrap();
        assert_eq!(p.body, b"{\"prediction\":1}");
        assert!(!p.keep_alive);
        // A transfer coding other than chunked also runs until close.
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nabc";
        assert_eq!(parse_cut(r, &[], true).unwrap().unwrap().body, b"abc");
    }

    #[test]
    fn bodiless_and_interim_responses() {
        let r = b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
        let p = parse(r).unwrap().unwrap();
        assert_eq!((p.status, p.body.len()), (204, 0));
        let r = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        let p = same_at_every_boundary(r, false).unwrap().unwrap();
        assert_eq!((p.status, p.body.as_slice()), (200, &b"ok"[..]));
        let r = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n";
        assert!(matches!(parse(r), Err(Error::Malformed(_))));
    }

    #[test]
    fn transfer_encoding_wins_over_content_length() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        assert_eq!(parse(r).unwrap().unwrap().body, b"ok");
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok";
        assert_eq!(parse(r).unwrap().unwrap().body, b"ok");
    }

    #[test]
    fn incomplete_at_eof_is_an_error() {
        for cut in [0, 5, 20, REALIZAR.len() - 1] {
            assert_eq!(
                parse_cut(&REALIZAR[..cut], &[], true),
                Err(Error::Incomplete),
                "cut {cut}"
            );
        }
        let cut = NETTY_CHUNKED.len() - 2;
        assert_eq!(
            parse_cut(&NETTY_CHUNKED[..cut], &[], true),
            Err(Error::Incomplete)
        );
    }

    #[test]
    fn malformed_heads_are_errors() {
        let bad: &[&[u8]] = &[
            b"HTTP/2 200 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 2x0 OK\r\n\r\n",
            b"HTTP/1.1 099 Low\r\n\r\n",
            b"HTTP/1.1\r\n\r\n",
            b"http/1.1 200 OK\r\n\r\n",
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"\r\n\r\n",
            b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        ];
        for r in bad {
            let got = same_at_every_boundary(r, true);
            assert!(
                matches!(got, Err(Error::Malformed(_))),
                "{:?}: {got:?}",
                String::from_utf8_lossy(r)
            );
        }
    }

    #[test]
    fn malformed_chunks_are_errors() {
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let bad: &[&[u8]] = &[
            b"\r\n",
            b"g\r\n",
            b"-1\r\n",
            b"2 x\r\nok\r\n0\r\n\r\n",
            b"2\r\nokX\r\n0\r\n\r\n",
            b"2\r\nok\rX0\r\n\r\n",
            b"1000000000000000\r\n",
            b"0\r\nno colon\r\n\r\n",
        ];
        for chunk in bad {
            let mut r = head.to_vec();
            r.extend_from_slice(chunk);
            let got = same_at_every_boundary(&r, true);
            assert!(
                matches!(got, Err(Error::Malformed(_))),
                "{:?}: {got:?}",
                String::from_utf8_lossy(chunk)
            );
        }
    }

    #[test]
    fn oversize_input_is_an_error_not_a_wait() {
        // A head that never ends.
        let mut r = b"HTTP/1.1 200 OK\r\n".to_vec();
        while r.len() <= MAX_HEAD {
            r.extend_from_slice(b"x-filler: 0123456789abcdef\r\n");
        }
        assert_eq!(parse(&r), Err(Error::HeadTooLarge));
        assert_eq!(parse_cut(&r, &[100, 5000], false), Err(Error::HeadTooLarge));
        // A chunk-size line that never ends.
        let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1".to_vec();
        r.extend(std::iter::repeat_n(b'0', MAX_LINE + 1));
        assert_eq!(parse(&r), Err(Error::HeadTooLarge));
        // Endless trailers.
        let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n".to_vec();
        while r.len() <= 2 * MAX_HEAD {
            r.extend_from_slice(b"x-t: 1\r\n");
        }
        assert_eq!(parse(&r), Err(Error::HeadTooLarge));
        // Bodies beyond the limit, announced or streamed.
        let r = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert_eq!(parse(r.as_bytes()), Err(Error::BodyTooLarge));
        let r = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
            MAX_BODY + 1
        );
        assert_eq!(parse(r.as_bytes()), Err(Error::BodyTooLarge));
        let mut r = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        r.resize(r.len() + MAX_BODY + 1, b'x');
        assert_eq!(parse(&r), Err(Error::BodyTooLarge));
    }

    #[test]
    fn reset_reads_the_next_response() {
        let mut p = ResponseParser::new();
        assert_eq!(p.feed(NETTY_CHUNKED), Ok(NETTY_CHUNKED.len()));
        assert!(p.is_done());
        p.reset();
        assert!(!p.is_done());
        assert_eq!(p.feed(REALIZAR), Ok(REALIZAR.len()));
        assert_eq!(p.body().len(), 38);
    }
}
