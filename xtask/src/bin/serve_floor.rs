//! `serve-floor`: the floor of `cargo xtask bench-serve`.
//!
//! The least an HTTP/1.1 JSON prediction server can do: hyper 1 on a tokio
//! multi-threaded runtime (one worker per core, as `realizar serve`),
//! `POST /predict` parses the body into realizar's request type with
//! realizar's own parser (`PredictRequest::from_json`, so the floor pays
//! the same parse cost) and answers a constant JSON document.
//! No model, no routing framework, no middleware, no metrics. Its latency
//! and throughput, measured in the same run, are what realizar's are held
//! against.
//!
//! ```text
//! serve-floor [--host 127.0.0.1] [--port 0]
//! POST /predict  -> 200 {"prediction":0,"latency_ms":0.0,"model_version":"floor"}  (422 on bad JSON)
//! GET  /ready, /health -> 200
//! ```
//!
//! It prints `listening on http://HOST:PORT` once bound.

use clap::Parser;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use realizar_infer::api::PredictRequest;
use std::convert::Infallible;
use std::io::Write as _;

/// A minimal hyper server that parses realizar's predict JSON and answers a constant.
#[derive(Debug, Parser)]
#[command(name = "serve-floor", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0: the OS picks one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

const ANSWER: &[u8] = br#"{"prediction":0,"latency_ms":0.0,"model_version":"floor"}"#;
const MAX_BODY: usize = 1 << 20;

fn reply(status: StatusCode, body: &'static [u8]) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(match (req.method(), req.uri().path()) {
        (&Method::POST, "/predict") => {
            match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(body) => match PredictRequest::from_json(&body.to_bytes()) {
                    Ok(_) => reply(StatusCode::OK, ANSWER),
                    Err(_) => reply(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        br#"{"error":{"code":"invalid_json"}}"#,
                    ),
                },
                Err(_) => reply(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    br#"{"error":{"code":"body"}}"#,
                ),
            }
        }
        (&Method::GET, "/ready" | "/health") => reply(StatusCode::OK, br#"{"ready":true}"#),
        _ => reply(StatusCode::NOT_FOUND, br#"{"error":{"code":"not_found"}}"#),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await?;
        let addr = listener.local_addr()?;
        let mut out = std::io::stdout();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("serve-floor: accept: {e}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    })
}
