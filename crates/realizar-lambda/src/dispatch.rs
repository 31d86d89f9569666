//! Which kind of event arrived, told from the keys present (untagged
//! dispatch on the shape), with a scan that parses no values
//! ([`crate::scan`]).
//!
//! | keys present                                   | kind                     |
//! |------------------------------------------------|--------------------------|
//! | `features`                                     | direct `/predict`        |
//! | `instances`                                    | direct `/predict/batch`  |
//! | `requestContext` + `httpMethod`                | API Gateway REST (v1)    |
//! | `requestContext.http`, domain `*.lambda-url.*` | Function URL             |
//! | `requestContext.http`                          | API Gateway HTTP (v2)    |
//!
//! `features` and `instances` together are refused: the request means two
//! different things.

use crate::scan;
use realizar_infer::api::{ApiError, ErrorCode};
use serde::de::IgnoredAny;

/// The kind of an event (or of an HTTP body: only the first two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Predict,
    Batch,
    ApiGatewayV1,
    ApiGatewayV2,
    FunctionUrl,
}

/// The keys that tell the kinds apart.
#[derive(Debug, Default)]
struct Probe {
    features: bool,
    instances: bool,
    http_method: bool,
    request_context: Option<ContextProbe>,
}

/// The keys of `requestContext` that tell HTTP events apart.
#[derive(Debug, Default)]
struct ContextProbe {
    lambda_url: bool,
    http: bool,
}

/// What a request must look like, for error messages.
pub(crate) const EXPECTED: &str = r#"expected {"features": [...]} (predict) or {"instances": [{"features": [...]}, ...]} (batch)"#;

/// The kind of a top-level event.
pub(crate) fn event_kind(event: &[u8]) -> Result<Kind, ApiError> {
    let p = probe(event)?;
    if let Some(k) = direct_kind(&p)? {
        return Ok(k);
    }
    match &p.request_context {
        Some(_) if p.http_method => Ok(Kind::ApiGatewayV1),
        Some(ctx) if ctx.http => Ok(if ctx.lambda_url {
            Kind::FunctionUrl
        } else {
            Kind::ApiGatewayV2
        }),
        _ => Err(ApiError::new(
            ErrorCode::InvalidJson,
            format!(
                "unknown event shape: {EXPECTED}, or an API Gateway (REST or HTTP) / Function URL event"
            ),
        )),
    }
}

/// The kind of an HTTP request body: predict or batch only.
pub(crate) fn body_kind(body: &[u8]) -> Result<Kind, ApiError> {
    let p = probe(body)?;
    direct_kind(&p)?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("unknown request shape: {EXPECTED}"),
        )
    })
}

/// Finds the keys with [`scan`] (no value parsed); asks serde only for
/// the message when the text is not an object it can follow.
fn probe(json: &[u8]) -> Result<Probe, ApiError> {
    let mut p = Probe::default();
    let scanned = scan::for_each_member(json, |key, value| match key.as_ref() {
        "features" => p.features = true,
        "instances" => p.instances = true,
        "httpMethod" => p.http_method = true,
        "requestContext" => p.request_context = Some(context(value)),
        _ => {}
    });
    match scanned {
        Some(()) => Ok(p),
        None => Err(match serde_json::from_slice::<IgnoredAny>(json) {
            Err(e) => json_error(e),
            Ok(_) => ApiError::new(
                ErrorCode::InvalidJson,
                format!("unexpected JSON: the request must be a JSON object; {EXPECTED}"),
            ),
        }),
    }
}

fn context(raw: &[u8]) -> ContextProbe {
    let mut c = ContextProbe::default();
    // Not an object: no key found, so not an HTTP event.
    let _ = scan::for_each_member(raw, |key, value| match key.as_ref() {
        "domainName" => c.lambda_url = memchr::memmem::find(value, b".lambda-url.").is_some(),
        "http" => c.http = true,
        _ => {}
    });
    c
}

fn direct_kind(p: &Probe) -> Result<Option<Kind>, ApiError> {
    match (p.features, p.instances) {
        (true, true) => Err(ApiError::new(
            ErrorCode::InvalidJson,
            "both \"features\" and \"instances\": send one sample (features) or a batch (instances)",
        )),
        (true, false) => Ok(Some(Kind::Predict)),
        (false, true) => Ok(Some(Kind::Batch)),
        (false, false) => Ok(None),
    }
}

/// A JSON parse failure as an API error: bad syntax and the wrong shape
/// are both `invalid_json`, as in the server.
pub(crate) fn json_error(e: serde_json::Error) -> ApiError {
    let what = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "invalid JSON",
        serde_json::error::Category::Data | serde_json::error::Category::Io => "unexpected JSON",
    };
    ApiError::new(ErrorCode::InvalidJson, format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Result<Kind, ApiError> {
        event_kind(s.as_bytes())
    }

    #[test]
    fn direct_requests_are_told_by_their_key() {
        assert_eq!(kind(r#"{"features": [1, 2]}"#), Ok(Kind::Predict));
        assert_eq!(
            kind(r#"{"model_id": "m", "features": null}"#),
            Ok(Kind::Predict)
        );
        assert_eq!(kind(r#"{"instances": []}"#), Ok(Kind::Batch));
    }

    #[test]
    fn http_events_are_told_by_their_request_context() {
        let v1 = r#"{"httpMethod": "POST", "requestContext": {"stage": "prod"}, "body": "{}"}"#;
        assert_eq!(kind(v1), Ok(Kind::ApiGatewayV1));
        let v2 = r#"{"version": "2.0", "requestContext": {"domainName": "abc.execute-api.us-east-1.amazonaws.com", "http": {"method": "POST"}}}"#;
        assert_eq!(kind(v2), Ok(Kind::ApiGatewayV2));
        let url = r#"{"version": "2.0", "requestContext": {"domainName": "abc.lambda-url.us-east-1.on.aws", "http": {"method": "POST"}}}"#;
        assert_eq!(kind(url), Ok(Kind::FunctionUrl));
    }

    #[test]
    fn unknown_and_ambiguous_shapes_are_invalid_json() {
        for bad in [
            r#"{"hello": 1}"#,
            r#"{"requestContext": {}}"#,
            r#"{"features": [], "instances": []}"#,
            "[1, 2, 3]",
            "42",
            "{\"features\": [1,",
            "",
        ] {
            let err = kind(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidJson, "{bad}: {err}");
        }
        assert!(kind("[1]").unwrap_err().message.contains("a JSON object"));
    }

    #[test]
    fn a_body_is_only_predict_or_batch() {
        assert_eq!(body_kind(br#"{"features": []}"#), Ok(Kind::Predict));
        let v1 = br#"{"httpMethod": "POST", "requestContext": {}}"#;
        assert!(
            body_kind(v1)
                .unwrap_err()
                .message
                .contains("unknown request shape")
        );
    }
}
