//! The load generator: closed-loop HTTP/1.1 keep-alive connections with a
//! lean client of its own, on one thread unless told otherwise.
//!
//! `concurrency` connections each send the request, wait for the whole
//! response, and send the next one, until the deadline. By default all of
//! them run on a single-threaded tokio runtime, so the generator uses at
//! most one core and every server keeps at least one of this machine's two
//! for itself (the rule is the same for every target).
//!
//! The client is shaped like wrk's, so that the generator costs little next
//! to the servers it measures: the request (request line, `Host`,
//! `Content-Type: application/json`, `Content-Length`, body) is serialized
//! once and written with one `write_all` per request; the response is read
//! into one reused buffer per connection and parsed by [`http1`] (status
//! line, the few headers that frame the body, then exactly the body, by
//! length or chunked). A connection is reused unless the server closes it
//! or answers `Connection: close`; then a new one is opened, which is not a
//! failure.
//!
//! A request whose response arrives during the warm-up does not count; one
//! whose response arrives in the measured window counts towards throughput
//! and has its latency (write of the request to the last byte of the body)
//! recorded. A failed request (connect error, I/O error, timeout,
//! non-2xx status, malformed HTTP, a body without `"prediction"`) is
//! counted by kind over the whole run, warm-up included, and its connection
//! is opened anew.

use super::http1::{self, ResponseParser};
use anyhow::Result;
use hyper::body::Bytes;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where and what to send.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The server's address.
    pub addr: SocketAddr,
    /// The request path, e.g. `/predict`.
    pub path: String,
    /// The JSON body.
    pub body: Bytes,
}

impl Endpoint {
    /// The whole `POST` request, serialized once for every send.
    fn request(&self) -> Bytes {
        let mut r = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.path,
            self.addr,
            self.body.len()
        )
        .into_bytes();
        r.extend_from_slice(&self.body);
        Bytes::from(r)
    }
}

/// How long and how hard.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Connections (= requests in flight).
    pub concurrency: usize,
    /// Excluded lead-in.
    pub warmup: Duration,
    /// Measured window after the warm-up.
    pub duration: Duration,
    /// Give up on one request after this long (counted as a timeout).
    pub timeout: Duration,
    /// Client threads (1: a single-threaded runtime).
    pub threads: usize,
}

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Latency of each request completed in the measured window, ns.
    pub latencies_ns: Vec<u64>,
    /// Requests completed in each whole second of the measured window.
    pub per_second: Vec<u64>,
    /// Failures by kind (whole run).
    pub failures: BTreeMap<String, u64>,
    /// The measured window.
    pub window: Duration,
}

impl Outcome {
    /// Successful requests per second over the measured window.
    pub fn throughput(&self) -> f64 {
        self.latencies_ns.len() as f64 / self.window.as_secs_f64()
    }

    /// Failed requests (all kinds).
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    fn merge(&mut self, other: Outcome) {
        self.latencies_ns.extend(other.latencies_ns);
        if self.per_second.len() < other.per_second.len() {
            self.per_second.resize(other.per_second.len(), 0);
        }
        for (a, b) in self.per_second.iter_mut().zip(other.per_second) {
            *a += b;
        }
        for (k, v) in other.failures {
            *self.failures.entry(k).or_default() += v;
        }
    }

    fn fail(&mut self, kind: impl Into<String>) {
        *self.failures.entry(kind.into()).or_default() += 1;
    }
}

struct Clock {
    measure_from: Instant,
    end: Instant,
}

/// Size of a connection's read buffer: more than any head the parser
/// accepts, so a full buffer always means progress or a parse error.
const READ_BUF: usize = 2 * http1::MAX_HEAD;

/// One connection's reused read buffer: bytes `start..end` are received
/// and not yet consumed by the parser.
struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// Why one exchange failed.
enum Failure {
    Io(std::io::Error),
    Http(http1::Error),
}

impl Failure {
    fn kind(&self) -> String {
        match self {
            Self::Io(e) => format!("I/O: {}", e.kind()),
            Self::Http(e) => e.to_string(),
        }
    }
}

/// Writes `request` and reads one whole response into `p`.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    rb: &mut ReadBuf,
    p: &mut ResponseParser,
) -> Result<(), Failure> {
    p.reset();
    stream.write_all(request).await.map_err(Failure::Io)?;
    loop {
        if rb.end == rb.buf.len() {
            // Keep the unconsumed bytes (an unfinished head or line) at the start.
            rb.buf.copy_within(rb.start..rb.end, 0);
            rb.end -= rb.start;
            rb.start = 0;
            if rb.end == rb.buf.len() {
                return Err(Failure::Http(http1::Error::HeadTooLarge));
            }
        }
        let n = stream
            .read(&mut rb.buf[rb.end..])
            .await
            .map_err(Failure::Io)?;
        if n == 0 {
            p.finish().map_err(Failure::Http)?;
            return Ok(());
        }
        rb.end += n;
        rb.start += p.feed(&rb.buf[rb.start..rb.end]).map_err(Failure::Http)?;
        if rb.start == rb.end {
            rb.start = 0;
            rb.end = 0;
        }
        if p.is_done() {
            if rb.end > 0 {
                return Err(Failure::Http(http1::Error::Malformed(
                    "bytes after the response",
                )));
            }
            return Ok(());
        }
    }
}

async fn one_connection(
    addr: SocketAddr,
    request: Bytes,
    spec: Spec,
    clock: std::sync::Arc<Clock>,
) -> Outcome {
    let mut out = Outcome::default();
    let seconds = spec.duration.as_secs_f64().ceil() as usize;
    out.per_second = vec![0; seconds.max(1)];
    let prediction = memchr::memmem::Finder::new(b"\"prediction\"");
    let mut parser = ResponseParser::new();
    let mut rb = ReadBuf {
        buf: vec![0; READ_BUF],
        start: 0,
        end: 0,
    };
    while Instant::now() < clock.end {
        let mut stream = match tokio::time::timeout(spec.timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                out.fail(format!("connect: {}", e.kind()));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            Err(_) => {
                out.fail("connect: timeout");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        (rb.start, rb.end) = (0, 0);
        loop {
            let t0 = Instant::now();
            if t0 >= clock.end {
                break;
            }
            let answer = tokio::time::timeout(
                spec.timeout,
                exchange(&mut stream, &request, &mut rb, &mut parser),
            )
            .await;
            let done = Instant::now();
            match answer {
                Ok(Ok(())) => {
                    let status = parser.status();
                    if !(200..300).contains(&status) {
                        out.fail(format!("HTTP {status}"));
                        break;
                    }
                    if prediction.find(parser.body()).is_none() {
                        out.fail("body without \"prediction\"");
                        break;
                    }
                    if done >= clock.measure_from && done <= clock.end {
                        out.latencies_ns.push((done - t0).as_nanos() as u64);
                        let s = (done - clock.measure_from).as_secs() as usize;
                        if let Some(c) = out.per_second.get_mut(s) {
                            *c += 1;
                        }
                    }
                    if !parser.keep_alive() {
                        break;
                    }
                }
                Ok(Err(f)) => {
                    out.fail(f.kind());
                    break;
                }
                Err(_) => {
                    out.fail("timeout");
                    break;
                }
            }
        }
    }
    out
}

/// Runs `spec` against `ep` on a fresh runtime (single-threaded unless
/// `spec.threads` > 1).
pub fn run(ep: &Endpoint, spec: Spec) -> Result<Outcome> {
    anyhow::ensure!(spec.concurrency > 0, "concurrency must be at least 1");
    anyhow::ensure!(
        !spec.duration.is_zero(),
        "the measured window must not be empty"
    );
    let rt = match spec.threads {
        0 | 1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
    };
    let request = ep.request();
    rt.block_on(async {
        let start = Instant::now();
        let clock = std::sync::Arc::new(Clock {
            measure_from: start + spec.warmup,
            end: start + spec.warmup + spec.duration,
        });
        let tasks: Vec<_> = (0..spec.concurrency)
            .map(|_| {
                tokio::spawn(one_connection(
                    ep.addr,
                    request.clone(),
                    spec,
                    clock.clone(),
                ))
            })
            .collect();
        let mut total = Outcome {
            window: spec.duration,
            ..Outcome::default()
        };
        for t in tasks {
            total.merge(t.await?);
        }
        Ok(total)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use hyper_util::rt::TokioIo;

    #[test]
    fn serializes_the_request_once_in_full() {
        let ep = Endpoint {
            addr: ([127, 0, 0, 1], 8080).into(),
            path: "/predict".into(),
            body: Bytes::from_static(b"{\"a\":1}"),
        };
        assert_eq!(
            &ep.request()[..],
            b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
              Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
        );
    }

    #[test]
    fn merges_counts() {
        let mut a = Outcome {
            latencies_ns: vec![1],
            per_second: vec![1, 2],
            window: Duration::from_secs(2),
            ..Outcome::default()
        };
        a.failures.insert("timeout".into(), 1);
        let mut b = Outcome {
            latencies_ns: vec![2, 3],
            per_second: vec![1, 1, 5],
            ..Outcome::default()
        };
        b.failures.insert("timeout".into(), 2);
        a.merge(b);
        assert_eq!(a.latencies_ns.len(), 3);
        assert_eq!(a.per_second, vec![2, 3, 5]);
        assert_eq!(a.failed(), 3);
        assert!((a.throughput() - 1.5).abs() < 1e-12);
    }

    /// Runs `serve` on a fresh single-threaded runtime on its own thread,
    /// for every connection accepted on 127.0.0.1:0.
    fn spawn_server<F, Fut>(serve: F) -> SocketAddr
    where
        F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + 'static,
    {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async move {
                let l = tokio::net::TcpListener::from_std(l).unwrap();
                while let Ok((s, _)) = l.accept().await {
                    tokio::task::spawn_local(serve(s));
                }
            });
        });
        addr
    }

    /// A hyper server answering `answer` with `status`.
    fn hyper_server(status: u16, answer: &'static [u8]) -> SocketAddr {
        spawn_server(move |s| async move {
            let svc = hyper::service::service_fn(move |_req| async move {
                let mut r = hyper::Response::new(Full::new(Bytes::from_static(answer)));
                *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                Ok::<_, std::convert::Infallible>(r)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(s), svc)
                .await;
        })
    }

    /// Reads one request (head and `Content-Length` body); false at the
    /// end of the stream.
    async fn read_request(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> bool {
        loop {
            if let Some(h) = memchr::memmem::find(buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..h]).to_ascii_lowercase();
                let len: usize = head
                    .split("content-length: ")
                    .nth(1)
                    .and_then(|r| r.split("\r\n").next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                if buf.len() >= h + 4 + len {
                    buf.drain(..h + 4 + len);
                    return true;
                }
            }
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// A raw server answering every request with `pieces`, each written
    /// (and flushed) separately, so a response reaches the client split
    /// across reads; closes after each answer when `close`.
    fn raw_server(pieces: &'static [&'static [u8]], close: bool) -> SocketAddr {
        spawn_server(move |mut s| async move {
            let _ = s.set_nodelay(true);
            let mut buf = Vec::new();
            while read_request(&mut s, &mut buf).await {
                for p in pieces {
                    if s.write_all(p).await.is_err() {
                        return;
                    }
                    s.flush().await.ok();
                    tokio::task::yield_now().await;
                }
                if close {
                    return;
                }
            }
        })
    }

    fn short(concurrency: usize) -> Spec {
        Spec {
            concurrency,
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(200),
            timeout: Duration::from_secs(1),
            threads: concurrency.min(2),
        }
    }

    fn endpoint(addr: SocketAddr) -> Endpoint {
        Endpoint {
            addr,
            path: "/predict".into(),
            body: Bytes::from_static(b"{\"features\":[1,2,3]}"),
        }
    }

    fn assert_clean(out: &Outcome) {
        assert_eq!(out.failed(), 0, "{:?}", out.failures);
        assert!(!out.latencies_ns.is_empty());
        assert_eq!(
            out.per_second.iter().sum::<u64>(),
            out.latencies_ns.len() as u64
        );
    }

    #[test]
    fn measures_a_live_server() {
        let out = run(
            &endpoint(hyper_server(200, br#"{"prediction":1}"#)),
            short(3),
        )
        .unwrap();
        assert_clean(&out);
    }

    #[test]
    fn measures_split_chunked_and_closing_servers() {
        // Netty-style chunked answers, cut inside the head and the chunks.
        let chunked: &[&[u8]] = &[
            b"HTTP/1.1 200 \r\ncontent-type: application/json\r\nTransfer-Enc",
            b"oding: chunked\r\n\r\n5\r\n{\"pre\r",
            b"\nB\r\ndiction\":1}\r\n0\r",
            b"\n\r\n",
        ];
        let spec = Spec {
            warmup: Duration::ZERO,
            duration: Duration::from_millis(500),
            ..short(2)
        };
        let out = run(&endpoint(raw_server(chunked, false)), spec).unwrap();
        assert_clean(&out);
        // Connection: close after every answer: reconnecting is no failure.
        let closing: &[&[u8]] = &[
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 16\r\n\r\n{\"predic",
            b"tion\":1}",
        ];
        let out = run(&endpoint(raw_server(closing, true)), spec).unwrap();
        assert_clean(&out);
        // HTTP/1.0 with the body running to the end of the stream.
        let to_eof: &[&[u8]] = &[b"HTTP/1.0 200 OK\r\n\r\n{\"prediction\":1}"];
        let out = run(&endpoint(raw_server(to_eof, true)), spec).unwrap();
        assert_clean(&out);
    }

    #[test]
    fn counts_bad_answers_by_kind() {
        let out = run(&endpoint(hyper_server(503, br#"{"error":1}"#)), short(1)).unwrap();
        assert!(out.latencies_ns.is_empty());
        assert!(out.failures["HTTP 503"] > 0);
        let out = run(&endpoint(hyper_server(200, br#"{"error":1}"#)), short(1)).unwrap();
        assert!(out.failures["body without \"prediction\""] > 0);
        let garbage: &[&[u8]] = &[b"SSH-2.0-OpenSSH_9.6\r\n\r\n"];
        let out = run(&endpoint(raw_server(garbage, false)), short(1)).unwrap();
        assert!(out.latencies_ns.is_empty());
        assert!(out.failures["bad HTTP: bad status line"] > 0);
        // Closing halfway through the body.
        let cut: &[&[u8]] = &[b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{\"pred"];
        let out = run(&endpoint(raw_server(cut, true)), short(1)).unwrap();
        assert!(out.latencies_ns.is_empty());
        assert!(out.failures[&http1::Error::Incomplete.to_string()] > 0);
    }

    #[test]
    fn a_silent_server_times_out_and_the_run_ends() {
        // Accepts, reads, never answers.
        let addr = spawn_server(|mut s| async move {
            let mut buf = Vec::new();
            while read_request(&mut s, &mut buf).await {}
        });
        let spec = Spec {
            concurrency: 2,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(100),
            timeout: Duration::from_millis(100),
            threads: 1,
        };
        let out = run(&endpoint(addr), spec).unwrap();
        assert!(out.latencies_ns.is_empty());
        assert!(out.failures["timeout"] > 0);
    }

    #[test]
    fn refused_connections_are_counted_and_bounded() {
        // A port nothing listens on: every connect fails, the run still ends.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let out = run(
            &endpoint(addr),
            Spec {
                concurrency: 2,
                warmup: Duration::ZERO,
                duration: Duration::from_millis(100),
                timeout: Duration::from_millis(100),
                threads: 1,
            },
        )
        .unwrap();
        assert!(out.latencies_ns.is_empty());
        assert!(out.failures.keys().any(|k| k.starts_with("connect")));
    }
}
