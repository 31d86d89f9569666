//! The one middleware every request passes: request id, in-flight gauge,
//! time limit, metrics and the access log.
//!
//! It is written as one function rather than a stack of tower-http layers
//! (request id, trace, timeout) because each layer costs a little on a
//! path that answers in tens of microseconds, and because tower-http's
//! timeout answers with an empty body where the API promises its JSON
//! error shape.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{self as http, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::gauge::Gauge;
use realizar_infer::api::ErrorCode;

use crate::error::HttpError;
use crate::metrics::Route;
use crate::state::AppState;

/// The request id header: taken from the request when present (and sane),
/// generated otherwise, and always sent back.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id that is kept as is.
const MAX_REQUEST_ID_LEN: usize = 128;

/// A new request id: 16 hex digits, a per-process random-ish prefix and a
/// counter, unique within the process and unlikely to repeat across
/// restarts.
fn new_request_id() -> HeaderValue {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let prefix = *PREFIX.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        // splitmix64 finaliser: spread the clock over all bits.
        let mut z = nanos ^ u64::from(std::process::id()).rotate_left(32);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) << 32
    });
    let n = prefix | (NEXT.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff);
    let mut buf = [0u8; 16];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in buf.iter_mut().enumerate() {
        *b = HEX[((n >> (60 - 4 * i)) & 0xf) as usize];
    }
    // 16 ASCII hex digits are always a valid header value.
    HeaderValue::from_bytes(&buf).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Whether a client's request id is kept: short, visible ASCII.
fn acceptable_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty() && b.len() <= MAX_REQUEST_ID_LEN && b.iter().all(|c| c.is_ascii_graphic())
}

/// Decrements the in-flight gauge when the request ends, however it ends
/// (a client that disconnects drops the request future).
struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    fn enter(g: &'a Gauge) -> Self {
        g.inc();
        Self(g)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The middleware (see the module docs).
pub async fn observe(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    observed(&app, req, |req| next.run(req)).await
}

/// What [`observe`] does around `handler`, for any request body type: the
/// router's middleware and the server's direct `POST /predict` path.
pub(crate) async fn observed<B, F, Fut>(
    app: &AppState,
    mut req: http::Request<B>,
    handler: F,
) -> Response
where
    F: FnOnce(http::Request<B>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let started = Instant::now();
    let route = Route::of_path(req.uri().path());
    let method = req.method().clone();
    let request_id = match req.headers().get(&X_REQUEST_ID) {
        Some(v) if acceptable_id(v) => v.clone(),
        _ => {
            let v = new_request_id();
            req.headers_mut().insert(X_REQUEST_ID.clone(), v.clone());
            v
        }
    };
    let in_flight = InFlight::enter(app.metrics.in_flight());
    let mut res = match tokio::time::timeout(app.request_timeout, handler(req)).await {
        Ok(res) => res,
        Err(_) => HttpError::api(
            ErrorCode::Timeout,
            format!(
                "request not completed within {} ms (body included)",
                app.request_timeout.as_millis()
            ),
        )
        .into_response(),
    };
    drop(in_flight);
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    app.metrics.record_request(route, status, elapsed);
    let id = request_id.to_str().unwrap_or("-");
    if status >= 500 {
        tracing::warn!(target: "realizar_serve::access", method = %method, route = route.label(), status, micros = elapsed.as_micros() as u64, request_id = id, "request");
    } else {
        tracing::debug!(target: "realizar_serve::access", method = %method, route = route.label(), status, micros = elapsed.as_micros() as u64, request_id = id, "request");
    }
    res.headers_mut().insert(X_REQUEST_ID.clone(), request_id);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_distinct_hex() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert!(a.to_str().unwrap().bytes().all(|c| c.is_ascii_hexdigit()));
        assert!(acceptable_id(&a));
    }

    #[test]
    fn odd_client_ids_are_replaced() {
        assert!(acceptable_id(&HeaderValue::from_static("abc-123")));
        assert!(!acceptable_id(&HeaderValue::from_static("")));
        assert!(!acceptable_id(&HeaderValue::from_static("has space")));
        let long = "x".repeat(MAX_REQUEST_ID_LEN + 1);
        assert!(!acceptable_id(&HeaderValue::from_str(&long).unwrap()));
    }
}
