//! Errors: [`Error`] for what stops a server from starting or running, and
//! [`HttpError`], the JSON error answer of a request.

use std::net::SocketAddr;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use realizar_infer::api::{ApiError, ErrorBody, ErrorCode};

/// What can stop a server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable.
    #[error("invalid serve config: {0}")]
    Config(String),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A model could not be loaded at start-up.
    #[error("cannot load model '{id}': {message}")]
    Load {
        /// The model id.
        id: String,
        /// What the loader said.
        message: String,
    },
    /// The model cache refused its configuration.
    #[error("model cache: {0}")]
    Cache(#[from] realizar_cache::Error),
    /// The async runtime failed (e.g. a start-up task panicked).
    #[error("server runtime: {0}")]
    Runtime(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// A request's failure, sent as `{"error": {"code", "message"}}` with the
/// status of its [`ErrorCode`]: the prediction API's errors and the routing
/// failures (no such path, wrong method, not JSON) share one typed shape, so
/// a client deserializing [`ErrorBody`] understands every answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError(pub ApiError);

impl HttpError {
    /// An [`ApiError`] of `code`.
    pub fn api(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ApiError::new(code, message))
    }

    /// 404 for a path no route matches.
    pub fn route_not_found(path: &str) -> Self {
        Self::api(
            ErrorCode::NotFound,
            format!(
                "no route {path}; routes: GET /health, GET /ready, GET /models, GET /metrics, POST /predict, POST /predict/batch"
            ),
        )
    }

    /// 405 for a known path with another method.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::api(
            ErrorCode::MethodNotAllowed,
            format!("{method} is not allowed on {path} (see the Allow header)"),
        )
    }

    /// 415 for a body that is not declared as JSON.
    pub fn unsupported_media_type(found: Option<&HeaderValue>) -> Self {
        let found = match found.map(|v| v.to_str()) {
            Some(Ok(v)) => format!("'{v}'"),
            Some(Err(_)) => "a non-ASCII value".to_owned(),
            None => "no Content-Type".to_owned(),
        };
        Self::api(
            ErrorCode::UnsupportedMediaType,
            format!("expected Content-Type: application/json, got {found}"),
        )
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn body(&self) -> Vec<u8> {
        // Serializing two strings and an enum cannot fail; keep a valid
        // body anyway.
        serde_json::to_vec(&ErrorBody {
            error: self.0.clone(),
        })
        .unwrap_or_else(|_| br#"{"error":{"code":"internal","message":"error"}}"#.to_vec())
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut res = (status, self.body()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_and_route_errors_share_the_json_shape() {
        let api = HttpError::api(ErrorCode::InvalidInput, "expected 784 features, got 3");
        assert_eq!(api.status(), StatusCode::BAD_REQUEST);
        let v: serde_json::Value = serde_json::from_slice(&api.body()).unwrap();
        assert_eq!(v["error"]["code"], "invalid_input");
        assert_eq!(v["error"]["message"], "expected 784 features, got 3");

        let route = HttpError::route_not_found("/nope");
        assert_eq!(route.status(), StatusCode::NOT_FOUND);
        let v: serde_json::Value = serde_json::from_slice(&route.body()).unwrap();
        assert_eq!(v["error"]["code"], "not_found");
        assert!(v["error"]["message"].as_str().unwrap().contains("/nope"));
    }

    #[test]
    fn media_type_error_names_what_was_sent() {
        let v = HeaderValue::from_static("text/plain");
        let e = HttpError::unsupported_media_type(Some(&v));
        assert_eq!(e.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(e.to_string().contains("text/plain"), "{e}");
        assert!(
            HttpError::unsupported_media_type(None)
                .to_string()
                .contains("no Content-Type")
        );
    }
}
