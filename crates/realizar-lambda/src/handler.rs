//! The handler as a pure function: event JSON in, reply out. The bootstrap
//! only moves bytes between it and the Runtime API.

use crate::dispatch::{self, Kind};
use crate::http;
use crate::model::LambdaModel;
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlResponse;
use realizar_infer::api::{
    self, ApiError, BatchPredictRequest, BatchPredictResponse, ErrorBody, ErrorCode,
    PredictRequest, PredictResponse,
};
use serde::Serialize;

/// What the function returns for one event: for a direct invocation the
/// server's JSON (a prediction, a batch, or `{"error": {...}}`); for an
/// HTTP event the matching API Gateway / Function URL response, whose body
/// is that same JSON and whose status code comes from
/// [`ErrorCode::http_status`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Reply {
    /// Answer to a direct `{"features": [...]}`.
    Predict(PredictResponse),
    /// Answer to a direct `{"instances": [...]}`.
    Batch(BatchPredictResponse),
    /// A direct invocation that failed.
    Error(ErrorBody),
    /// Answer to an API Gateway REST API (payload v1) event.
    ApiGatewayV1(ApiGatewayProxyResponse),
    /// Answer to an API Gateway HTTP API (payload v2) event.
    ApiGatewayV2(ApiGatewayV2httpResponse),
    /// Answer to a Function URL event.
    FunctionUrl(LambdaFunctionUrlResponse),
}

impl Reply {
    /// The HTTP status this reply stands for: the status code of an HTTP
    /// response, else 200 or the error's [`ErrorCode::http_status`].
    pub fn status(&self) -> u16 {
        let code = match self {
            Self::Predict(_) | Self::Batch(_) => 200,
            Self::Error(e) => i64::from(e.error.code.http_status()),
            Self::ApiGatewayV1(r) => r.status_code,
            Self::ApiGatewayV2(r) => r.status_code,
            Self::FunctionUrl(r) => r.status_code,
        };
        u16::try_from(code).unwrap_or(500)
    }

    /// The error, when the reply is one (direct or inside an HTTP body).
    pub fn api_error(&self) -> Option<ApiError> {
        let body = match self {
            Self::Predict(_) | Self::Batch(_) => return None,
            Self::Error(e) => return Some(e.error.clone()),
            Self::ApiGatewayV1(r) => http::text(r.body.as_ref()),
            Self::ApiGatewayV2(r) => http::text(r.body.as_ref()),
            Self::FunctionUrl(r) => r.body.as_deref(),
        };
        if self.status() < 400 {
            return None;
        }
        serde_json::from_str::<ErrorBody>(body?)
            .ok()
            .map(|b| b.error)
    }

    /// The reply as JSON text (what the Runtime API receives).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| internal_json(&e))
    }
}

/// The answer to a predict or batch request: the body of a reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Payload {
    Predict(PredictResponse),
    Batch(BatchPredictResponse),
}

/// Handles one event: a direct predict or batch request, or an API
/// Gateway REST/HTTP or Function URL event carrying one in its body.
///
/// Never fails: bad input becomes an error reply (`invalid_json` for
/// unparsable or unknown shapes, `invalid_input` for unusable values,
/// `model_not_found` for a `model_id` this function does not serve).
pub fn handle_event(model: &LambdaModel, event: &str) -> Reply {
    let kind = match dispatch::event_kind(event.as_bytes()) {
        Ok(k) => k,
        Err(e) => return Reply::Error(e.into_body()),
    };
    match kind {
        Kind::Predict | Kind::Batch => match run(model, kind, event.as_bytes()) {
            Ok(Payload::Predict(r)) => Reply::Predict(r),
            Ok(Payload::Batch(r)) => Reply::Batch(r),
            Err(e) => Reply::Error(e.into_body()),
        },
        Kind::ApiGatewayV1 => http::api_gateway_v1(model, event),
        Kind::ApiGatewayV2 => http::api_gateway_v2(model, event),
        Kind::FunctionUrl => http::function_url(model, event),
    }
}

/// Runs a predict or batch request given as JSON bytes of `kind`.
pub(crate) fn run(model: &LambdaModel, kind: Kind, json: &[u8]) -> Result<Payload, ApiError> {
    match kind {
        Kind::Batch => {
            let req = BatchPredictRequest::from_json(json).map_err(dispatch::json_error)?;
            check_model_id(model, req.model_id.as_deref())?;
            api::predict_batch(model.model(), &req).map(Payload::Batch)
        }
        _ => {
            let req = PredictRequest::from_json(json).map_err(dispatch::json_error)?;
            check_model_id(model, req.model_id.as_deref())?;
            api::predict(model.model(), &req).map(Payload::Predict)
        }
    }
}

/// Runs a request body of either shape (for HTTP events).
pub(crate) fn run_body(model: &LambdaModel, body: &[u8]) -> Result<Payload, ApiError> {
    let kind = dispatch::body_kind(body)?;
    run(model, kind, body)
}

fn check_model_id(model: &LambdaModel, asked: Option<&str>) -> Result<(), ApiError> {
    match asked {
        Some(id) if id != model.id() => Err(ApiError::new(
            ErrorCode::ModelNotFound,
            format!("no model '{id}': this function serves '{}'", model.id()),
        )),
        _ => Ok(()),
    }
}

/// The body sent when a reply cannot be serialised (not expected: every
/// reply type serialises; kept so no path panics).
pub(crate) fn internal_json(e: &serde_json::Error) -> String {
    let body = ApiError::new(
        ErrorCode::Internal,
        format!("cannot serialise the reply: {e}"),
    )
    .into_body();
    serde_json::to_string(&body).unwrap_or_else(|_| {
        r#"{"error":{"code":"internal","message":"cannot serialise the reply"}}"#.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::sync::OnceLock;

    fn model() -> &'static LambdaModel {
        static M: OnceLock<LambdaModel> = OnceLock::new();
        M.get_or_init(|| LambdaModel::embedded().expect("embedded model"))
    }

    fn features(v: f32) -> Vec<f32> {
        vec![v; model().model().input_dim()]
    }

    fn reply(event: &Value) -> Value {
        serde_json::to_value(handle_event(model(), &event.to_string())).unwrap()
    }

    #[test]
    fn direct_predict_answers_like_the_server() {
        let r =
            reply(&json!({"features": features(0.5), "options": {"return_probabilities": true}}));
        assert!(r["prediction"].as_u64().unwrap() < 2, "{r}");
        let p = r["probabilities"].as_array().unwrap();
        let sum: f64 = p.iter().map(|x| x.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-5, "{r}");
        assert_eq!(r["model_version"], json!(model().model().version()));
        assert!(r["latency_ms"].as_f64().unwrap() >= 0.0);
    }

    #[test]
    fn the_reply_is_the_library_prediction() {
        let req = PredictRequest {
            model_id: None,
            features: features(0.25),
            options: None,
        };
        let expect = api::predict(model().model(), &req).unwrap();
        let got = handle_event(model(), &serde_json::to_string(&req).unwrap());
        let Reply::Predict(got) = got else {
            panic!("{got:?}")
        };
        assert_eq!(got.prediction, expect.prediction);
    }

    #[test]
    fn direct_batch_answers_one_prediction_per_instance() {
        let inst: Vec<Value> = [0.0, 0.5, 1.0]
            .iter()
            .map(|&v| json!({"features": features(v)}))
            .collect();
        let r = reply(&json!({"instances": inst}));
        assert_eq!(r["predictions"].as_array().unwrap().len(), 3, "{r}");
    }

    #[test]
    fn direct_errors_have_the_server_shape() {
        let r = reply(&json!({"features": [1.0, 2.0, 3.0]}));
        assert_eq!(r["error"]["code"], "invalid_input", "{r}");
        assert!(r["error"]["message"].as_str().unwrap().contains('3'), "{r}");

        let r = reply(&json!({"features": "nope"}));
        assert_eq!(r["error"]["code"], "invalid_json", "{r}");

        let r = reply(&json!({"instances": []}));
        assert_eq!(r["error"]["code"], "invalid_input", "{r}");

        let r = reply(&json!({"model_id": "other", "features": features(0.0)}));
        assert_eq!(r["error"]["code"], "model_not_found", "{r}");

        let r = reply(&json!({"something": "else"}));
        assert_eq!(r["error"]["code"], "invalid_json", "{r}");
        assert_eq!(r.as_object().unwrap().len(), 1, "only the error key: {r}");
    }

    #[test]
    fn a_named_model_id_equal_to_the_served_one_is_accepted() {
        let r = reply(&json!({"model_id": "mnist-v1", "features": features(0.0)}));
        assert!(r.get("prediction").is_some(), "{r}");
    }

    #[test]
    fn malformed_text_is_an_error_reply_not_a_panic() {
        for bad in ["", "{", "[1,2]", "null", "{\"features\": [1, 2,", "\u{0}"] {
            let r = handle_event(model(), bad);
            let e = r.api_error().unwrap_or_else(|| panic!("{bad:?} -> {r:?}"));
            assert_eq!(e.code, ErrorCode::InvalidJson);
            assert_eq!(r.status(), 400);
        }
    }

    #[test]
    fn status_and_error_of_replies() {
        let ok = handle_event(model(), &json!({"features": features(0.0)}).to_string());
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.api_error(), None);
        let bad = handle_event(model(), r#"{"features": [1]}"#);
        assert_eq!(bad.status(), 400);
        assert_eq!(bad.api_error().unwrap().code, ErrorCode::InvalidInput);
    }
}
