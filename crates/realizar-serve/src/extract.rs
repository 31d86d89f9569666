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

use axum::body::HttpBody;
use axum::extract::{FromRequest, Request};
use axum::http::{self as http, HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
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
        read_json(req, state.max_body_bytes).await.map(JsonBody)
    }
}

/// Reads a JSON request of type `T` from `req` (any body type), with the
/// errors of the table above: the one reader of the router's [`JsonBody`]
/// and the server's direct `POST /predict` path.
///
/// # Errors
/// 415, 413 or 400 as in the module's table.
pub async fn read_json<T, B>(req: http::Request<B>, limit: usize) -> Result<T, HttpError>
where
    T: FromJson,
    B: HttpBody,
    B::Error: Into<axum::BoxError>,
{
    if !is_json(req.headers()) {
        return Err(HttpError::unsupported_media_type(
            req.headers().get(header::CONTENT_TYPE),
        ));
    }
    // A declared length over the limit is refused before reading a byte.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    // A chunked body (or one longer than declared) stops at the limit too.
    let bytes = match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return Err(too_large(limit)),
        Err(e) => {
            return Err(HttpError::api(
                ErrorCode::InvalidJson,
                format!("cannot read the request body: {e}"),
            ));
        }
    };
    T::from_json(&bytes)
        .map_err(|e| HttpError::api(ErrorCode::InvalidJson, format!("invalid JSON body: {e}")))
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
