//! Answers for requests no handler takes: unknown paths (404) and known
//! paths with another method (405), in the API's JSON error shape.

use axum::http::{Method, Uri};

use crate::error::HttpError;

/// 404 `not_found` for a path no route matches.
pub async fn not_found(uri: Uri) -> HttpError {
    HttpError::route_not_found(uri.path())
}

/// 405 `method_not_allowed` for a known path (axum adds `Allow`).
pub async fn method_not_allowed(method: Method, uri: Uri) -> HttpError {
    HttpError::method_not_allowed(method.as_str(), uri.path())
}
