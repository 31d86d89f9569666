//! The router: routes, fallbacks, concurrency limit and the
//! request middleware.

use std::sync::Arc;

use axum::error_handling::HandleErrorLayer;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{BoxError, Router, middleware};
use realizar_infer::api::ErrorCode;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;

use crate::error::HttpError;
use crate::routes::{fallback, health, metrics, models, predict};
use crate::state::AppState;

/// The 503 answer of a prediction past the concurrency limit.
pub(crate) fn overloaded(max_concurrency: usize) -> axum::response::Response {
    let e = HttpError::api(
        ErrorCode::Overloaded,
        format!("server busy: {max_concurrency} predictions in flight; retry shortly"),
    );
    ([(header::RETRY_AFTER, HeaderValue::from_static("1"))], e).into_response()
}

/// The server's routes over `state`:
///
/// - `GET /health`, `GET /ready`, `GET /models`, `GET /metrics`;
/// - `POST /predict`, `POST /predict/batch`, at most `max_concurrency` at
///   once: a request past that is answered 503 `overloaded` at once (load
///   shedding, no queue), so the limit is backpressure and never a growing
///   backlog. Probes and metrics stay outside the limit;
/// - other paths 404 and other methods 405, in the JSON error shape.
///
/// Every request passes one middleware: request id, time limit, metrics
/// and the access log. The limit is the state's `predict_permits`
/// (`max_concurrency` of the config), which the server's direct
/// `POST /predict` path shares.
pub fn router(state: Arc<AppState>) -> Router {
    let max_concurrency = state.max_concurrency;
    let limit = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(move |_: BoxError| async move {
            overloaded(max_concurrency)
        }))
        .layer(LoadShedLayer::new())
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(Arc::clone(
            &state.predict_permits,
        )));
    let predictions = Router::new()
        .route("/predict", post(predict::predict))
        .route("/predict/batch", post(predict::predict_batch))
        .route_layer(limit);
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/models", get(models::models))
        .route("/metrics", get(metrics::metrics))
        .merge(predictions)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .fallback(fallback::not_found)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            crate::middleware::observe,
        ))
        .with_state(state)
}
