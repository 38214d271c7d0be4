//! Order Management API: images (write-once), categories (overwritten), receipts (write-once).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::errors::{self, Flavor};
use super::http::{check_auth, header, json_body};
use super::state::{OmOrder, SimState};

/// Largest decoded image (2 MB).
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

fn id_ok(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn invalid(field: &str, reason: impl Into<String>) -> Response {
    let reason = reason.into();
    errors::om(
        StatusCode::BAD_REQUEST,
        format!("{field}: {reason}"),
        &[(field, reason.clone())],
    )
}

/// Receipt validation shared with ePayment `receipt`. Err((field path, reason)).
pub fn validate_receipt(r: &Value) -> Result<(), (String, String)> {
    let lines = r
        .get("orderLines")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            (
                "orderLines".to_string(),
                "is required and must be a list".to_string(),
            )
        })?;
    if lines.is_empty() {
        return Err(("orderLines".into(), "needs at least one order line".into()));
    }
    for (i, l) in lines.iter().enumerate() {
        let f = |n: &str| format!("orderLines[{i}].{n}");
        for n in ["name", "id"] {
            if l.get(n).and_then(Value::as_str).is_none() {
                return Err((f(n), "is required and must be a string".into()));
            }
        }
        let mut v = [0i64; 3];
        for (k, n) in ["totalAmount", "totalAmountExcludingTax", "totalTaxAmount"]
            .iter()
            .enumerate()
        {
            v[k] = l
                .get(*n)
                .and_then(Value::as_i64)
                .filter(|x| *x >= 0)
                .ok_or_else(|| {
                    (
                        f(n),
                        "is required and must be a non-negative integer in minor units".to_string(),
                    )
                })?;
        }
        if v[0] - v[1] != v[2] {
            return Err((
                f("totalTaxAmount"),
                format!(
                    "Total amount - total amount excluding tax don't match order line total tax amount ({} - {} != {})",
                    v[0], v[1], v[2]
                ),
            ));
        }
        let rate = l.get("taxRate").filter(|x| !x.is_null());
        let pct = l.get("taxPercentage").filter(|x| !x.is_null());
        match (rate, pct) {
            (None, None) => {
                return Err((
                    f("taxRate"),
                    "either taxRate (2500 = 25 %) or taxPercentage must be set".into(),
                ));
            }
            (Some(x), _) if !x.as_i64().is_some_and(|x| (0..=10000).contains(&x)) => {
                return Err((
                    f("taxRate"),
                    "must be an integer 0..10000 (hundredths of a percent)".into(),
                ));
            }
            (_, Some(x)) if !x.as_i64().is_some_and(|x| (0..=100).contains(&x)) => {
                return Err((f("taxPercentage"), "must be an integer 0..100".into()));
            }
            _ => {}
        }
        if let Some(u) = l.get("unitInfo").filter(|x| !x.is_null()) {
            let q = u.get("quantity").and_then(Value::as_str).unwrap_or("");
            let (int, frac) = q.split_once('.').unwrap_or((q, ""));
            let q_ok = q.len() <= 10
                && !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && q.contains('.') != frac.is_empty()
                && frac.len() <= 8
                && frac.bytes().all(|b| b.is_ascii_digit());
            if !q_ok {
                return Err((
                    f("unitInfo.quantity"),
                    format!("'{q}' must match ^\\d+([.]\\d{{1,8}})?$ (max 10 chars)"),
                ));
            }
            if let Some(unit) = u.get("quantityUnit").filter(|x| !x.is_null())
                && !matches!(
                    unit.as_str(),
                    Some("PCS" | "KG" | "KM" | "MINUTE" | "LITRE" | "KWH")
                )
            {
                return Err((
                    f("unitInfo.quantityUnit"),
                    "must be PCS, KG, KM, MINUTE, LITRE or KWH".into(),
                ));
            }
        }
        if let Some(d) = l.get("discount").filter(|x| !x.is_null())
            && d.as_i64().is_none_or(|d| d < 0)
        {
            return Err((f("discount"), "must be a non-negative integer".into()));
        }
    }
    let cur = r
        .pointer("/bottomLine/currency")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !matches!(cur, "NOK" | "DKK" | "EUR") {
        return Err((
            "bottomLine.currency".into(),
            "is required: NOK, DKK or EUR".into(),
        ));
    }
    Ok(())
}

fn prelude(state: &SimState, headers: &HeaderMap) -> Result<(), Response> {
    check_auth(state, headers)?;
    if header(headers, "Merchant-Serial-Number").is_none() {
        return Err(invalid("Merchant-Serial-Number", "header is required"));
    }
    Ok(())
}

fn payment_type(pt: &str) -> Result<String, Response> {
    let up = pt.to_ascii_uppercase();
    if matches!(up.as_str(), "ECOM" | "RECURRING") {
        Ok(up)
    } else {
        Err(invalid(
            "paymentType",
            format!("'{pt}' must be ECOM or RECURRING (ECOM also for ePayment)"),
        ))
    }
}

pub async fn post_image(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let b = match json_body(Flavor::OrderManagement, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => return invalid("body", "an Image body {imageId, src, type} is required"),
        Err(r) => return r,
    };
    let id = b.get("imageId").and_then(Value::as_str).unwrap_or("");
    if let Err(e) = serde_json::from_value::<crate::wire::order_management::Image>(b.clone()) {
        return invalid("body", format!("The body does not match Image: {e}"));
    }
    if !id_ok(id, 128) {
        return invalid(
            "imageId",
            format!("'{id}' must match ^[0-9A-Za-z-_\\.]+$ and be at most 128 characters"),
        );
    }
    if b.get("type").and_then(Value::as_str) != Some("base64") {
        return invalid("type", "must be \"base64\"");
    }
    let src = b.get("src").and_then(Value::as_str).unwrap_or("");
    let clean: String = src.chars().filter(|c| !c.is_whitespace()).collect();
    let valid_b64 = !clean.is_empty()
        && clean.len().is_multiple_of(4)
        && clean
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='));
    if !valid_b64 {
        return invalid("src", "must be base64-encoded PNG or JPEG data (not a URL)");
    }
    let decoded = clean.len() / 4 * 3 - clean.bytes().rev().take_while(|c| *c == b'=').count();
    if decoded > MAX_IMAGE_BYTES {
        return errors::om(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The image is {decoded} bytes; at most {MAX_IMAGE_BYTES} (2 MB) are allowed."),
            &[("src", "image larger than 2 MB".to_string())],
        );
    }
    let mut g = state.lock();
    if g.images.contains_key(id) {
        return errors::om(
            StatusCode::CONFLICT,
            format!(
                "Image '{id}' already exists and cannot be overwritten. Upload under a new imageId."
            ),
            &[("imageId", "already exists".to_string())],
        );
    }
    g.images.insert(id.to_string(), decoded);
    errors::json_response(StatusCode::OK, &json!({"imageId": id}))
}

pub async fn put_category(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path((pt, order_id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let pt = match payment_type(&pt) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !id_ok(&order_id, 200) {
        return invalid("orderId", "must match ^[0-9A-Za-z-_\\.]+$");
    }
    let b = match json_body(Flavor::OrderManagement, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return invalid(
                "body",
                "an Order body {category, orderDetailsUrl} is required",
            );
        }
        Err(r) => return r,
    };
    if let Err(e) = serde_json::from_value::<crate::wire::order_management::Order>(b.clone()) {
        return invalid("body", format!("The body does not match Order: {e}"));
    }
    let cat = b.get("category").and_then(Value::as_str).unwrap_or("");
    if !matches!(
        cat,
        "GENERAL" | "RECEIPT" | "ORDER_CONFIRMATION" | "DELIVERY" | "TICKET" | "BOOKING"
    ) {
        return invalid(
            "category",
            format!(
                "'{cat}' must be GENERAL, RECEIPT, ORDER_CONFIRMATION, DELIVERY, TICKET or BOOKING"
            ),
        );
    }
    let url = b
        .get("orderDetailsUrl")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return invalid("orderDetailsUrl", "is required and must be a URL");
    }
    if let Some(img) = b.get("imageId").filter(|v| !v.is_null())
        && !img.as_str().is_some_and(|s| id_ok(s, 128))
    {
        return invalid("imageId", "must match ^[0-9A-Za-z-_\\.]+$");
    }
    let mut g = state.lock();
    let o = g.om.entry(order_id.clone()).or_insert_with(|| OmOrder {
        payment_type: pt.clone(),
        ..OmOrder::default()
    });
    o.category = Some(b);
    errors::json_response(StatusCode::OK, &json!(order_id))
}

pub async fn post_receipt(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path((pt, order_id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let pt = match payment_type(&pt) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !id_ok(&order_id, 200) {
        return invalid("orderId", "must match ^[0-9A-Za-z-_\\.]+$");
    }
    let b = match json_body(Flavor::OrderManagement, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return invalid(
                "body",
                "a Receipt body {orderLines, bottomLine} is required",
            );
        }
        Err(r) => return r,
    };
    if let Err((field, reason)) = validate_receipt(&b) {
        return invalid(&field, reason);
    }
    if let Err(e) = serde_json::from_value::<crate::wire::order_management::Receipt>(b.clone()) {
        return invalid("body", format!("The body does not match Receipt: {e}"));
    }
    let mut g = state.lock();
    let o = g.om.entry(order_id.clone()).or_insert_with(|| OmOrder {
        payment_type: pt.clone(),
        ..OmOrder::default()
    });
    o.receipt_posts = o.receipt_posts.saturating_add(1);
    if o.receipt.is_some() {
        return errors::om(
            StatusCode::CONFLICT,
            format!("A receipt for '{order_id}' already exists; receipts cannot be overwritten."),
            &[("orderId", "receipt already exists".to_string())],
        );
    }
    o.receipt = Some(b);
    errors::json_response(StatusCode::CREATED, &json!(order_id))
}

pub async fn get_order(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path((pt, order_id)): Path<(String, String)>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    if let Err(r) = payment_type(&pt) {
        return r;
    }
    let g = state.lock();
    match g.om.get(&order_id) {
        Some(o) => errors::json_response(
            StatusCode::OK,
            &json!({"category": o.category, "receipt": o.receipt}),
        ),
        None => errors::om(
            StatusCode::NOT_FOUND,
            format!("No category or receipt for order '{order_id}'."),
            &[],
        ),
    }
}
