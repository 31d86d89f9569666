//! Every endpoint and every error path, over real TCP on 127.0.0.1.

mod common;

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use common::*;
use hyper::{Method, StatusCode};
use realizar_serve::{DEMO_MODEL_ID, ServeConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_models_and_metrics() {
    let s = TestServer::ready(ServeConfig::default().with_demo()).await;

    let r = get(s.addr, "/health").await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));

    let r = get(s.addr, "/ready").await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        serde_json::json!({"ready": true, "models": [DEMO_MODEL_ID]})
    );

    let r = get(s.addr, "/models").await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    let m = &r.json()["models"][0];
    assert_eq!(m["id"], DEMO_MODEL_ID);
    assert_eq!(m["model_type"], "logistic_regression");
    assert_eq!(m["version"], "1.0.0");
    assert_eq!(m["input_dim"], 784);
    assert_eq!(m["n_classes"], 2);

    let r = get(s.addr, "/metrics").await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    for name in [
        "# TYPE realizar_http_requests counter",
        "# TYPE realizar_http_request_duration_seconds histogram",
        "# TYPE realizar_inference_duration_seconds histogram",
        "# TYPE realizar_http_requests_in_flight gauge",
        "# TYPE realizar_model_cache_hits counter",
        "# TYPE realizar_model_cache_misses counter",
        "# TYPE realizar_model_cache_evictions counter",
        "realizar_build_info{",
        "# EOF",
    ] {
        assert!(text.contains(name), "no {name} in\n{text}");
    }
    // The /health request above has been counted.
    assert_eq!(
        metric(
            &text,
            r#"realizar_http_requests_total{route="/health",status="200"}"#
        ),
        Some(1.0)
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_503_until_the_models_are_loaded() {
    // A loader that waits for the test's go-ahead.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let g = Arc::clone(&gate);
    let config = ServeConfig::default().with_loader("slow", move || {
        let (open, cv) = &*g;
        let mut open = open.lock().unwrap();
        while !*open {
            open = cv.wait(open).unwrap();
        }
        realizar_infer::data::demo_model()
    });
    let s = TestServer::start(config).await;

    let r = get(s.addr, "/ready").await.unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json(), serde_json::json!({"ready": false, "models": []}));
    // Liveness does not depend on the models.
    assert_eq!(get(s.addr, "/health").await.unwrap().status, StatusCode::OK);
    // Predictions are refused with the JSON shape, not queued.
    let r = post_json(s.addr, "/predict", &predict_body(0.5))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error_code(), "overloaded");
    assert_eq!(
        get(s.addr, "/models").await.unwrap().json()["models"],
        serde_json::json!([])
    );

    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    s.wait_ready().await;
    let r = get(s.addr, "/ready").await.unwrap();
    assert_eq!(
        r.json(),
        serde_json::json!({"ready": true, "models": ["slow"]})
    );
    let r = post_json(s.addr, "/predict", &predict_body(0.5))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predict_and_batch_answer_with_the_api_types() {
    let s = TestServer::ready(ServeConfig::default().with_demo()).await;
    let mut c = Client::connect(s.addr).await.unwrap();

    let r = c.post_json("/predict", &predict_body(0.25)).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/json");
    let one: realizar_infer::api::PredictResponse = serde_json::from_slice(&r.body).unwrap();
    assert!(one.prediction < 2);
    assert!(one.probabilities.is_none());
    assert_eq!(one.model_version, "1.0.0");
    assert!(one.latency_ms >= 0.0 && one.latency_ms.is_finite());
    // A request id is generated when absent...
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 16);

    // ...and echoed when given; the model can be named; probabilities on demand.
    let body = format!(
        r#"{{"model_id": "{DEMO_MODEL_ID}", "features": {}, "options": {{"return_probabilities": true}}}}"#,
        features(784, 0.25)
    );
    let r = c
        .send(
            Method::POST,
            "/predict",
            &[
                ("content-type", "application/json"),
                ("x-request-id", "req-42"),
            ],
            body,
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["x-request-id"], "req-42");
    let v = r.json();
    let p: Vec<f64> = serde_json::from_value(v["probabilities"].clone()).unwrap();
    assert_eq!(p.len(), 2);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-5, "{p:?}");
    assert_eq!(v["prediction"].as_u64().unwrap() as u32, one.prediction);

    // The batch agrees with single predictions, in order.
    let r = c.post_json("/predict/batch", &batch_body(5)).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    let batch: realizar_infer::api::BatchPredictResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(batch.predictions.len(), 5);
    assert_eq!(batch.model_version, "1.0.0");
    assert!(batch.total_latency_ms >= 0.0);
    for (i, want) in batch.predictions.iter().enumerate() {
        let r = c
            .post_json("/predict", &predict_body((i % 7) as f32 / 7.0))
            .await
            .unwrap();
        assert_eq!(
            r.json()["prediction"].as_u64().unwrap() as u32,
            *want,
            "instance {i}"
        );
    }

    // The inference histogram and the cache counters moved.
    let text = String::from_utf8(get(s.addr, "/metrics").await.unwrap().body.to_vec()).unwrap();
    let n = metric(
        &text,
        r#"realizar_inference_duration_seconds_count{model="mnist-v1"}"#,
    )
    .unwrap();
    assert_eq!(n, 8.0, "{text}");
    assert!(
        metric(&text, "realizar_model_cache_hits_total").unwrap() >= 8.0,
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"realizar_http_requests_total{route="/predict",status="200"}"#
        ),
        Some(7.0)
    );
    s.stop().await.unwrap();
}

/// Posts `body` to `path` and checks the status and error code.
async fn expect_error(c: &mut Client, path: &str, body: &str, status: u16, code: &str) -> String {
    let r = c.post_json(path, body).await.unwrap();
    assert_eq!(r.status.as_u16(), status, "{body:.80}: {:?}", r.body);
    assert_eq!(r.error_code(), code, "{body:.80}");
    assert_eq!(r.headers["content-type"], "application/json");
    r.json()["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_400_with_the_json_error_shape() {
    let s = TestServer::ready(ServeConfig::default().with_demo()).await;
    let mut c = Client::connect(s.addr).await.unwrap();

    let m = expect_error(&mut c, "/predict", "{not json", 400, "invalid_json").await;
    assert!(m.contains("line 1"), "{m}");
    expect_error(&mut c, "/predict", "", 400, "invalid_json").await;
    expect_error(
        &mut c,
        "/predict",
        r#"{"features": "abc"}"#,
        400,
        "invalid_json",
    )
    .await;
    let m = expect_error(
        &mut c,
        "/predict",
        r#"{"feature": [1.0]}"#,
        400,
        "invalid_json",
    )
    .await;
    assert!(m.contains("features"), "{m}");
    expect_error(
        &mut c,
        "/predict",
        r#"{"features": [1, null]}"#,
        400,
        "invalid_json",
    )
    .await;
    expect_error(
        &mut c,
        "/predict",
        r#"{"features": [NaN]}"#,
        400,
        "invalid_json",
    )
    .await;
    expect_error(&mut c, "/predict", r#"[1, 2, 3]"#, 400, "invalid_json").await;
    expect_error(
        &mut c,
        "/predict",
        &format!("{} trailing", predict_body(0.1)),
        400,
        "invalid_json",
    )
    .await;
    // Too large even for f64: serde refuses the number.
    expect_error(
        &mut c,
        "/predict",
        r#"{"features": [1e400]}"#,
        400,
        "invalid_json",
    )
    .await;

    let m = expect_error(
        &mut c,
        "/predict",
        r#"{"features": [1.0, 2.0, 3.0]}"#,
        400,
        "invalid_input",
    )
    .await;
    assert_eq!(m, "expected 784 features, got 3");
    // 1e39 overflows f32: the parser refuses it ("number out of range", as
    // serde_json does for an f32 field), a 400 in the JSON error shape.
    let mut big = vec!["0.5".to_owned(); 784];
    for value in ["1e39", "-1e39"] {
        big[17] = value.to_owned();
        let body = format!(r#"{{"features": [{}]}}"#, big.join(","));
        let r = c.post_json("/predict", &body).await.unwrap();
        assert_eq!(r.status.as_u16(), 400, "{value}: {:?}", r.body);
        assert_eq!(r.error_code(), "invalid_json", "{value}");
        let m = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(m.contains("number out of range"), "{m}");
    }

    let m = expect_error(
        &mut c,
        "/predict/batch",
        r#"{"instances": []}"#,
        400,
        "invalid_input",
    )
    .await;
    assert!(m.contains("at least one"), "{m}");
    let body = format!(
        r#"{{"instances": [{{"features": {}}}, {{"features": [1.0]}}]}}"#,
        features(784, 0.5)
    );
    let m = expect_error(&mut c, "/predict/batch", &body, 400, "invalid_input").await;
    assert!(m.starts_with("instance 1:"), "{m}");
    expect_error(
        &mut c,
        "/predict/batch",
        r#"{"instances": {}}"#,
        400,
        "invalid_json",
    )
    .await;

    // The connection survived every error.
    let r = c.post_json("/predict", &predict_body(0.5)).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_models_routes_methods_and_media_types() {
    let s = TestServer::ready(ServeConfig::default().with_demo()).await;
    let mut c = Client::connect(s.addr).await.unwrap();

    let body = format!(
        r#"{{"model_id": "nope", "features": {}}}"#,
        features(784, 0.5)
    );
    let m = expect_error(&mut c, "/predict", &body, 404, "model_not_found").await;
    assert!(m.contains("'nope'") && m.contains(DEMO_MODEL_ID), "{m}");
    let body = r#"{"model_id": "nope", "instances": [{"features": [1.0]}]}"#;
    expect_error(&mut c, "/predict/batch", body, 404, "model_not_found").await;

    let r = c.send(Method::GET, "/nope", &[], "").await.unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");
    let r = c.post_json("/predict/", &predict_body(0.5)).await.unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");

    let r = c.send(Method::GET, "/predict", &[], "").await.unwrap();
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.error_code(), "method_not_allowed");
    assert_eq!(r.headers["allow"], "POST");
    let r = c.send(Method::DELETE, "/health", &[], "").await.unwrap();
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.error_code(), "method_not_allowed");
    assert!(r.headers["allow"].to_str().unwrap().contains("GET"));

    let body = predict_body(0.5);
    let r = c
        .send(
            Method::POST,
            "/predict",
            &[("content-type", "text/plain")],
            body.clone(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.error_code(), "unsupported_media_type");
    let r = c
        .send(Method::POST, "/predict", &[], body.clone())
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = c
        .send(
            Method::POST,
            "/predict",
            &[("content-type", "application/json; charset=utf-8")],
            body,
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);

    // Unknown paths are one bounded label, not one per path.
    let text = String::from_utf8(get(s.addr, "/metrics").await.unwrap().body.to_vec()).unwrap();
    assert!(!text.contains("/nope"), "{text}");
    assert_eq!(
        metric(
            &text,
            r#"realizar_http_requests_total{route="other",status="404"}"#
        ),
        Some(2.0)
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_413_before_they_are_read() {
    let config = ServeConfig {
        max_body_bytes: 64 * 1024,
        ..ServeConfig::default().with_demo()
    };
    let s = TestServer::ready(config).await;

    // Declared too large: answered from the head, the 100 MB never sent.
    let head = "POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\n\r\n{\"features\": [";
    let answer = raw(s.addr, head.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(raw_status(&answer), Some(413), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");

    // Chunked, no length: stopped when the limit is crossed while streaming.
    let mut req = Vec::new();
    req.extend_from_slice(
        b"POST /predict/batch HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..8 {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(&chunk);
        req.extend_from_slice(b"\r\n");
    }
    let answer = raw(s.addr, &req, Duration::from_secs(10)).await;
    assert_eq!(raw_status(&answer), Some(413), "{answer}");

    // A body under the limit is fine.
    let r = post_json(s.addr, "/predict", &predict_body(0.5))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_completes_is_408_and_frees_the_slot() {
    let config = ServeConfig {
        request_timeout: Duration::from_millis(300),
        max_concurrency: 1,
        ..ServeConfig::default().with_demo()
    };
    let s = TestServer::ready(config).await;
    let head = "POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{\"features\": [0.1,";
    let answer = raw(s.addr, head.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(raw_status(&answer), Some(408), "{answer}");
    assert!(answer.contains(r#""code":"timeout""#), "{answer}");
    // The one concurrency slot was released.
    let r = post_json(s.addr, "/predict", &predict_body(0.5))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_concurrency_limit_is_503_at_once() {
    let config = ServeConfig {
        max_concurrency: 1,
        ..ServeConfig::default().with_demo()
    };
    let s = TestServer::ready(config).await;

    // Hold the only slot: a request whose body is half sent.
    let body = predict_body(0.5);
    let (first, rest) = body.as_bytes().split_at(100);
    let mut held = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    held.write_all(head.as_bytes()).await.unwrap();
    held.write_all(first).await.unwrap();
    // Wait until the server has it in flight.
    tokio::time::timeout(LIMIT, async {
        while s.state.metrics.in_flight().get() < 1 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .unwrap();

    let r = post_json(s.addr, "/predict", &predict_body(0.5))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error_code(), "overloaded");
    assert_eq!(r.headers["retry-after"], "1");
    // The batch route (through the router) shares the limit with
    // `/predict` (answered straight from the connection).
    let batch = format!(r#"{{"instances": [{}]}}"#, predict_body(0.5));
    let r = post_json(s.addr, "/predict/batch", &batch).await.unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error_code(), "overloaded");
    // Probes are outside the limit.
    assert_eq!(get(s.addr, "/health").await.unwrap().status, StatusCode::OK);
    assert_eq!(get(s.addr, "/ready").await.unwrap().status, StatusCode::OK);

    held.write_all(rest).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(LIMIT, held.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raw_status(&String::from_utf8_lossy(&buf[..n])), Some(200));
    let r = post_json(s.addr, "/predict", &predict_body(0.5))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_never_completes_is_cut_off() {
    let config = ServeConfig {
        header_read_timeout: Duration::from_millis(200),
        ..ServeConfig::default().with_demo()
    };
    let s = TestServer::ready(config).await;
    let started = std::time::Instant::now();
    // `raw` reads until the server closes the connection.
    let answer = raw(s.addr, b"POST /predict HTTP/1.1\r\nhost: x\r\n", LIMIT).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "connection held for {:?}",
        started.elapsed()
    );
    assert!(raw_status(&answer) != Some(200), "{answer}");
    assert_eq!(get(s.addr, "/health").await.unwrap().status, StatusCode::OK);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_from_files_through_the_cache_with_eviction() {
    let a = saved_demo_model("a");
    let b = saved_demo_model("b");
    let config = ServeConfig {
        cache_max_entries: Some(1),
        ..ServeConfig::default()
            .with_model("a", &a)
            .with_model("b", &b)
    };
    let s = TestServer::ready(config).await;
    let r = get(s.addr, "/ready").await.unwrap();
    assert_eq!(
        r.json(),
        serde_json::json!({"ready": true, "models": ["a", "b"]})
    );
    let ids: Vec<String> = get(s.addr, "/models").await.unwrap().json()["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["a", "b"]);

    let mut c = Client::connect(s.addr).await.unwrap();
    // Default model (the first), then alternate: each switch evicts.
    let r = c.post_json("/predict", &predict_body(0.5)).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    for id in ["a", "b", "a", "b"] {
        let body = format!(
            r#"{{"model_id": "{id}", "features": {}}}"#,
            features(784, 0.5)
        );
        let r = c.post_json("/predict", &body).await.unwrap();
        assert_eq!(r.status, StatusCode::OK, "{id}");
    }
    let text = String::from_utf8(get(s.addr, "/metrics").await.unwrap().body.to_vec()).unwrap();
    assert!(
        metric(&text, "realizar_model_cache_evictions_total").unwrap() >= 3.0,
        "{text}"
    );
    assert!(
        metric(&text, "realizar_model_cache_misses_total").unwrap() >= 3.0,
        "{text}"
    );
    assert_eq!(
        metric(&text, "realizar_model_cache_entries"),
        Some(1.0),
        "{text}"
    );

    // A file that vanished after start-up cannot be reloaded: the server's
    // fault (500, JSON shape), and the other model keeps answering.
    std::fs::remove_file(&b).unwrap();
    let body_b = format!(r#"{{"model_id": "b", "features": {}}}"#, features(784, 0.5));
    let body_a = format!(r#"{{"model_id": "a", "features": {}}}"#, features(784, 0.5));
    assert_eq!(
        c.post_json("/predict", &body_a).await.unwrap().status,
        StatusCode::OK
    );
    let r = c.post_json("/predict", &body_b).await.unwrap();
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.error_code(), "internal");
    assert_eq!(
        c.post_json("/predict", &body_a).await.unwrap().status,
        StatusCode::OK
    );
    s.stop().await.unwrap();
    let _ = std::fs::remove_file(a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_cannot_load_stops_the_server_with_the_cause() {
    // A missing file is refused before the socket is bound.
    let config = ServeConfig::default().with_model("m", "/nonexistent/model.safetensors");
    let err = realizar_serve::Server::bind(config).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("'m'") && msg.contains("nonexistent"), "{msg}");

    // A file that exists but is not a model fails at load time, after the
    // bind: the server stops with the cause.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("not-a-model-{}.safetensors", std::process::id()));
    std::fs::write(&path, b"this is not safetensors").unwrap();
    let config = ServeConfig::default().with_model("m", &path);
    let s = TestServer::start(config).await;
    let err = tokio::time::timeout(LIMIT, s.handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("cannot load model 'm'"), "{msg}");
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn bad_configs_are_refused_before_binding() {
    let err = realizar_serve::Server::bind(ServeConfig::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no model"), "{err}");
    // A taken port names the address.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = ServeConfig::default()
        .with_demo()
        .with_addr(taken.local_addr().unwrap());
    let err = realizar_serve::Server::bind(config).await.unwrap_err();
    assert!(
        err.to_string().contains("cannot listen on 127.0.0.1:"),
        "{err}"
    );
}
