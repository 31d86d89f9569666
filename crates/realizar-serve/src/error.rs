//! Errors: [`Error`] for what stops a server from starting or running, and
//! [`HttpError`], the JSON error answer of a request.

use std::net::SocketAddr;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use realizar_infer::api::{ApiError, ErrorBody, ErrorCode};
use serde::Serialize;

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
/// matching status. The prediction API's [`ApiError`] covers what a
/// prediction can get wrong; the routing failures (no such path, wrong
/// method, not JSON) have codes of their own in the same shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// A prediction API error (status from [`ErrorCode::http_status`]).
    Api(ApiError),
    /// A routing-level error.
    Route {
        /// The status to send.
        status: StatusCode,
        /// The machine-readable code, snake_case.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl HttpError {
    /// An [`ApiError`] of `code`.
    pub fn api(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Api(ApiError::new(code, message))
    }

    /// 404 for a path no route matches.
    pub fn route_not_found(path: &str) -> Self {
        Self::Route {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!(
                "no route {path}; routes: GET /health, GET /ready, GET /models, GET /metrics, POST /predict, POST /predict/batch"
            ),
        }
    }

    /// 405 for a known path with another method.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::Route {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            message: format!("{method} is not allowed on {path} (see the Allow header)"),
        }
    }

    /// 415 for a body that is not declared as JSON.
    pub fn unsupported_media_type(found: Option<&HeaderValue>) -> Self {
        let found = match found.map(|v| v.to_str()) {
            Some(Ok(v)) => format!("'{v}'"),
            Some(Err(_)) => "a non-ASCII value".to_owned(),
            None => "no Content-Type".to_owned(),
        };
        Self::Route {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: format!("expected Content-Type: application/json, got {found}"),
        }
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Api(e) => StatusCode::from_u16(e.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Self::Route { status, .. } => *status,
        }
    }

    fn body(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct RouteBody<'a> {
            error: RouteError<'a>,
        }
        #[derive(Serialize)]
        struct RouteError<'a> {
            code: &'a str,
            message: &'a str,
        }
        let json = match self {
            Self::Api(e) => serde_json::to_vec(&ErrorBody { error: e.clone() }),
            Self::Route { code, message, .. } => serde_json::to_vec(&RouteBody {
                error: RouteError { code, message },
            }),
        };
        // Serializing two strings and an enum cannot fail; keep a valid
        // body anyway.
        json.unwrap_or_else(|_| br#"{"error":{"code":"internal","message":"error"}}"#.to_vec())
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api(e) => e.fmt(f),
            Self::Route { code, message, .. } => write!(f, "{code}: {message}"),
        }
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
