//! `/sim/v1/*` control endpoints and the customer-facing landing page / QR image.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{self, Flavor};
use super::faults::FaultConfig;
use super::http::json_body;
use super::state::{ApproveError, CustomerError, PState, SimState};

fn customer_error(e: CustomerError, reference: &str) -> Response {
    match e {
        CustomerError::NotFound => errors::gateway(
            StatusCode::NOT_FOUND,
            format!("No payment with reference, orderId or pspTransactionId '{reference}'."),
        ),
        CustomerError::Approve(ApproveError::NotWaiting(s)) => errors::gateway(
            StatusCode::CONFLICT,
            format!("The payment is {s}; the customer can no longer act on it."),
        ),
        CustomerError::Approve(ApproveError::Declined { reason, .. }) => errors::gateway(
            StatusCode::PAYMENT_REQUIRED,
            format!("Approval failed: {reason} (test-environment magic amount)."),
        ),
    }
}

pub async fn open(State(s): State<SimState>, Path(reference): Path<String>) -> Response {
    match s.customer_open(&reference) {
        Ok(()) => errors::json_response(
            StatusCode::OK,
            &json!({"reference": reference, "opened": true}),
        ),
        Err(e) => customer_error(e, &reference),
    }
}

#[derive(Deserialize, Default)]
struct ApproveBody {
    #[serde(default, rename = "phoneNumber")]
    phone_number: Option<String>,
}

pub async fn approve(
    State(s): State<SimState>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match json_body(Flavor::Gateway, &headers, body) {
        Ok(b) => b.unwrap_or(Value::Null),
        Err(r) => return r,
    };
    let phone = serde_json::from_value::<ApproveBody>(body)
        .unwrap_or_default()
        .phone_number;
    match s.customer_approve(&reference, phone).await {
        Ok(()) => errors::json_response(
            StatusCode::OK,
            &json!({"reference": reference, "approved": true}),
        ),
        Err(e) => customer_error(e, &reference),
    }
}

pub async fn reject(State(s): State<SimState>, Path(reference): Path<String>) -> Response {
    match s.customer_reject(&reference).await {
        Ok(()) => errors::json_response(
            StatusCode::OK,
            &json!({"reference": reference, "rejected": true}),
        ),
        Err(e) => customer_error(e, &reference),
    }
}

pub async fn clock_advance(
    State(s): State<SimState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match json_body(Flavor::Gateway, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => Value::Null,
        Err(r) => return r,
    };
    let Some(secs) = body
        .get("seconds")
        .and_then(Value::as_f64)
        .filter(|v| *v >= 0.0 && *v <= MAX_ADVANCE_SECS)
    else {
        return errors::gateway(
            StatusCode::BAD_REQUEST,
            "Body must be {\"seconds\": N} with 0 <= N <= 31536000 (one year per call).",
        );
    };
    s.clock().advance(time::Duration::seconds_f64(secs));
    s.sweep();
    errors::json_response(StatusCode::OK, &json!({"now": s.now_str()}))
}

/// One simulated year per call at most (keeps the clock far from overflow).
const MAX_ADVANCE_SECS: f64 = 31_536_000.0;

pub async fn clock_get(State(s): State<SimState>) -> Response {
    errors::json_response(StatusCode::OK, &json!({"now": s.now_str()}))
}

pub async fn faults_set(
    State(s): State<SimState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match json_body(Flavor::Gateway, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => json!({}),
        Err(r) => return r,
    };
    let cfg: FaultConfig = match serde_json::from_value(body) {
        Ok(c) => c,
        Err(e) => {
            return errors::gateway(
                StatusCode::BAD_REQUEST,
                format!(
                    "Invalid fault config: {e}. Fields: drop_after_commit, error_rate, rate_limit_rate (0..1), latency_ms [min, max], reject_auth, forbidden, no_push (true/false), not_a_user [\"4790000000\", ...]."
                ),
            );
        }
    };
    if let Err((_, msg)) = cfg.validate() {
        return errors::gateway(StatusCode::BAD_REQUEST, msg);
    }
    s.lock().faults = cfg.clone();
    errors::json_response(
        StatusCode::OK,
        &serde_json::to_value(cfg).unwrap_or(Value::Null),
    )
}

pub async fn faults_clear(State(s): State<SimState>) -> Response {
    s.lock().faults = FaultConfig::default();
    StatusCode::NO_CONTENT.into_response()
}

pub async fn ledger(State(s): State<SimState>) -> Response {
    s.sweep();
    errors::json_response(
        StatusCode::OK,
        &serde_json::to_value(s.ledger()).unwrap_or(Value::Null),
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    size: Option<u32>,
}

/// The landing page a customer's phone opens (QR TEXT/TARGETURL, WEB_REDIRECT, eCom url).
pub async fn landing(State(s): State<SimState>, Query(q): Query<TokenQuery>) -> Response {
    s.sweep();
    let now = s.now();
    let mut g = s.lock();
    let Some(i) = g.find_token(&q.token) else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>Unknown or expired payment link</h1>".to_string()),
        )
            .into_response();
    };
    let p = &mut g.payments[i];
    if p.state == PState::Created && p.opened_at.is_none() {
        p.opened_at = Some(now);
    }
    let reference = html_escape(&p.reference);
    let amount = format!(
        "{}.{:02} {}",
        p.amount / 100,
        p.amount % 100,
        html_escape(&p.currency)
    );
    let desc = html_escape(p.description.as_deref().unwrap_or(""));
    let state = p.state.epayment_name();
    let buttons = if p.state == PState::Created {
        format!(
            "<form method=post action=\"/sim/v1/customer/{reference}/approve\"><button>Godkjenn / Approve</button></form>\
             <form method=post action=\"/sim/v1/customer/{reference}/reject\"><button>Avbryt / Reject</button></form>"
        )
    } else {
        String::new()
    };
    Html(format!(
        "<!doctype html><html><head><meta name=viewport content=\"width=device-width\"><title>Vipps sim</title></head>\
         <body><h1>Vipps (simulator)</h1><p>{desc}</p><p><b>{amount}</b></p><p>Status: {state}</p>{buttons}</body></html>"
    ))
    .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// QR image for `userFlow: QR` (`format=svg` or `format=png&size=N`); 404 once the payment ended.
pub async fn qr_image(State(s): State<SimState>, Query(q): Query<TokenQuery>) -> Response {
    s.sweep();
    let (url, live) = {
        let g = s.lock();
        let Some(i) = g.find_token(&q.token) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let p = &g.payments[i];
        (
            format!("{}/sim/landing?token={}", g.base_url, q.token),
            p.state == PState::Created,
        )
    };
    if !live {
        // Vipps: the QR image 404s once the payment is no longer waiting.
        return StatusCode::NOT_FOUND.into_response();
    }
    if q.format.as_deref() == Some("png") {
        let size = q.size.unwrap_or(1024).clamp(100, 2000);
        return match super::qr::png(&url, size) {
            Some(png) => {
                let mut r = png.into_response();
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
                r
            }
            None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    }
    match super::qr::svg(&url) {
        Some(svg) => {
            let mut r = svg.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            );
            r
        }
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
