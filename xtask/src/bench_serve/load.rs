//! The load generator: closed-loop HTTP/1.1 keep-alive connections driven
//! by hyper 1, on one thread unless told otherwise.
//!
//! `concurrency` connections each send the request, wait for the whole
//! response, and send the next one, until the deadline. By default all of
//! them run on a single-threaded tokio runtime, so the generator uses at
//! most one core and every server keeps at least one of this machine's two
//! for itself (the rule is the same for every target). A request whose response
//! arrives during the warm-up does not count; one whose response arrives
//! in the measured window counts towards throughput and has its latency
//! (send to last byte of the body) recorded. A failed request (connect
//! error, I/O error, timeout, non-2xx status, a body without
//! `"prediction"`) is counted by kind over the whole run, warm-up
//! included, and its connection is opened anew.

use anyhow::Result;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

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
}

struct Clock {
    measure_from: Instant,
    end: Instant,
}

fn kind_of(e: &hyper::Error) -> String {
    let what = if e.is_incomplete_message() {
        "incomplete message"
    } else if e.is_closed() {
        "connection closed"
    } else if e.is_canceled() {
        "canceled"
    } else if e.is_parse() {
        "bad HTTP"
    } else {
        "I/O"
    };
    format!("http error: {what}")
}

async fn one_connection(ep: Endpoint, spec: Spec, clock: std::sync::Arc<Clock>) -> Outcome {
    let mut out = Outcome::default();
    let seconds = spec.duration.as_secs_f64().ceil() as usize;
    out.per_second = vec![0; seconds.max(1)];
    let host = HeaderValue::from_str(&ep.addr.to_string()).expect("an address is a header value");
    let json = HeaderValue::from_static("application/json");
    let fail = |out: &mut Outcome, kind: String| *out.failures.entry(kind).or_default() += 1;
    'connect: while Instant::now() < clock.end {
        let stream = match tokio::net::TcpStream::connect(ep.addr).await {
            Ok(s) => s,
            Err(e) => {
                fail(&mut out, format!("connect: {}", e.kind()));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (mut sender, conn) =
            match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                Ok(x) => x,
                Err(e) => {
                    fail(&mut out, kind_of(&e));
                    continue;
                }
            };
        tokio::spawn(conn);
        while Instant::now() < clock.end {
            let mut req = Request::new(Full::new(ep.body.clone()));
            *req.method_mut() = Method::POST;
            *req.uri_mut() = ep.path.parse().expect("the path is a URI");
            req.headers_mut().insert(HOST, host.clone());
            req.headers_mut().insert(CONTENT_TYPE, json.clone());
            let t0 = Instant::now();
            let answer = tokio::time::timeout(spec.timeout, async {
                let resp = sender.send_request(req).await?;
                let status = resp.status();
                let body = resp.into_body().collect().await?.to_bytes();
                Ok::<_, hyper::Error>((status, body))
            })
            .await;
            let done = Instant::now();
            match answer {
                Ok(Ok((status, body))) if status.is_success() => {
                    if !contains(&body, b"\"prediction\"") {
                        fail(&mut out, "body without \"prediction\"".into());
                    } else if done >= clock.measure_from && done <= clock.end {
                        out.latencies_ns.push((done - t0).as_nanos() as u64);
                        let s = (done - clock.measure_from).as_secs() as usize;
                        if let Some(c) = out.per_second.get_mut(s) {
                            *c += 1;
                        }
                    }
                }
                Ok(Ok((status, _))) => fail(&mut out, format!("HTTP {}", status.as_u16())),
                Ok(Err(e)) => {
                    fail(&mut out, kind_of(&e));
                    continue 'connect;
                }
                Err(_) => {
                    fail(&mut out, "timeout".into());
                    continue 'connect;
                }
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Runs `spec` against `ep` on a fresh single-threaded runtime.
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
    rt.block_on(async {
        let start = Instant::now();
        let clock = std::sync::Arc::new(Clock {
            measure_from: start + spec.warmup,
            end: start + spec.warmup + spec.duration,
        });
        let tasks: Vec<_> = (0..spec.concurrency)
            .map(|_| tokio::spawn(one_connection(ep.clone(), spec, clock.clone())))
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

    #[test]
    fn finds_the_field() {
        assert!(contains(br#"{"prediction":1}"#, b"\"prediction\""));
        assert!(!contains(br#"{"error":1}"#, b"\"prediction\""));
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

    /// A hyper server on its own thread answering `answer` with `status`.
    fn tiny_server(status: u16, answer: &'static [u8]) -> SocketAddr {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::from_std(l).unwrap();
                loop {
                    let (s, _) = l.accept().await.unwrap();
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |_req| async move {
                            let mut r = hyper::Response::new(Full::new(Bytes::from_static(answer)));
                            *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, std::convert::Infallible>(r)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(s), svc)
                            .await;
                    });
                }
            });
        });
        addr
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

    #[test]
    fn measures_a_live_server() {
        let ep = Endpoint {
            addr: tiny_server(200, br#"{"prediction":1}"#),
            path: "/predict".into(),
            body: Bytes::from_static(b"{}"),
        };
        let out = run(&ep, short(3)).unwrap();
        assert_eq!(out.failed(), 0, "{:?}", out.failures);
        assert!(!out.latencies_ns.is_empty());
        assert_eq!(
            out.per_second.iter().sum::<u64>(),
            out.latencies_ns.len() as u64
        );
    }

    #[test]
    fn counts_bad_answers_by_kind() {
        let ep = Endpoint {
            addr: tiny_server(503, br#"{"error":1}"#),
            path: "/predict".into(),
            body: Bytes::from_static(b"{}"),
        };
        let out = run(&ep, short(1)).unwrap();
        assert!(out.latencies_ns.is_empty());
        assert!(out.failures["HTTP 503"] > 0);
        let ep = Endpoint {
            addr: tiny_server(200, br#"{"error":1}"#),
            ..ep
        };
        let out = run(&ep, short(1)).unwrap();
        assert!(out.failures["body without \"prediction\""] > 0);
    }

    #[test]
    fn refused_connections_are_counted_and_bounded() {
        // A port nothing listens on: every connect fails, the run still ends.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let ep = Endpoint {
            addr,
            path: "/predict".into(),
            body: Bytes::from_static(b"{}"),
        };
        let out = run(
            &ep,
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
