//! The bootstrap's life: check the environment, load the model (reporting a
//! failure through the Runtime API's `/init/error`), then hand each event to
//! [`handle_event`] through `lambda_runtime`.

use crate::error::{Error, Result};
use crate::handler::handle_event;
use crate::model::LambdaModel;
use aws_lambda_events::http::Uri;
use lambda_runtime::{LambdaEvent, service_fn};
use lambda_runtime_api_client::body::Body;
use serde_json::value::RawValue;
use std::time::Duration;

/// The Runtime API's address (`host:port`), set by the Lambda service.
pub const RUNTIME_API_ENV: &str = "AWS_LAMBDA_RUNTIME_API";

/// Variables `lambda_runtime` requires besides [`RUNTIME_API_ENV`]; checked
/// up front so their absence is an error report, not a panic.
pub const REQUIRED_ENV: [&str; 3] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// The `errorType` sent to `/init/error` for a model that cannot be loaded.
pub const MODEL_LOAD_ERROR: &str = "Realizar.ModelLoadError";
/// The `errorType` sent to `/init/error` for a missing or bad variable.
pub const CONFIG_ERROR: &str = "Realizar.ConfigError";

/// Time allowed for the `/init/error` report.
const REPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the function: returns only on failure (the runtime loop serves
/// events until the process is stopped). An init failure has already been
/// reported to `/init/error` when this returns it.
pub async fn run() -> std::result::Result<(), lambda_runtime::Error> {
    let api = std::env::var(RUNTIME_API_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or(Error::MissingEnv(RUNTIME_API_ENV))?;
    let model = match check_env().and_then(|()| LambdaModel::from_env()) {
        Ok(m) => m,
        Err(e) => {
            let kind = match e {
                Error::MissingEnv(_) | Error::BadEnv { .. } => CONFIG_ERROR,
                _ => MODEL_LOAD_ERROR,
            };
            if let Err(report) = report_init_error(&api, kind, &e.to_string()).await {
                eprintln!("realizar-lambda: {report}");
            }
            return Err(e.into());
        }
    };
    let model = &model;
    let handler = service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let reply = handle_event(model, event.payload.get());
        if let Some(e) = reply.api_error() {
            eprintln!(
                "realizar-lambda: request {}: {} {:?}: {}",
                event.context.request_id,
                reply.status(),
                e.code,
                e.message
            );
        }
        std::future::ready(Ok::<_, std::convert::Infallible>(reply))
    });
    lambda_runtime::Runtime::new(handler).run().await
}

/// Checks the variables `lambda_runtime` would otherwise panic on.
fn check_env() -> Result<()> {
    for name in REQUIRED_ENV {
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => {}
            _ => return Err(Error::MissingEnv(name)),
        }
    }
    let memory = std::env::var(REQUIRED_ENV[1]).unwrap_or_default();
    if memory.parse::<i32>().is_err() {
        return Err(Error::BadEnv {
            name: REQUIRED_ENV[1],
            value: memory,
            expected: "a whole number of megabytes",
        });
    }
    Ok(())
}

/// Tells the Runtime API at `api` (`host:port`) that init failed:
/// `POST /2018-06-01/runtime/init/error` with the documented body
/// `{"errorMessage", "errorType", "stackTrace"}`.
pub async fn report_init_error(api: &str, error_type: &str, message: &str) -> Result<()> {
    let fail = |reason: String| Error::Report {
        endpoint: api.to_string(),
        reason,
    };
    let base: Uri = format!("http://{api}")
        .parse()
        .map_err(|e| fail(format!("not a host:port: {e}")))?;
    let client = lambda_runtime_api_client::Client::builder()
        .with_endpoint(base)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let body = serde_json::json!({
        "errorMessage": message,
        "errorType": error_type,
        "stackTrace": [],
    });
    let req = lambda_runtime_api_client::build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", error_type)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .map_err(|e| fail(e.to_string()))?;
    let resp = tokio::time::timeout(REPORT_TIMEOUT, client.call(req))
        .await
        .map_err(|_| fail(format!("no answer within {REPORT_TIMEOUT:?}")))?
        .map_err(|e| fail(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(fail(format!("status {}", resp.status())));
    }
    Ok(())
}
