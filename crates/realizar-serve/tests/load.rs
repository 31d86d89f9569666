//! Many clients at once, and a burst of malformed traffic while valid
//! requests keep being answered.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use hyper::StatusCode;
use realizar_serve::ServeConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_clients_all_get_answers() {
    const CLIENTS: usize = 32;
    const REQUESTS: usize = 40;
    let s = TestServer::ready(ServeConfig::default().with_demo()).await;
    let single = Arc::new(predict_body(0.5));
    let batch = Arc::new(batch_body(3));
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (addr, single, batch) = (s.addr, Arc::clone(&single), Arc::clone(&batch));
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await.unwrap();
            let mut predictions = Vec::new();
            for i in 0..REQUESTS {
                let (path, body) = if (c + i) % 4 == 0 {
                    ("/predict/batch", batch.as_str())
                } else {
                    ("/predict", single.as_str())
                };
                let r = client.post_json(path, body).await.unwrap();
                assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
                if path == "/predict" {
                    predictions.push(r.json()["prediction"].as_u64().unwrap());
                }
            }
            predictions
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(tokio::time::timeout(LIMIT, t).await.unwrap().unwrap());
    }
    // Same input, same answer, whatever the interleaving.
    assert!(all.windows(2).all(|w| w[0] == w[1]));
    let text = String::from_utf8(get(s.addr, "/metrics").await.unwrap().body.to_vec()).unwrap();
    let single_n = metric(
        &text,
        r#"realizar_http_requests_total{route="/predict",status="200"}"#,
    );
    let batch_n = metric(
        &text,
        r#"realizar_http_requests_total{route="/predict/batch",status="200"}"#,
    );
    assert_eq!(
        single_n.unwrap() + batch_n.unwrap(),
        (CLIENTS * REQUESTS) as f64,
        "{text}"
    );
    assert_eq!(metric(&text, "realizar_http_requests_in_flight"), Some(1.0));
    s.stop().await.unwrap();
}

/// Deterministic bytes (xorshift), so a failure can be replayed.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_burst_does_not_disturb_valid_traffic() {
    let config = ServeConfig {
        max_body_bytes: 256 * 1024,
        request_timeout: Duration::from_millis(1000),
        // Also the idle keep-alive limit: long enough for the valid client
        // never to idle that long, even on a loaded machine.
        header_read_timeout: Duration::from_millis(3000),
        ..ServeConfig::default().with_demo()
    };
    let s = TestServer::ready(config).await;
    let addr = s.addr;

    // Valid traffic, on one keep-alive connection, for the whole burst.
    let stop = Arc::new(AtomicBool::new(false));
    let valid = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let body = predict_body(0.5);
            let mut client = Client::connect(addr).await.unwrap();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let r = client.post_json("/predict", &body).await.unwrap();
                assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "valid request failed: {:?}",
                    r.body
                );
                n += 1;
                tokio::task::yield_now().await;
            }
            n
        })
    };

    let mut burst = Vec::new();
    // Random bytes as a request.
    for seed in 0..40u64 {
        burst.push(tokio::spawn(async move {
            let answer = raw(
                addr,
                &noise(seed, 64 + seed as usize * 37),
                Duration::from_secs(5),
            )
            .await;
            assert!(raw_status(&answer).is_none_or(|c| c < 500), "{answer}");
        }));
    }
    // Random bytes as a JSON body.
    for seed in 0..40u64 {
        burst.push(tokio::spawn(async move {
            let mut c = Client::connect(addr).await.unwrap();
            let body = noise(1000 + seed, 200);
            let r = c
                .send(
                    hyper::Method::POST,
                    "/predict",
                    &[("content-type", "application/json")],
                    body,
                )
                .await
                .unwrap();
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            assert_eq!(r.error_code(), "invalid_json");
        }));
    }
    // Wrong types and shapes.
    for (i, body) in [
        r#"{"features": {"a": 1}}"#,
        r#"{"features": [true]}"#,
        r#"{"features": ["1.0"]}"#,
        r#"{"features": [1.0], "options": 7}"#,
        r#"{"model_id": 5, "features": [1.0]}"#,
        r#"{"instances": [[1.0, 2.0]]}"#,
        r#"null"#,
        r#"{"features": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#,
    ]
    .into_iter()
    .enumerate()
    {
        burst.push(tokio::spawn(async move {
            let path = if i % 2 == 0 { "/predict" } else { "/predict/batch" };
            let r = post_json(addr, path, body).await.unwrap();
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        }));
    }
    // Oversized bodies, declared and streamed.
    for i in 0..10usize {
        burst.push(tokio::spawn(async move {
            let big = format!(r#"{{"features": {}}}"#, features(80_000 + i, 0.5));
            let r = post_json(addr, "/predict", &big).await.unwrap();
            assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(r.error_code(), "payload_too_large");
        }));
    }
    // 100 MB bodies: declared (refused before a byte of it is read) and
    // chunked without a length (refused at the limit); the client keeps
    // writing until the server has answered and closed.
    for chunked in [false, true] {
        burst.push(tokio::spawn(async move {
            const TOTAL: usize = 100 << 20;
            let head = if chunked {
                "POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_owned()
            } else {
                format!("POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {TOTAL}\r\n\r\n")
            };
            let st = TcpStream::connect(addr).await.unwrap();
            let (mut rd, mut wr) = st.into_split();
            let writer = tokio::spawn(async move {
                wr.write_all(head.as_bytes()).await?;
                let piece = vec![b' '; 1 << 20];
                let chunk_head = format!("{:x}\r\n", piece.len());
                for _ in 0..TOTAL / piece.len() {
                    if chunked {
                        wr.write_all(chunk_head.as_bytes()).await?;
                    }
                    wr.write_all(&piece).await?;
                    if chunked {
                        wr.write_all(b"\r\n").await?;
                    }
                }
                std::io::Result::Ok(())
            });
            let mut out = Vec::new();
            tokio::time::timeout(LIMIT, tokio::io::AsyncReadExt::read_to_end(&mut rd, &mut out))
                .await
                .expect("a 100 MB body held the server")
                .ok();
            writer.abort();
            let text = String::from_utf8_lossy(&out);
            assert_eq!(raw_status(&text), Some(413), "chunked {chunked}: {text}");
        }));
    }
    // Slow clients: a head that never ends, a body that never ends.
    for i in 0..10usize {
        burst.push(tokio::spawn(async move {
            let mut st = TcpStream::connect(addr).await.unwrap();
            let partial: &[u8] = if i % 2 == 0 {
                b"POST /predict HTTP/1.1\r\nhost: x\r\ncontent-"
            } else {
                b"POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 9999\r\n\r\n{\"features\": ["
            };
            st.write_all(partial).await.unwrap();
            let mut out = Vec::new();
            // The server ends it (408 for the body, a close for the head).
            tokio::time::timeout(LIMIT, tokio::io::AsyncReadExt::read_to_end(&mut st, &mut out))
                .await
                .expect("slow client held the server")
                .ok();
            let text = String::from_utf8_lossy(&out);
            if i % 2 == 1 {
                assert_eq!(raw_status(&text), Some(408), "{text}");
            }
        }));
    }
    // Protocol-level junk.
    for req in [
        "GET / HTTP/9.9\r\n\r\n".to_owned(),
        format!("GET /health HTTP/1.1\r\nx-big: {}\r\n\r\n", "a".repeat(200_000)),
        "POST /predict HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n".to_owned(),
        "POST /predict HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\nzz\r\n".to_owned(),
    ] {
        burst.push(tokio::spawn(async move {
            let answer = raw(addr, req.as_bytes(), Duration::from_secs(5)).await;
            assert!(raw_status(&answer).is_none_or(|c| c < 500), "{answer}");
        }));
    }

    for t in burst {
        tokio::time::timeout(LIMIT, t)
            .await
            .expect("burst task hung")
            .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let n = tokio::time::timeout(LIMIT, valid).await.unwrap().unwrap();
    assert!(n > 0);

    let text = String::from_utf8(get(addr, "/metrics").await.unwrap().body.to_vec()).unwrap();
    let server_errors: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("realizar_http_requests_total") && l.contains("status=\"5"))
        // /ready answers 503 while the model loads: by design.
        .filter(|l| !l.contains("route=\"/ready\""))
        .filter(|l| !l.ends_with(" 0"))
        .collect();
    assert!(server_errors.is_empty(), "{server_errors:?}");
    assert_eq!(get(addr, "/health").await.unwrap().status, StatusCode::OK);
    s.stop().await.unwrap();
}
