//! `GET /health` (liveness) and `GET /ready` (readiness).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use realizar_infer::api::{HealthResponse, ReadyResponse};

use crate::state::AppState;

/// `GET /health`: 200 `{"status": "healthy", "version"}` whenever the
/// process answers, loaded models or not.
pub async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "healthy".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// `GET /ready`: 200 `{"ready": true, "models": [...]}` once every model is
/// loaded, 503 `{"ready": false, "models": []}` before.
pub async fn ready(State(app): State<Arc<AppState>>) -> (StatusCode, Json<ReadyResponse>) {
    if app.models.is_ready() {
        let models = app.models.ids();
        (
            StatusCode::OK,
            Json(ReadyResponse {
                ready: true,
                models,
            }),
        )
    } else {
        let body = ReadyResponse {
            ready: false,
            models: Vec::new(),
        };
        (StatusCode::SERVICE_UNAVAILABLE, Json(body))
    }
}
