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

use serde::{Deserialize, Serialize};

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
            Self::ModelNotFound => 404,
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
}
