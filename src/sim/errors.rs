//! The error formats of each Vipps API, built as responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::wire::error as wire;

pub fn with_type(status: StatusCode, body: &Value, ctype: &'static str) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r
}

/// JSON response with `application/json`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    with_type(status, body, "application/json")
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        423 => "Locked",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

/// ePayment RFC 7807 problem (+ numeric code in `extraDetails`).
pub fn epayment(status: StatusCode, code: Option<&str>, detail: impl Into<String>) -> Response {
    with_type(
        status,
        &epayment_body(status, code, detail),
        "application/problem+json",
    )
}

/// Body of an ePayment problem (the shared `api::error::EpaymentProblem`).
pub fn epayment_body(status: StatusCode, code: Option<&str>, detail: impl Into<String>) -> Value {
    let problem = wire::EpaymentProblem {
        kind: format!(
            "https://developer.vippsmobilepay.com/docs/APIs/epayment-api/errors#{}",
            code.unwrap_or("error")
        ),
        title: title_for(status).to_string(),
        detail: Some(detail.into()),
        status: status.as_u16(),
        trace_id: uuid::Uuid::new_v4().simple().to_string(),
        instance: None,
        extra_details: code.map(|c| {
            vec![wire::ExtraDetail {
                name: "ErrorCode".to_string(),
                reason: c.to_string(),
            }]
        }),
    };
    to_value(&problem)
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// eCom error array `[{errorGroup, errorCode, errorMessage, contextId}]` (shared `EcomError`).
pub fn ecom(status: StatusCode, group: &str, code: &str, message: impl Into<String>) -> Response {
    let mut e = wire::EcomError::new(wire::EcomErrorGroup::from_wire(group), code, message);
    e.context_id = Some(uuid::Uuid::new_v4().to_string());
    json_response(status, &to_value(&vec![e]))
}

/// PSP error array `[{errorCode, errorMessage, contextId}]` (shared `PspErrorDetails`).
pub fn psp(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let e = wire::PspErrorDetails {
        error_code: Some(code.to_string()),
        error_message: Some(message.into()),
        context_id: Some(uuid::Uuid::new_v4().to_string()),
    };
    json_response(status, &to_value(&vec![e]))
}

/// Order Management problem with `invalidParams` (shared `OmProblem`).
pub fn om(status: StatusCode, detail: impl Into<String>, invalid: &[(&str, String)]) -> Response {
    let problem = wire::OmProblem {
        kind: Some("https://developer.vippsmobilepay.com/docs/APIs/order-management-api/".into()),
        title: Some(title_for(status).to_string()),
        detail: Some(detail.into()),
        instance: Some(uuid::Uuid::new_v4().to_string()),
        invalid_params: Some(
            invalid
                .iter()
                .map(|(n, r)| wire::InvalidParam {
                    name: (*n).to_string(),
                    reason: r.clone(),
                })
                .collect(),
        ),
    };
    with_type(status, &to_value(&problem), "application/problem+json")
}

/// Webhooks API `ProblemDetails` (`application/problem+json`) with one `extraDetails` entry per
/// bad field (webhooks-v1.yaml, `ProblemDetails` / `ExtraDetail`).
pub fn webhooks(status: StatusCode, invalid: &[(&str, String)]) -> Response {
    let detail = invalid
        .iter()
        .map(|(_, r)| r.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let body = serde_json::json!({
        "type": format!("https://httpstatuses.io/{}", status.as_u16()),
        "title": title_for(status),
        "status": status.as_u16(),
        "detail": detail,
        "instance": "/v1/webhooks",
        "traceId": uuid::Uuid::new_v4().simple().to_string(),
        "extraDetails": invalid
            .iter()
            .map(|(n, r)| serde_json::json!({"name": n, "reason": r}))
            .collect::<Vec<_>>(),
    });
    with_type(status, &body, "application/problem+json")
}

/// Azure API Management gateway error (401 / 403 / 404 / 429 before the API sees the call).
pub fn gateway(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(
        status,
        &to_value(&wire::GatewayStatusError {
            status_code: status.as_u16(),
            message: message.into(),
        }),
    )
}

/// 429 with Retry-After (gateway format, as Azure sends it).
pub fn too_many(retry_after_secs: u64) -> Response {
    let mut r = gateway(
        StatusCode::TOO_MANY_REQUESTS,
        format!("Rate limit is exceeded. Try again in {retry_after_secs} seconds."),
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// Which API a path belongs to, for mapping generic failures into its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Epayment,
    Ecom,
    Psp,
    OrderManagement,
    /// Webhooks API v1: ProblemDetails with `extraDetails`.
    Webhooks,
    Gateway,
}

impl Flavor {
    pub fn from_path(path: &str) -> Flavor {
        let p = path.to_ascii_lowercase();
        if p.starts_with("/epayment/") {
            Flavor::Epayment
        } else if p.starts_with("/ecomm/") {
            Flavor::Ecom
        } else if p.starts_with("/psp/") {
            Flavor::Psp
        } else if p.starts_with("/order-management/") {
            Flavor::OrderManagement
        } else if p.starts_with("/webhooks/") {
            Flavor::Webhooks
        } else {
            Flavor::Gateway
        }
    }

    /// A generic request error (bad JSON, wrong content type, too large, ...) in this API's format.
    pub fn bad_request(
        self,
        status: StatusCode,
        field: &str,
        message: impl Into<String>,
    ) -> Response {
        let message = message.into();
        match self {
            Flavor::Epayment => epayment(status, Some("4140"), message),
            Flavor::Ecom => ecom(status, "InvalidRequest", field, message),
            Flavor::Psp => psp(status, "51", message),
            Flavor::OrderManagement => om(status, message.clone(), &[(field, message)]),
            Flavor::Webhooks => webhooks(status, &[(field, message)]),
            Flavor::Gateway => gateway(status, message),
        }
    }

    /// Injected server error in this API's format.
    pub fn server_error(self, status: StatusCode) -> Response {
        let msg = "Simulated server error (fault injection). Retry with the same idempotency key.";
        match self {
            Flavor::Epayment => epayment(status, Some("3010"), msg),
            Flavor::Ecom => ecom(status, "VippsError", "99", msg),
            Flavor::Psp => psp(status, "91", msg),
            Flavor::OrderManagement => om(status, msg, &[]),
            Flavor::Webhooks => webhooks(status, &[("server", msg.to_string())]),
            Flavor::Gateway => gateway(status, msg),
        }
    }
}
