//! # realizar-lambda
//!
//! realizar's models on AWS Lambda, started in milliseconds.
//!
//! A Lambda custom runtime (`provided.al2023`) is an executable called
//! `bootstrap` that asks the Lambda Runtime API for events over HTTP and
//! posts back answers. This crate's `bootstrap` is a Rust binary of a few
//! megabytes with the model inside it (a safetensors file embedded at build
//! time) or next to it (`REALIZAR_MODEL`, e.g. a layer under `/opt`), so a
//! cold start is a process start plus a model parse: no interpreter, no
//! framework import, no download.
//!
//! The work is one pure function, [`handle_event`]: event JSON in, [`Reply`]
//! out. It speaks the same JSON as realizar's server (the shared types of
//! [`realizar_infer::api`]), for two kinds of event, told apart by their
//! keys:
//!
//! - direct invocations: `{"features": [...]}` as the server's `/predict`,
//!   `{"instances": [...]}` as its `/predict/batch`; errors come back as the
//!   server's `{"error": {"code", "message"}}`;
//! - API Gateway REST (payload v1), HTTP API (payload v2) and Function URL
//!   events whose body (base64 or not) is one of those requests; the answer
//!   is the matching HTTP response with the status of
//!   [`ErrorCode::http_status`](realizar_infer::api::ErrorCode::http_status).
//!
//! Bad input never panics and never stops the function: it becomes an error
//! reply and the runtime goes on to the next event. A model that cannot be
//! loaded is reported to the Runtime API's `/init/error` and the process
//! exits non-zero ([`runtime::run`]).
//!
//! The bootstrap stays lean: a current-thread tokio runtime, `lambda_runtime`
//! and `aws_lambda_events` without default features, no HTTP server code, its
//! own Cargo profile (`release-lambda`: fat LTO, one codegen unit, abort on
//! panic, stripped). `cargo xtask lambda-build`
//! builds and zips it; `docs/src/lambda.md` covers deployment.
//!
//! ```
//! use realizar_lambda::{LambdaModel, handle_event};
//!
//! // The model embedded at build time (models/mnist-v1.safetensors): 784 -> 2.
//! let model = LambdaModel::embedded()?;
//! let event = serde_json::json!({"features": vec![0.5; 784]}).to_string();
//! let reply = serde_json::to_value(handle_event(&model, &event))?;
//! assert!(reply["prediction"].as_u64().unwrap() < 2);
//!
//! // Errors have the server's shape.
//! let reply = serde_json::to_value(handle_event(&model, r#"{"features": [1.0]}"#))?;
//! assert_eq!(reply["error"]["code"], "invalid_input");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod dispatch;
pub mod error;
mod handler;
mod http;
#[cfg(feature = "mock-runtime")]
pub mod mock;
pub mod model;
pub mod runtime;
mod scan;

pub use error::{Error, Result};
pub use handler::{Reply, handle_event};
pub use model::{LambdaModel, ModelSource};
