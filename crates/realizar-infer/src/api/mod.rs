//! The request and response types of realizar's prediction API, shared by
//! the HTTP server (`realizar-serve`) and the AWS Lambda handler
//! (`realizar-lambda`), so both speak the same JSON. serde only: nothing
//! here links an HTTP stack.
//!
//! Wire format (field names are part of the public API):
//!
//! ```json
//! POST /predict        {"model_id": "mnist-v1", "features": [0.1, 0.2], "options": {"return_probabilities": true}}
//!                   -> {"prediction": 1, "probabilities": [0.2, 0.8], "latency_ms": 0.004, "model_version": "1.0.0"}
//! POST /predict/batch  {"model_id": "mnist-v1", "instances": [{"features": [0.1, 0.2]}]}
//!                   -> {"predictions": [1], "total_latency_ms": 0.01}
//! errors            -> {"error": {"code": "invalid_input", "message": "expected 784 features, got 3"}}
//! ```

use crate::model::ClassicalModel;
use serde::{Deserialize, Serialize};

mod json;

/// `POST /predict`: one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictRequest {
    /// The model to use; the server's default model when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The input vector (length = the model's input dimension).
    pub features: Vec<f32>,
    /// Optional output switches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<PredictOptions>,
}

/// Output switches of a prediction request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredictOptions {
    /// Also return the class probabilities.
    #[serde(default)]
    pub return_probabilities: bool,
}

/// The answer to [`PredictRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictResponse {
    /// The predicted class index.
    pub prediction: u32,
    /// Class probabilities (present when asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f32>>,
    /// Time spent in inference (validation + model), in milliseconds.
    pub latency_ms: f64,
    /// The version of the model that answered.
    pub model_version: String,
}

/// One sample of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The input vector.
    pub features: Vec<f32>,
}

/// `POST /predict/batch`: several samples for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPredictRequest {
    /// The model to use; the server's default model when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The samples (at least one).
    pub instances: Vec<Instance>,
    /// Optional output switches, applied to every sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<PredictOptions>,
}

/// The answer to [`BatchPredictRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPredictResponse {
    /// Predicted class index per instance, in order.
    pub predictions: Vec<u32>,
    /// Class probabilities per instance (present when asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<Vec<f32>>>,
    /// Time spent in inference for the whole batch, in milliseconds.
    pub total_latency_ms: f64,
    /// The version of the model that answered.
    pub model_version: String,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// Always `"healthy"` when the process answers.
    pub status: String,
    /// realizar's version.
    pub version: String,
}

/// `GET /ready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyResponse {
    /// Whether every configured model is loaded.
    pub ready: bool,
    /// Ids of the loaded models.
    pub models: Vec<String>,
}

/// One entry of `GET /models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The id requests use (`model_id`).
    pub id: String,
    /// The model type, e.g. `"logistic_regression"` or `"softmax_regression"`.
    pub model_type: String,
    /// The model's version string (from its file's metadata).
    pub version: String,
    /// Number of input features.
    pub input_dim: usize,
    /// Number of classes.
    pub n_classes: usize,
}

/// `GET /models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelsResponse {
    /// The loaded models.
    pub models: Vec<ModelInfo>,
}

/// What kind of failure an [`ApiError`] is; each maps to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The body is not valid JSON or not the expected shape (400).
    InvalidJson,
    /// Well-formed JSON with unusable values: wrong feature count, NaN or
    /// infinite values, an empty batch (400).
    InvalidInput,
    /// No model with that id (404).
    ModelNotFound,
    /// No route at that path (404).
    NotFound,
    /// The path exists but not with that method (405).
    MethodNotAllowed,
    /// The body is not declared as JSON (415).
    UnsupportedMediaType,
    /// The body is larger than the server accepts (413).
    PayloadTooLarge,
    /// The request took longer than the server's time limit (408).
    Timeout,
    /// The server is at its concurrency limit or not ready (503).
    Overloaded,
    /// A failure on the server's side (500); never caused by client input.
    Internal,
}

impl ErrorCode {
    /// The HTTP status code this error is sent with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidJson | Self::InvalidInput => 400,
            Self::ModelNotFound | Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::UnsupportedMediaType => 415,
            Self::PayloadTooLarge => 413,
            Self::Timeout => 408,
            Self::Overloaded => 503,
            Self::Internal => 500,
        }
    }
}

/// The error half of the API: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ApiError,
}

/// A failed request: a machine-readable code and a one-line message that
/// names the cause (e.g. "expected 784 features, got 3").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// The kind of failure.
    pub code: ErrorCode,
    /// What was wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// An error of `code` with `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The body to send: `{"error": {...}}`.
    pub fn into_body(self) -> ErrorBody {
        ErrorBody { error: self }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<crate::Error> for ApiError {
    /// Input errors (wrong length, NaN, overflow) become
    /// [`ErrorCode::InvalidInput`]; anything else [`ErrorCode::Internal`].
    fn from(e: crate::Error) -> Self {
        let code = if e.is_input_error() {
            ErrorCode::InvalidInput
        } else {
            ErrorCode::Internal
        };
        Self::new(code, e.to_string())
    }
}

/// Checks one feature vector's length against the model.
fn check_length(model: &ClassicalModel, features: &[f32]) -> Result<(), String> {
    let dim = model.input_dim();
    if features.len() == dim {
        Ok(())
    } else {
        Err(format!("expected {dim} features, got {}", features.len()))
    }
}

/// Checks one feature vector against the model: its length, then that
/// every value is finite. The message names the first problem and its index.
fn validate_features(model: &ClassicalModel, features: &[f32]) -> Result<(), String> {
    check_length(model, features)?;
    match features.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(format!(
            "feature {i} is {}, expected a finite number",
            features[i]
        )),
        None => Ok(()),
    }
}

/// Runs one sample: the class, and its probabilities when asked for.
fn run_one(
    model: &ClassicalModel,
    features: &[f32],
    probabilities: bool,
) -> crate::Result<(u32, Option<Vec<f32>>)> {
    if probabilities {
        let mut p = vec![0.0; model.n_classes()];
        model.predict_proba_into(features, &mut p)?;
        // The class is the first most probable one, as `predict` chooses.
        let class = model.predict(features)?;
        Ok((class, Some(p)))
    } else {
        Ok((model.predict(features)?, None))
    }
}

fn milliseconds(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Answers a [`PredictRequest`] with `model`: a wrong length, a NaN or an
/// infinity gives [`ErrorCode::InvalidInput`] with a message naming the
/// problem and its index; otherwise the prediction, the time spent
/// (checks included) and the model's version.
///
/// Only the length is checked before predicting: a non-finite feature
/// makes the model's score non-finite, and the model then names it (the
/// same message as the batch's check), so a valid sample is read once.
///
/// `req.model_id` is not looked at: choosing the model is the caller's job.
pub fn predict(model: &ClassicalModel, req: &PredictRequest) -> Result<PredictResponse, ApiError> {
    let start = std::time::Instant::now();
    check_length(model, &req.features).map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))?;
    let want_p = req.options.is_some_and(|o| o.return_probabilities);
    let (prediction, probabilities) = run_one(model, &req.features, want_p)?;
    let latency_ms = milliseconds(start.elapsed());
    Ok(PredictResponse {
        prediction,
        probabilities,
        latency_ms,
        model_version: model.version().to_string(),
    })
}

/// Answers a [`BatchPredictRequest`] with `model`: an empty batch, or any
/// instance with the wrong length or a non-finite value, gives
/// [`ErrorCode::InvalidInput`] with a message naming the instance
/// (`"instance 3: expected 784 features, got 2"`). Nothing is predicted
/// unless every instance is valid.
pub fn predict_batch(
    model: &ClassicalModel,
    req: &BatchPredictRequest,
) -> Result<BatchPredictResponse, ApiError> {
    let start = std::time::Instant::now();
    if req.instances.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            "instances must hold at least one instance",
        ));
    }
    for (i, inst) in req.instances.iter().enumerate() {
        validate_features(model, &inst.features)
            .map_err(|m| ApiError::new(ErrorCode::InvalidInput, format!("instance {i}: {m}")))?;
    }
    let want_p = req.options.is_some_and(|o| o.return_probabilities);
    let mut predictions = Vec::with_capacity(req.instances.len());
    let mut probabilities = want_p.then(|| Vec::with_capacity(req.instances.len()));
    for (i, inst) in req.instances.iter().enumerate() {
        let (class, p) = run_one(model, &inst.features, want_p).map_err(|e| {
            let e = ApiError::from(e);
            ApiError::new(e.code, format!("instance {i}: {}", e.message))
        })?;
        predictions.push(class);
        if let (Some(all), Some(p)) = (probabilities.as_mut(), p) {
            all.push(p);
        }
    }
    Ok(BatchPredictResponse {
        predictions,
        probabilities,
        total_latency_ms: milliseconds(start.elapsed()),
        model_version: model.version().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predict_request_accepts_the_minimal_form() {
        let r: PredictRequest = serde_json::from_str(r#"{"features": [1.0, 2.5]}"#).unwrap();
        assert_eq!(r.features, vec![1.0, 2.5]);
        assert_eq!(r.model_id, None);
        assert_eq!(r.options, None);
    }

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ApiError::new(ErrorCode::ModelNotFound, "no model 'x'").into_body();
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(
            json,
            r#"{"error":{"code":"model_not_found","message":"no model 'x'"}}"#
        );
        assert_eq!(ErrorCode::ModelNotFound.http_status(), 404);
    }

    #[test]
    fn probabilities_are_omitted_unless_present() {
        let r = PredictResponse {
            prediction: 1,
            probabilities: None,
            latency_ms: 0.5,
            model_version: "1".into(),
        };
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("probabilities"), "{json}");
    }

    fn model() -> ClassicalModel {
        crate::model::LogisticRegression::new(&[1.0, -1.0, 0.5], 0.0)
            .unwrap()
            .with_version("2.1.0")
            .into()
    }

    #[test]
    fn predict_answers_with_version_and_optional_probabilities() {
        let m = model();
        let req: PredictRequest = serde_json::from_str(r#"{"features": [2.0, 0.0, 0.0]}"#).unwrap();
        let r = predict(&m, &req).unwrap();
        assert_eq!((r.prediction, r.probabilities.clone()), (1, None));
        assert_eq!(r.model_version, "2.1.0");
        assert!(r.latency_ms >= 0.0 && r.latency_ms.is_finite());
        let req = PredictRequest {
            options: Some(PredictOptions {
                return_probabilities: true,
            }),
            features: vec![0.0, 2.0, 0.0],
            model_id: None,
        };
        let r = predict(&m, &req).unwrap();
        assert_eq!(r.prediction, 0);
        let p = r.probabilities.unwrap();
        assert!((p[0] - 0.880_797).abs() < 1e-6 && (p[0] + p[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn predict_rejects_bad_features_with_named_causes() {
        let m = model();
        let bad = |features: Vec<f32>| {
            let req = PredictRequest {
                model_id: None,
                features,
                options: None,
            };
            predict(&m, &req).unwrap_err()
        };
        let e = bad(vec![1.0]);
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.message, "expected 3 features, got 1");
        assert_eq!(
            bad(vec![0.0, f32::NAN, 1.0]).message,
            "feature 1 is NaN, expected a finite number"
        );
        assert_eq!(
            bad(vec![0.0, 1.0, f32::INFINITY]).message,
            "feature 2 is inf, expected a finite number"
        );
        // Huge but finite values are valid input.
        let req = PredictRequest {
            model_id: None,
            features: vec![f32::MAX, -f32::MAX, 0.0],
            options: None,
        };
        assert_eq!(predict(&m, &req).unwrap().prediction, 1);
    }

    #[test]
    fn batch_predicts_in_order_and_names_the_bad_instance() {
        let m = model();
        let inst = |f: &[f32]| Instance {
            features: f.to_vec(),
        };
        let mut req = BatchPredictRequest {
            model_id: None,
            instances: vec![
                inst(&[1.0, 0.0, 0.0]),
                inst(&[0.0, 1.0, 0.0]),
                inst(&[0.0, 0.0, 1.0]),
            ],
            options: None,
        };
        let r = predict_batch(&m, &req).unwrap();
        assert_eq!(r.predictions, vec![1, 0, 1]);
        assert_eq!(r.probabilities, None);
        assert_eq!(r.model_version, "2.1.0");
        req.options = Some(PredictOptions {
            return_probabilities: true,
        });
        let r = predict_batch(&m, &req).unwrap();
        let p = r.probabilities.unwrap();
        assert_eq!(p.len(), 3);
        assert!(p.iter().all(|p| p.len() == 2));

        req.instances.push(inst(&[1.0]));
        let e = predict_batch(&m, &req).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                ErrorCode::InvalidInput,
                "instance 3: expected 3 features, got 1"
            )
        );
        req.instances[3] = inst(&[0.0, f32::NEG_INFINITY, 0.0]);
        assert_eq!(
            predict_batch(&m, &req).unwrap_err().message,
            "instance 3: feature 1 is -inf, expected a finite number"
        );
        req.instances.clear();
        assert_eq!(
            predict_batch(&m, &req).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn model_errors_map_to_codes() {
        let input = ApiError::from(crate::Error::Dimension {
            expected: 784,
            found: 3,
        });
        assert_eq!(
            (input.code, input.message.as_str()),
            (ErrorCode::InvalidInput, "expected 784 features, got 3")
        );
        let internal = ApiError::from(crate::Error::MissingTensor {
            tensor: "weight".into(),
        });
        assert_eq!(internal.code, ErrorCode::Internal);
    }
}
