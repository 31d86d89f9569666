//! HTTP events: API Gateway REST (payload v1), API Gateway HTTP (payload
//! v2) and Function URLs. The request body (base64 when the event says so)
//! is a predict or batch request; the response carries the same JSON as a
//! direct invocation with the status code of [`ErrorCode::http_status`].

use crate::dispatch;
use crate::handler::{self, Payload, Reply};
use crate::model::LambdaModel;
use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header::CONTENT_TYPE};
use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use base64::Engine;
use realizar_infer::api::{ApiError, ErrorCode};
use std::borrow::Cow;

/// Status code and JSON text of the response to an HTTP request body.
fn respond(model: &LambdaModel, body: Option<&str>, base64: bool) -> (i64, String) {
    let result = decode_body(body, base64).and_then(|b| handler::run_body(model, &b));
    let (status, json) = match result {
        Ok(Payload::Predict(r)) => (200, serde_json::to_string(&r)),
        Ok(Payload::Batch(r)) => (200, serde_json::to_string(&r)),
        Err(e) => (e.code.http_status(), serde_json::to_string(&e.into_body())),
    };
    match json {
        Ok(text) => (i64::from(status), text),
        Err(e) => (500, handler::internal_json(&e)),
    }
}

/// The request body as bytes: decoded from base64 when the event says so.
fn decode_body(body: Option<&str>, base64: bool) -> Result<Cow<'_, [u8]>, ApiError> {
    let body = body.unwrap_or_default();
    if body.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidJson,
            format!("empty request body: {}", dispatch::EXPECTED),
        ));
    }
    if !base64 {
        return Ok(Cow::Borrowed(body.as_bytes()));
    }
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map(Cow::Owned)
        .map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidJson,
                format!("the body is marked base64 but does not decode: {e}"),
            )
        })
}

fn json_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h
}

/// The text of a response body.
pub(crate) fn text(body: Option<&Body>) -> Option<&str> {
    match body? {
        Body::Text(t) => Some(t),
        Body::Binary(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

/// An event that claims to be an HTTP event but does not parse as one.
fn bad_event(kind: &str, e: serde_json::Error) -> Reply {
    let mut err = dispatch::json_error(e);
    err.message = format!("not a valid {kind} event: {}", err.message);
    Reply::Error(err.into_body())
}

pub(crate) fn api_gateway_v1(model: &LambdaModel, event: &str) -> Reply {
    let req: ApiGatewayProxyRequest = match serde_json::from_str(event) {
        Ok(r) => r,
        Err(e) => return bad_event("API Gateway REST", e),
    };
    let (status, json) = respond(model, req.body.as_deref(), req.is_base64_encoded);
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = status;
    r.headers = json_headers();
    r.body = Some(Body::Text(json));
    Reply::ApiGatewayV1(r)
}

pub(crate) fn api_gateway_v2(model: &LambdaModel, event: &str) -> Reply {
    let req: ApiGatewayV2httpRequest = match serde_json::from_str(event) {
        Ok(r) => r,
        Err(e) => return bad_event("API Gateway HTTP", e),
    };
    let (status, json) = respond(model, req.body.as_deref(), req.is_base64_encoded);
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = status;
    r.headers = json_headers();
    r.body = Some(Body::Text(json));
    Reply::ApiGatewayV2(r)
}

pub(crate) fn function_url(model: &LambdaModel, event: &str) -> Reply {
    let req: LambdaFunctionUrlRequest = match serde_json::from_str(event) {
        Ok(r) => r,
        Err(e) => return bad_event("Function URL", e),
    };
    let (status, json) = respond(model, req.body.as_deref(), req.is_base64_encoded);
    let mut r = LambdaFunctionUrlResponse::default();
    r.status_code = status;
    r.headers = json_headers();
    r.body = Some(json);
    Reply::FunctionUrl(r)
}

#[cfg(test)]
mod tests {
    use crate::handler::handle_event;
    use crate::model::LambdaModel;
    use base64::Engine;
    use serde_json::{Value, json};
    use std::sync::OnceLock;

    fn model() -> &'static LambdaModel {
        static M: OnceLock<LambdaModel> = OnceLock::new();
        M.get_or_init(|| LambdaModel::embedded().expect("embedded model"))
    }

    fn predict_body() -> String {
        json!({"features": vec![0.5f32; model().model().input_dim()]}).to_string()
    }

    /// A REST API (v1) proxy event, as in the AWS documentation.
    fn v1_event(body: &str, base64: bool) -> Value {
        json!({
            "resource": "/predict",
            "path": "/predict",
            "httpMethod": "POST",
            "headers": {"content-type": "application/json"},
            "multiValueHeaders": {"content-type": ["application/json"]},
            "queryStringParameters": null,
            "multiValueQueryStringParameters": null,
            "pathParameters": null,
            "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "1234567890",
                "domainName": "1234567890.execute-api.us-east-1.amazonaws.com",
                "httpMethod": "POST",
                "path": "/prod/predict",
                "protocol": "HTTP/1.1",
                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                "requestTimeEpoch": 1428582896000u64,
                "resourceId": "123456",
                "resourcePath": "/predict",
                "stage": "prod",
                "identity": {"sourceIp": "127.0.0.1", "userAgent": "curl/8"}
            },
            "body": body,
            "isBase64Encoded": base64
        })
    }

    /// An HTTP API (v2) event; with `domain` "*.lambda-url.*" the same
    /// shape is a Function URL event.
    fn v2_event(domain: &str, body: Option<&str>, base64: bool) -> Value {
        json!({
            "version": "2.0",
            "routeKey": "POST /predict",
            "rawPath": "/predict",
            "rawQueryString": "",
            "headers": {"content-type": "application/json", "host": domain},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "api-id",
                "domainName": domain,
                "domainPrefix": "abc",
                "http": {
                    "method": "POST",
                    "path": "/predict",
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "curl/8"
                },
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": "POST /predict",
                "stage": "$default",
                "time": "10/Mar/2020:00:03:59 +0000",
                "timeEpoch": 1583798639428u64
            },
            "body": body,
            "isBase64Encoded": base64
        })
    }

    fn reply(event: &Value) -> Value {
        serde_json::to_value(handle_event(model(), &event.to_string())).unwrap()
    }

    fn body_of(r: &Value) -> Value {
        serde_json::from_str(r["body"].as_str().expect("a text body")).unwrap()
    }

    #[test]
    fn rest_api_events_get_a_proxy_response() {
        let r = reply(&v1_event(&predict_body(), false));
        assert_eq!(r["statusCode"], 200, "{r}");
        assert_eq!(r["headers"]["content-type"], "application/json");
        assert!(body_of(&r)["prediction"].as_u64().unwrap() < 2);
        assert_eq!(r["isBase64Encoded"], false);
    }

    #[test]
    fn http_api_events_get_a_v2_response_and_base64_bodies_are_decoded() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(predict_body());
        let r = reply(&v2_event(
            "abc.execute-api.us-east-1.amazonaws.com",
            Some(&b64),
            true,
        ));
        assert_eq!(r["statusCode"], 200, "{r}");
        assert!(r["cookies"].is_array(), "a v2 response: {r}");
        assert!(body_of(&r)["prediction"].is_u64());
    }

    #[test]
    fn function_url_events_get_a_function_url_response() {
        let dom = "abcdefg.lambda-url.us-east-1.on.aws";
        let r = reply(&v2_event(dom, Some(&predict_body()), false));
        assert_eq!(r["statusCode"], 200, "{r}");
        assert!(body_of(&r)["prediction"].is_u64());
        let h = handle_event(
            model(),
            &v2_event(dom, Some(&predict_body()), false).to_string(),
        );
        assert!(matches!(h, crate::Reply::FunctionUrl(_)), "{h:?}");
    }

    #[test]
    fn batch_bodies_work_over_http() {
        let body = json!({"instances": [{"features": vec![0.1f32; 784]}, {"features": vec![0.9f32; 784]}]});
        let r = reply(&v2_event(
            "x.execute-api.eu-west-1.amazonaws.com",
            Some(&body.to_string()),
            false,
        ));
        assert_eq!(r["statusCode"], 200, "{r}");
        assert_eq!(body_of(&r)["predictions"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn http_errors_carry_the_status_of_their_code() {
        let dom = "x.execute-api.us-east-1.amazonaws.com";
        let cases = [
            (
                v2_event(dom, Some(r#"{"features": [1, 2]}"#), false),
                400,
                "invalid_input",
            ),
            (v2_event(dom, Some("{not json"), false), 400, "invalid_json"),
            (v2_event(dom, None, false), 400, "invalid_json"),
            (
                v2_event(dom, Some("!!not base64!!"), true),
                400,
                "invalid_json",
            ),
            (
                v2_event(dom, Some(r#"{"hello": 1}"#), false),
                400,
                "invalid_json",
            ),
            (
                v1_event(
                    &json!({"model_id": "nope", "features": [0.0]}).to_string(),
                    false,
                ),
                404,
                "model_not_found",
            ),
        ];
        for (event, status, code) in cases {
            let r = reply(&event);
            assert_eq!(r["statusCode"], status, "{r}");
            assert_eq!(body_of(&r)["error"]["code"], code, "{r}");
            let typed = handle_event(model(), &event.to_string());
            assert_eq!(typed.status(), status);
            assert!(typed.api_error().is_some());
        }
    }

    #[test]
    fn an_event_that_only_looks_like_http_is_a_direct_error() {
        // httpMethod must be a method name.
        let r = reply(&json!({"httpMethod": 12, "requestContext": {}}));
        assert_eq!(r["error"]["code"], "invalid_json", "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("API Gateway REST"),
            "{r}"
        );
    }
}
