//! `POST /predict` and `POST /predict/batch`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::HttpBody;
use axum::extract::State;
use axum::http;
use axum::response::{IntoResponse, Response};
use realizar_infer::api::{
    self, BatchPredictRequest, BatchPredictResponse, PredictRequest, PredictResponse,
};

use crate::error::HttpError;
use crate::extract::{JsonBody, read_json};
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
    answer(&app, &req).await.map(Json)
}

/// One sample through the named (or default) model, its inference time
/// recorded: the body of both `/predict` paths.
async fn answer(app: &AppState, req: &PredictRequest) -> Result<PredictResponse, HttpError> {
    let entry = app.models.entry(req.model_id.as_deref())?;
    let model = app.models.model(entry).await?;
    let started = Instant::now();
    let res = api::predict(&model, req)?;
    entry.inference.observe(started.elapsed());
    Ok(res)
}

/// `POST /predict` straight from the server's connection (no router): the
/// same answer as [`predict`] behind the router's middleware and limit,
/// including the request id, metrics, time limit and access log.
pub async fn predict_direct<B>(app: Arc<AppState>, req: http::Request<B>) -> Response
where
    B: HttpBody,
    B::Error: Into<axum::BoxError>,
{
    let state = Arc::clone(&app);
    crate::middleware::observed(&app, req, |req| async move {
        // As the router's load shedding: past the limit, 503 at once.
        let Ok(_permit) = Arc::clone(&state.predict_permits).try_acquire_owned() else {
            return crate::app::overloaded(state.max_concurrency);
        };
        let res = async {
            let req: PredictRequest = read_json(req, state.max_body_bytes).await?;
            answer(&state, &req).await.map(Json)
        };
        res.await.into_response()
    })
    .await
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
