//! Graceful shutdown: in-flight requests finish, new connections are
//! refused, idle connections do not hold the drain.

mod common;

use std::time::Duration;

use common::*;
use hyper::StatusCode;
use realizar_serve::ServeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_every_in_flight_request_and_refuses_new_ones() {
    const N: usize = 8;
    let mut s = TestServer::ready(ServeConfig::default().with_demo()).await;
    let body = batch_body(4);
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let head = format!(
        "POST /predict/batch HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );

    // N requests whose bodies are half sent: each is inside its handler.
    let mut streams = Vec::new();
    for _ in 0..N {
        let mut st = TcpStream::connect(s.addr).await.unwrap();
        st.write_all(head.as_bytes()).await.unwrap();
        st.write_all(first).await.unwrap();
        streams.push(st);
    }
    tokio::time::timeout(LIMIT, async {
        while s.state.metrics.in_flight().get() < N as i64 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("requests never in flight");

    s.signal_stop();
    // The listener closes: new connections are refused.
    tokio::time::timeout(LIMIT, async {
        while TcpStream::connect(s.addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("still accepting after shutdown");
    assert!(!s.handle.is_finished(), "returned with requests in flight");

    // Every in-flight request completes with 200 and a full answer.
    for mut st in streams {
        st.write_all(rest).await.unwrap();
        let mut out = Vec::new();
        tokio::time::timeout(LIMIT, st.read_to_end(&mut out))
            .await
            .expect("answer in time")
            .unwrap();
        let text = String::from_utf8_lossy(&out);
        assert_eq!(raw_status(&text), Some(200), "{text}");
        assert!(
            text.to_ascii_lowercase().contains("connection: close"),
            "{text}"
        );
        let json = &text[text.find("\r\n\r\n").unwrap() + 4..];
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["predictions"].as_array().unwrap().len(), 4);
    }
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_do_not_hold_the_drain() {
    // A drain limit longer than the test's own: finishing means the idle
    // connection was closed, not waited out.
    let config = ServeConfig {
        drain_timeout: Duration::from_secs(600),
        ..ServeConfig::default().with_demo()
    };
    let s = TestServer::ready(config).await;
    let mut idle = Client::connect(s.addr).await.unwrap();
    let r = idle
        .post_json("/predict", &predict_body(0.5))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await.unwrap();
    // The connection is gone.
    assert!(
        idle.post_json("/predict", &predict_body(0.5))
            .await
            .is_err()
    );
}
