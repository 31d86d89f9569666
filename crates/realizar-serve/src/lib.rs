//! # realizar-serve
//!
//! The realizar model server: classical models (logistic and softmax
//! regression saved as `.safetensors`) behind an HTTP/1.1 JSON API, built
//! on axum 0.8 and hyper on tokio. The `realizar serve` subcommand is a
//! thin shell over this crate; benchmarks and tests start the same server
//! in-process through [`Server`] or [`serve`].
//!
//! ## Endpoints
//!
//! | route | answer |
//! |---|---|
//! | `GET /health` | 200 `{"status": "healthy", "version"}` while the process runs (liveness) |
//! | `GET /ready` | 503 until every model is loaded, then 200 `{"ready": true, "models": [...]}` (readiness) |
//! | `POST /predict` | `{"model_id"?, "features", "options"?}` -> `{"prediction", "probabilities"?, "latency_ms", "model_version"}` |
//! | `POST /predict/batch` | `{"model_id"?, "instances": [{"features"}...]}` -> `{"predictions", "total_latency_ms", ...}` |
//! | `GET /models` | the loaded models: id, type, version, input dimension, classes |
//! | `GET /metrics` | Prometheus / OpenMetrics text (requests, latency histograms, model cache, in-flight, build info) |
//!
//! The request and response types are `realizar_infer::api`'s, which the
//! AWS Lambda handler shares. Every failure is JSON
//! `{"error": {"code", "message"}}`: 400 for bad JSON, wrong feature
//! counts, non-finite values and empty batches; 404 for unknown models and
//! paths; 405, 408 (time limit, body reading included), 413 (body limit,
//! checked while the body streams in), 415 (not JSON), 503 (over the
//! concurrency limit, or models still loading). Client input never causes
//! a 500.
//!
//! ## Why it is shaped so
//!
//! A prediction on the demo model takes about a microsecond; the server
//! around it must not cost much more than parsing the JSON. So the request
//! path holds no lock but the model cache's read lock, metric label sets
//! are resolved once at start-up, the histograms are lock-free, one
//! middleware does what a stack of layers would, and the concurrency limit
//! sheds load (503) instead of queueing. The socket is bound before the
//! models load, so orchestrators see `/health` at once and `/ready` turn
//! from 503 to 200.
//!
//! ## Example
//!
//! Serve the demo model on a free port until Ctrl-C or SIGTERM:
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use realizar_serve::{ServeConfig, Server, shutdown_signal};
//!
//! # async fn run() -> realizar_serve::Result<()> {
//! let config = ServeConfig::default()
//!     .with_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
//!     .with_demo(); // or .with_model("mnist-v1", "model.safetensors")
//! let server = Server::bind(config).await?;
//! println!("listening on http://{}", server.local_addr());
//! server.run(shutdown_signal()).await
//! # }
//! ```
//!
//! A configuration is checked before anything is bound:
//!
//! ```
//! use realizar_serve::ServeConfig;
//!
//! assert!(ServeConfig::default().validate().is_err()); // no model
//! let config = ServeConfig::default().with_model("a", "a.safetensors");
//! assert!(config.validate().is_ok());
//! assert_eq!(config.max_body_bytes, 1 << 20);
//! ```
#![warn(missing_docs)]

mod app;
mod config;
mod error;
mod extract;
pub mod metrics;
mod middleware;
mod routes;
mod server;
mod signal;
mod state;

pub use app::router;
pub use config::{DEMO_MODEL_ID, ModelLoader, ModelSource, ModelSpec, ServeConfig};
pub use error::{Error, HttpError, Result};
pub use middleware::X_REQUEST_ID;
pub use routes::metrics::OPENMETRICS_CONTENT_TYPE;
pub use server::{Server, serve};
pub use signal::shutdown_signal;
pub use state::{AppState, ModelEntry, ModelStore};
