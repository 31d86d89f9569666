//! [`JsonBody`]: axum's JSON extraction with the server's own errors.
//!
//! axum's `Json` rejects with plain-text bodies; every failure here is a
//! [`HttpError`] in the API's JSON shape instead:
//!
//! | problem | status | code |
//! |---|---|---|
//! | `Content-Type` absent or not JSON | 415 | `unsupported_media_type` |
//! | body over the limit (by `Content-Length`, or while streaming) | 413 | `payload_too_large` |
//! | body not readable (client went away, bad chunking) | 400 | `invalid_json` |
//! | not JSON, or not the expected shape | 400 | `invalid_json` |

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use realizar_infer::api::{BatchPredictRequest, ErrorCode, PredictRequest};

use crate::error::HttpError;
use crate::state::AppState;

/// A JSON request body of type `T`, rejected with [`HttpError`]s.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

/// A request type read from a JSON body.
pub trait FromJson: Sized {
    /// Parses `body`, with `serde_json`'s errors.
    ///
    /// # Errors
    /// Not JSON, or not this type's shape.
    fn from_json(body: &[u8]) -> Result<Self, serde_json::Error>;
}

/// The request types come with a fast path for their usual shape
/// (`realizar_infer::api`'s `from_json`), equal to `serde_json`'s result.
impl FromJson for PredictRequest {
    fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        PredictRequest::from_json(body)
    }
}

impl FromJson for BatchPredictRequest {
    fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        BatchPredictRequest::from_json(body)
    }
}

/// Whether `Content-Type` says JSON: `application/json` or
/// `application/<anything>+json`, parameters (charset) allowed.
pub fn is_json(headers: &HeaderMap) -> bool {
    let Some(v) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(v) = v.to_str() else {
        return false;
    };
    let essence = v.split(';').next().unwrap_or("").trim();
    let Some((ty, sub)) = essence.split_once('/') else {
        return false;
    };
    ty.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json"))
}

fn too_large(limit: usize) -> HttpError {
    HttpError::api(
        ErrorCode::PayloadTooLarge,
        format!("request body is larger than the limit of {limit} bytes"),
    )
}

impl<T: FromJson> FromRequest<Arc<AppState>> for JsonBody<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, HttpError> {
        if !is_json(req.headers()) {
            return Err(HttpError::unsupported_media_type(
                req.headers().get(header::CONTENT_TYPE),
            ));
        }
        let limit = state.max_body_bytes;
        // A declared length over the limit is refused before reading a byte.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large(limit));
        }
        // `Bytes` reads through the `DefaultBodyLimit` set on the router,
        // so a chunked body stops at the limit too.
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large(limit)
            } else {
                HttpError::api(
                    ErrorCode::InvalidJson,
                    format!("cannot read the request body: {}", e.body_text()),
                )
            }
        })?;
        T::from_json(&bytes)
            .map(JsonBody)
            .map_err(|e| HttpError::api(ErrorCode::InvalidJson, format!("invalid JSON body: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_type(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(v));
        h
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json(&with_type("application/json")));
        assert!(is_json(&with_type("Application/JSON; charset=utf-8")));
        assert!(is_json(&with_type("application/vnd.api+json")));
        assert!(!is_json(&with_type("text/plain")));
        assert!(!is_json(&with_type("application/x-www-form-urlencoded")));
        assert!(!is_json(&with_type("application/+json")));
        assert!(!is_json(&with_type("json")));
        assert!(!is_json(&HeaderMap::new()));
    }
}
