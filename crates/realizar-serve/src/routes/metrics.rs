//! `GET /metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use realizar_infer::api::ErrorCode;

use crate::error::HttpError;
use crate::state::AppState;

/// The content type of the OpenMetrics text format that Prometheus scrapes.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics`: every metric in the OpenMetrics text format.
pub async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    match app.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(OPENMETRICS_CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        Err(_) => HttpError::api(ErrorCode::Internal, "cannot encode the metrics").into_response(),
    }
}
