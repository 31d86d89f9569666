//! The real `bootstrap` binary against a local Runtime API (the documented
//! protocol, served by `realizar_lambda::mock`): events in, answers out,
//! errors reported where Lambda expects them, and the loop going on.

use base64::Engine;
use realizar_lambda::mock::{FunctionProcess, MockRuntimeApi, Outcome};
use serde_json::{Value, json};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Bound on every wait (a debug build answers in milliseconds).
const WAIT: Duration = Duration::from_secs(20);

fn bootstrap() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    cmd.env_remove("REALIZAR_MODEL")
        .env_remove("REALIZAR_MODEL_ID")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn features() -> Vec<f32> {
    let data = realizar_infer::data::synthetic_mnist(3);
    data.sample(2).expect("sample 2").to_vec()
}

fn response_json(o: &Outcome) -> Value {
    match o {
        Outcome::Response { .. } => o.json().expect("a JSON response"),
        other => panic!("expected a response, got {other:?}"),
    }
}

fn v2_event(body: &str, base64: bool) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "POST /predict",
        "rawPath": "/predict",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api-id.execute-api.us-east-1.amazonaws.com",
            "http": {"method": "POST", "path": "/predict", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "id",
            "routeKey": "POST /predict",
            "stage": "$default",
            "time": "27/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1795737600000u64
        },
        "body": body,
        "isBase64Encoded": base64
    })
}

fn stderr_of(mut p: FunctionProcess) -> String {
    let _ = p.child_mut().kill();
    let _ = p.wait_timeout(WAIT);
    let mut s = String::new();
    if let Some(mut e) = p.child_mut().stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

#[test]
fn serves_every_kind_of_event_and_goes_on_after_errors() {
    let mut api = MockRuntimeApi::start().expect("mock runtime api");
    let mut p = FunctionProcess::spawn(bootstrap(), &api).expect("spawn bootstrap");
    let x = features();

    // Direct predict.
    let o = api
        .invoke(
            json!({"features": x, "options": {"return_probabilities": true}}).to_string(),
            WAIT,
        )
        .unwrap();
    let r = response_json(&o);
    assert!(r["prediction"].as_u64().unwrap() < 2, "{r}");
    assert_eq!(r["probabilities"].as_array().unwrap().len(), 2, "{r}");

    // Direct batch.
    let o = api
        .invoke(
            json!({"instances": [{"features": x}, {"features": x}, {"features": x}]}).to_string(),
            WAIT,
        )
        .unwrap();
    let r = response_json(&o);
    assert_eq!(r["predictions"].as_array().unwrap().len(), 3, "{r}");

    // API Gateway HTTP API (v2) event, base64 body.
    let body = base64::engine::general_purpose::STANDARD.encode(json!({"features": x}).to_string());
    let o = api.invoke(v2_event(&body, true).to_string(), WAIT).unwrap();
    let r = response_json(&o);
    assert_eq!(r["statusCode"], 200, "{r}");
    let inner: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert!(inner["prediction"].is_u64(), "{inner}");

    // Malformed JSON: lambda_runtime cannot parse the event and reports it
    // through /invocation/{id}/error.
    let o = api.invoke(r#"{"features": [1.0, 2.0"#, WAIT).unwrap();
    let Outcome::Error { error_type, .. } = &o else {
        panic!("expected an error report, got {o:?}")
    };
    let doc = o.json().expect("an error document");
    assert!(
        doc["errorType"].is_string() && doc["errorMessage"].is_string(),
        "{doc}"
    );
    assert!(error_type.is_some(), "{o:?}");

    // Wrong feature count: the server's error shape as the answer.
    let o = api
        .invoke(r#"{"features": [1.0, 2.0, 3.0]}"#, WAIT)
        .unwrap();
    let r = response_json(&o);
    assert_eq!(r["error"]["code"], "invalid_input", "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains('3'), "{r}");

    // Unknown event shape.
    let o = api
        .invoke(r#"{"Records": [{"eventSource": "aws:sqs"}]}"#, WAIT)
        .unwrap();
    assert_eq!(response_json(&o)["error"]["code"], "invalid_json");

    // An HTTP event with a bad body: status 400 from the error code.
    let o = api
        .invoke(v2_event(r#"{"features": [1]}"#, false).to_string(), WAIT)
        .unwrap();
    let r = response_json(&o);
    assert_eq!(r["statusCode"], 400, "{r}");

    // And the function still answers.
    let o = api
        .invoke(json!({"features": x}).to_string(), WAIT)
        .unwrap();
    assert!(response_json(&o)["prediction"].is_u64());

    assert!(api.polls() >= 8, "one poll per event: {}", api.polls());
    assert_eq!(
        api.next_outcome(Duration::from_millis(50)),
        None,
        "no stray requests"
    );
    assert!(
        p.wait_timeout(Duration::ZERO).unwrap().is_none(),
        "still running"
    );
    let log = stderr_of(p);
    assert!(
        log.contains("invalid_input") || log.contains("InvalidInput"),
        "{log}"
    );
}

#[test]
fn an_unreadable_model_is_reported_to_init_error_and_the_process_exits_non_zero() {
    let api = MockRuntimeApi::start().expect("mock runtime api");
    let mut cmd = bootstrap();
    cmd.env("REALIZAR_MODEL", "/nonexistent/realizar/model.safetensors");
    let mut p = FunctionProcess::spawn(cmd, &api).expect("spawn bootstrap");
    let o = api.next_outcome(WAIT).expect("an init error report");
    let Outcome::InitError { error_type, .. } = &o else {
        panic!("expected /init/error, got {o:?}")
    };
    assert_eq!(error_type.as_deref(), Some("Realizar.ModelLoadError"));
    let doc = o.json().unwrap();
    assert_eq!(doc["errorType"], "Realizar.ModelLoadError");
    let msg = doc["errorMessage"].as_str().unwrap();
    assert!(
        msg.contains("/nonexistent/realizar/model.safetensors"),
        "{msg}"
    );
    let status = p.wait_timeout(WAIT).unwrap().expect("the process exits");
    assert_eq!(status.code(), Some(1), "{status:?}");
    assert_eq!(api.polls(), 0, "no event is asked for after a failed init");
}

#[test]
fn a_corrupt_model_file_is_an_init_error_too() {
    let dir = std::env::temp_dir().join(format!("realizar-lambda-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("corrupt.safetensors");
    std::fs::write(&path, [0xffu8; 64]).unwrap();
    let api = MockRuntimeApi::start().expect("mock runtime api");
    let mut cmd = bootstrap();
    cmd.env("REALIZAR_MODEL", &path);
    let mut p = FunctionProcess::spawn(cmd, &api).expect("spawn bootstrap");
    let o = api.next_outcome(WAIT).expect("an init error report");
    assert!(matches!(o, Outcome::InitError { .. }), "{o:?}");
    let status = p.wait_timeout(WAIT).unwrap().expect("the process exits");
    assert!(!status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_model_from_realizar_model_is_served_under_its_file_stem() {
    let dir = std::env::temp_dir().join(format!("realizar-lambda-it2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("digits-v2.safetensors");
    std::fs::write(
        &path,
        realizar_lambda::model::embedded_model_bytes().unwrap(),
    )
    .unwrap();
    let mut api = MockRuntimeApi::start().expect("mock runtime api");
    let mut cmd = bootstrap();
    cmd.env("REALIZAR_MODEL", &path);
    let _p = FunctionProcess::spawn(cmd, &api).expect("spawn bootstrap");
    let x = features();
    let o = api
        .invoke(
            json!({"model_id": "digits-v2", "features": x}).to_string(),
            WAIT,
        )
        .unwrap();
    assert!(response_json(&o)["prediction"].is_u64());
    let o = api
        .invoke(
            json!({"model_id": "mnist-v1", "features": x}).to_string(),
            WAIT,
        )
        .unwrap();
    assert_eq!(response_json(&o)["error"]["code"], "model_not_found");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_lambda_variable_is_a_config_init_error_not_a_panic() {
    let api = MockRuntimeApi::start().expect("mock runtime api");
    let mut cmd = bootstrap();
    cmd.envs(api.lambda_env())
        .env_remove("AWS_LAMBDA_FUNCTION_NAME");
    let mut p = FunctionProcess::spawn_as_is(cmd).expect("spawn bootstrap");
    let o = api.next_outcome(WAIT).expect("an init error report");
    let Outcome::InitError { error_type, .. } = &o else {
        panic!("expected /init/error, got {o:?}")
    };
    assert_eq!(error_type.as_deref(), Some("Realizar.ConfigError"));
    assert!(
        o.json().unwrap()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("AWS_LAMBDA_FUNCTION_NAME")
    );
    let status = p.wait_timeout(WAIT).unwrap().expect("the process exits");
    assert_eq!(status.code(), Some(1), "exit 1, not a panic: {status:?}");
}

#[test]
fn without_a_runtime_api_the_process_says_so_and_exits_1() {
    let mut cmd = bootstrap();
    cmd.env_remove("AWS_LAMBDA_RUNTIME_API");
    let mut p = FunctionProcess::spawn_as_is(cmd).expect("spawn bootstrap");
    let status = p.wait_timeout(WAIT).unwrap().expect("the process exits");
    assert_eq!(status.code(), Some(1), "{status:?}");
    let log = stderr_of(p);
    assert!(log.contains("AWS_LAMBDA_RUNTIME_API"), "{log}");
}

#[test]
fn when_the_runtime_api_goes_away_the_process_exits() {
    let mut api = MockRuntimeApi::start().expect("mock runtime api");
    let mut p = FunctionProcess::spawn(bootstrap(), &api).expect("spawn bootstrap");
    let o = api
        .invoke(json!({"features": features()}).to_string(), WAIT)
        .unwrap();
    assert!(response_json(&o)["prediction"].is_u64());
    drop(api);
    let status = p.wait_timeout(WAIT).unwrap().expect("the process exits");
    assert!(!status.success(), "{status:?}");
}
