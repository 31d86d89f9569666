//! `GET /models`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use realizar_infer::api::ModelsResponse;

use crate::state::AppState;

/// `GET /models`: the loaded models (id, type, version, input dimension,
/// classes), in configuration order; empty until they are loaded.
pub async fn models(State(app): State<Arc<AppState>>) -> Json<ModelsResponse> {
    Json(ModelsResponse {
        models: app.models.infos(),
    })
}
