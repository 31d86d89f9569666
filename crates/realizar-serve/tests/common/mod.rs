//! Test helpers: an in-process server on 127.0.0.1:0 and a small HTTP/1.1
//! client (hyper's connection API, no client framework).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use realizar_serve::{AppState, ServeConfig, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every wait in the tests is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(30);

/// A running in-process server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    pub handle: JoinHandle<realizar_serve::Result<()>>,
}

impl TestServer {
    /// Starts `config` on 127.0.0.1:0 (not waiting for readiness).
    pub async fn start(config: ServeConfig) -> Self {
        let config = config.with_addr(SocketAddr::from(([127, 0, 0, 1], 0)));
        let server = Server::bind(config).await.expect("bind");
        let addr = server.local_addr();
        let state = Arc::clone(server.state());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Self {
            addr,
            state,
            stop: Some(tx),
            handle,
        }
    }

    /// Starts `config` and waits for `/ready` to answer 200.
    pub async fn ready(config: ServeConfig) -> Self {
        let s = Self::start(config).await;
        s.wait_ready().await;
        s
    }

    /// Polls `/ready` until 200.
    pub async fn wait_ready(&self) {
        tokio::time::timeout(LIMIT, async {
            loop {
                if let Ok(r) = get(self.addr, "/ready").await
                    && r.status == StatusCode::OK
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("server not ready in time");
    }

    /// Triggers the shutdown signal.
    pub fn signal_stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Signals and waits for `run` to return.
    pub async fn stop(mut self) -> realizar_serve::Result<()> {
        self.signal_stop();
        tokio::time::timeout(LIMIT, self.handle)
            .await
            .expect("server did not stop in time")
            .expect("server task panicked")
    }
}

/// An answer.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// The `error.code` of a JSON error answer.
    pub fn error_code(&self) -> String {
        let v = self.json();
        assert!(v["error"]["message"].is_string(), "no error message: {v}");
        v["error"]["code"]
            .as_str()
            .expect("no error code")
            .to_owned()
    }
}

/// A keep-alive HTTP/1.1 connection.
pub struct Client {
    sender: SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self { sender, addr })
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Resp, hyper::Error> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body.into())).expect("request");
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let (parts, body) = res.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    pub async fn post_json(&mut self, path: &str, body: &str) -> Result<Resp, hyper::Error> {
        self.send(
            Method::POST,
            path,
            &[("content-type", "application/json")],
            body.to_owned(),
        )
        .await
    }
}

/// One request on a new connection.
pub async fn request(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> std::io::Result<Resp> {
    let mut c = Client::connect(addr).await?;
    tokio::time::timeout(LIMIT, c.send(method, path, headers, body))
        .await
        .map_err(std::io::Error::other)?
        .map_err(std::io::Error::other)
}

pub async fn get(addr: SocketAddr, path: &str) -> std::io::Result<Resp> {
    request(addr, Method::GET, path, &[], Bytes::new()).await
}

pub async fn post_json(addr: SocketAddr, path: &str, body: &str) -> std::io::Result<Resp> {
    request(
        addr,
        Method::POST,
        path,
        &[("content-type", "application/json")],
        body.to_owned(),
    )
    .await
}

/// A JSON array of `n` features, value `v` each.
pub fn features(n: usize, v: f32) -> String {
    let mut s = String::with_capacity(n * 6 + 2);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("{v}"));
    }
    s.push(']');
    s
}

/// A `/predict` body for the 784-feature demo model.
pub fn predict_body(v: f32) -> String {
    format!(r#"{{"features": {}}}"#, features(784, v))
}

/// A `/predict/batch` body of `n` instances.
pub fn batch_body(n: usize) -> String {
    let inst: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"features": {}}}"#, features(784, (i % 7) as f32 / 7.0)))
        .collect();
    format!(r#"{{"instances": [{}]}}"#, inst.join(","))
}

/// Writes raw bytes on a new connection and reads until the server closes
/// it or `wait` passes; returns what was read.
pub async fn raw(addr: SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code at the start of a raw HTTP/1.1 answer.
pub fn raw_status(answer: &str) -> Option<u16> {
    answer.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// The demo model saved to a fresh file; returns its path.
pub fn saved_demo_model(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("realizar-serve-tests");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(format!("{name}-{}.safetensors", std::process::id()));
    realizar_infer::data::demo_model()
        .expect("demo model")
        .save(&path)
        .expect("save");
    path
}

/// A value of one metric line (`name{labels} value`) in an exposition.
pub fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
