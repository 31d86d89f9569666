//! `POST /predict` and `POST /predict/batch`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use realizar_infer::api::{
    self, BatchPredictRequest, BatchPredictResponse, PredictRequest, PredictResponse,
};

use crate::error::HttpError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// `POST /predict`: one sample through the named (or default) model.
///
/// # Errors
/// 400 for a bad body or features, 404 for an unknown model, 503 while the
/// models load.
pub async fn predict(
    State(app): State<Arc<AppState>>,
    JsonBody(req): JsonBody<PredictRequest>,
) -> Result<Json<PredictResponse>, HttpError> {
    let entry = app.models.entry(req.model_id.as_deref())?;
    let model = app.models.model(entry).await?;
    let started = Instant::now();
    let res = api::predict(&model, &req)?;
    entry.inference.observe(started.elapsed());
    Ok(Json(res))
}

/// `POST /predict/batch`: several samples through one model.
///
/// # Errors
/// As [`predict`], plus 400 for an empty batch.
pub async fn predict_batch(
    State(app): State<Arc<AppState>>,
    JsonBody(req): JsonBody<BatchPredictRequest>,
) -> Result<Json<BatchPredictResponse>, HttpError> {
    let entry = app.models.entry(req.model_id.as_deref())?;
    let model = app.models.model(entry).await?;
    let started = Instant::now();
    let res = api::predict_batch(&model, &req)?;
    entry.inference.observe(started.elapsed());
    Ok(Json(res))
}
