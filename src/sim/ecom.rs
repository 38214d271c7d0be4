//! eCom API v2 (legacy): initiate, details, capture, cancel, refund, force approve.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{self, Flavor};
use super::http::{check_auth, header, json_body};
use super::ratelimit::{ECOM_INITIATE_PER_MIN, MUTATIONS_PER_MIN, READS_PER_MIN};
use super::state::{
    Api, ApproveError, EcomInfo, Inner, OpKind, PState, Payment, SimState, approve,
};
use crate::clock::rfc3339_millis;

fn invalid(field: &str, msg: impl Into<String>) -> Response {
    errors::ecom(StatusCode::BAD_REQUEST, "InvalidRequest", field, msg)
}

fn merchant(code: &str, msg: impl Into<String>) -> Response {
    errors::ecom(StatusCode::BAD_REQUEST, "Merchant", code, msg)
}

fn payment_err(code: &str, msg: impl Into<String>) -> Response {
    errors::ecom(StatusCode::BAD_REQUEST, "Payment", code, msg)
}

/// The ledger keeps a create refused for the customer's or the sales unit's sake.
fn record_refusal(
    g: &mut super::state::Inner,
    msn: &str,
    order_id: &str,
    code: &str,
    now: time::OffsetDateTime,
) {
    g.refused.push(super::ledger::LedgerRefusal {
        api: super::state::Api::Ecom,
        msn: msn.to_owned(),
        reference: order_id.to_owned(),
        code: code.to_owned(),
        at: crate::clock::rfc3339_millis(now),
    });
}

fn order_id_ok(s: &str) -> bool {
    (1..=50).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn url_ok(s: &str, allow_custom: bool) -> bool {
    if s.is_empty() || s.len() > 255 || s.contains("localhost") {
        return false;
    }
    s.starts_with("https://")
        || (allow_custom && s.starts_with("http://127.0.0.1"))
        || (allow_custom && !s.starts_with("http://") && s.contains("://"))
}

fn summary(p: &Payment) -> Value {
    json!({
        "capturedAmount": p.captured,
        "refundedAmount": p.refunded,
        "remainingAmountToCapture": p.remaining_to_capture(),
        "remainingAmountToRefund": p.captured - p.refunded,
        "bankIdentificationNumber": 492556,
    })
}

fn prelude(state: &SimState, headers: &HeaderMap) -> Result<(), Response> {
    check_auth(state, headers)?;
    state.sweep();
    Ok(())
}

pub async fn initiate(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let b = match json_body(Flavor::Ecom, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => return invalid("body", "An InitiatePaymentCommand body is required."),
        Err(r) => return r,
    };
    let typed =
        serde_json::from_value::<crate::wire::ecom::InitiatePaymentRequest>(b.clone()).err();
    let Some(customer) = b.get("customerInfo").and_then(Value::as_object) else {
        return invalid("customerInfo", "customerInfo is required (may be {}).");
    };
    let mobile = match customer.get("mobileNumber").filter(|v| !v.is_null()) {
        Some(m) => {
            let s = m
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| m.to_string());
            if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return invalid(
                    "mobileNumber",
                    format!(
                        "customerInfo.mobileNumber '{s}' must be 8 digits without country code."
                    ),
                );
            }
            Some(s)
        }
        None => None,
    };
    let Some(mi) = b.get("merchantInfo").and_then(Value::as_object) else {
        return invalid("merchantInfo", "merchantInfo is required.");
    };
    let msn = mi
        .get("merchantSerialNumber")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !(5..=6).contains(&msn.len()) || !msn.bytes().all(|b| b.is_ascii_digit()) {
        return invalid(
            "merchantSerialNumber",
            format!("merchantInfo.merchantSerialNumber '{msn}' must be a string of 5-6 digits."),
        );
    }
    let callback = mi
        .get("callbackPrefix")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !url_ok(callback, false) {
        return invalid(
            "callbackPrefix",
            format!(
                "merchantInfo.callbackPrefix '{callback}' must be an https URL of at most 255 characters."
            ),
        );
    }
    let is_app = mi.get("isApp").and_then(Value::as_bool).unwrap_or(false);
    let fallback = mi.get("fallBack").and_then(Value::as_str).unwrap_or("");
    if !is_app && !url_ok(fallback, true) {
        return invalid(
            "fallBack",
            format!(
                "merchantInfo.fallBack '{fallback}' must be https:// or an app scheme (http://localhost is rejected)."
            ),
        );
    }
    if let Some(pt) = mi.get("paymentType").filter(|v| !v.is_null())
        && !matches!(
            pt.as_str(),
            Some("eComm Regular Payment" | "eComm Express Payment")
        )
    {
        return invalid(
            "paymentType",
            "merchantInfo.paymentType must be 'eComm Regular Payment' or 'eComm Express Payment'.",
        );
    }
    let Some(tx) = b.get("transaction").and_then(Value::as_object) else {
        return invalid("transaction", "transaction is required.");
    };
    let order_id = tx.get("orderId").and_then(Value::as_str).unwrap_or("");
    if !order_id_ok(order_id) {
        return invalid(
            "orderId",
            format!("transaction.orderId '{order_id}' must match ^[a-zA-Z0-9-]{{1,50}}$."),
        );
    }
    let Some(amount) = tx.get("amount").and_then(Value::as_i64) else {
        return invalid("amount", "transaction.amount must be an integer in øre.");
    };
    if amount < 100 {
        return invalid(
            "amount",
            format!("transaction.amount {amount} is below the minimum 100 øre."),
        );
    }
    let text = tx
        .get("transactionText")
        .and_then(Value::as_str)
        .unwrap_or("");
    if text.is_empty() || text.chars().count() > 100 {
        return invalid(
            "transactionText",
            "transaction.transactionText is required, at most 100 characters.",
        );
    }
    let skip = tx
        .get("skipLandingPage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(e) = typed {
        return invalid(
            "body",
            format!("The body does not match InitiatePaymentCommand: {e}."),
        );
    }
    let now = state.now();
    let mut g = state.lock();
    if !g.msn_known(msn) {
        return merchant(
            "37",
            format!("Merchant {msn} is not available for these credentials."),
        );
    }
    if g.cfg.rate_limits
        && let Err(wait) = g.rate.check(
            format!("ecom-init:{msn}:{order_id}"),
            ECOM_INITIATE_PER_MIN,
            now,
        )
    {
        return errors::too_many(wait);
    }
    if skip && (!g.push_allowed(msn) || mobile.is_none()) {
        record_refusal(&mut g, msn, order_id, "38", now);
        return merchant(
            "38",
            "This sales unit is not allowed to skip the landing page (skipLandingPage needs approval and customerInfo.mobileNumber).",
        );
    }
    if skip
        && let Some(m) = mobile.as_deref()
        && g.not_a_user(m)
    {
        record_refusal(&mut g, msn, order_id, "81", now);
        return errors::ecom(
            StatusCode::BAD_REQUEST,
            "User",
            "81",
            format!(
                "User not registered with Vipps: {m} cannot pay businesses (not a user, too young or blocked). Ask for another payment method."
            ),
        );
    }
    if g.reference_taken(msn, order_id) {
        return merchant(
            "34",
            format!(
                "Duplicate orderId '{order_id}': an orderId can never be reused. Use a new one (e.g. with -1 suffix)."
            ),
        );
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    let url = if is_app {
        format!("vippsMT://?token={token}&sim={}", g.base_url)
    } else {
        // The real shape, `…/deeplink/vippsgateway?v=2&token=…`: Vipps' own collection takes the
        // token with `url.split('=', 3)[2]`.
        format!("{}/sim/landing?v=2&token={token}", g.base_url)
    };
    let mut p = Payment {
        api: Api::Ecom,
        msn: msn.to_string(),
        reference: order_id.to_string(),
        amount,
        currency: "NOK".into(),
        state: PState::Created,
        created_at: now,
        opened_at: None,
        expires_at: None,
        captured: 0,
        refunded: 0,
        cancelled: 0,
        user_flow: if skip {
            "PUSH_MESSAGE"
        } else if is_app {
            "NATIVE_REDIRECT"
        } else {
            "WEB_REDIRECT"
        }
        .into(),
        redirect_url: Some(url.clone()),
        token,
        phone: mobile,
        description: Some(text.to_string()),
        metadata: None,
        receipt: None,
        payment_method: "WALLET".into(),
        psp_reference: String::new(),
        ops: Vec::new(),
        ecom: Some(EcomInfo {
            transaction_text: text.to_string(),
            is_app,
            skip_landing_page: skip,
            fallback: fallback.to_string(),
        }),
        psp: None,
    };
    p.push_op(
        OpKind::Create,
        amount,
        None,
        true,
        now,
        Some(text.to_string()),
    );
    p.psp_reference = p.ops[0].psp_reference.clone();
    g.payments.push(p);
    let out = crate::wire::ecom::InitiatePaymentResponse {
        order_id: order_id.to_string(),
        url,
    };
    errors::json_response(
        StatusCode::OK,
        &serde_json::to_value(out).unwrap_or(Value::Null),
    )
}

/// Find an eCom payment by orderId (and MSN when given).
fn find(g: &Inner, order_id: &str, msn: Option<&str>) -> Option<usize> {
    g.payments.iter().position(|p| {
        p.api == Api::Ecom && p.reference == order_id && msn.is_none_or(|m| m == p.msn)
    })
}

pub async fn details(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let now = state.now();
    let msn = header(&headers, "Merchant-Serial-Number");
    let mut g = state.lock();
    if g.cfg.rate_limits {
        let sub = header(&headers, "Ocp-Apim-Subscription-Key").unwrap_or_default();
        if let Err(wait) = g
            .rate
            .check(format!("ecom-read:{sub}:{order_id}"), READS_PER_MIN, now)
        {
            return errors::too_many(wait);
        }
    }
    let Some(i) = find(&g, &order_id, msn.as_deref()) else {
        return errors::ecom(
            StatusCode::NOT_FOUND,
            "Merchant",
            "35",
            format!("orderId '{order_id}' not found for this MSN."),
        );
    };
    let p = &g.payments[i];
    let history: Vec<Value> = p
        .ops
        .iter()
        .rev()
        .map(|o| {
            let mut e = json!({
                "amount": o.amount,
                "operation": o.name(Api::Ecom),
                "operationSuccess": o.success,
                "timeStamp": rfc3339_millis(o.time),
                "transactionText": o.text.clone().or_else(|| p.ecom.as_ref().map(|e| e.transaction_text.clone())).unwrap_or_default(),
            });
            if let Some(k) = &o.key {
                e["requestId"] = json!(k);
            }
            if o.kind != OpKind::Create || p.opened_at.is_some() {
                e["transactionId"] = json!(o.psp_reference);
            }
            e
        })
        .collect();
    let mut out = json!({"orderId": p.reference, "transactionLogHistory": history});
    if p.ops.len() > 1 {
        out["transactionSummary"] = summary(p);
    }
    errors::json_response(StatusCode::OK, &out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Capture,
    Cancel,
    Refund,
}

async fn action(
    state: SimState,
    headers: HeaderMap,
    order_id: String,
    body: Result<Bytes, BytesRejection>,
    a: Action,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let b = match json_body(Flavor::Ecom, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return invalid(
                "body",
                "A request body with merchantInfo and transaction is required.",
            );
        }
        Err(r) => return r,
    };
    let request_id = header(&headers, "X-Request-Id");
    if let Some(r) = &request_id
        && r.len() > 40
    {
        return invalid(
            "X-Request-Id",
            "X-Request-Id must be at most 40 characters.",
        );
    }
    let msn = b
        .pointer("/merchantInfo/merchantSerialNumber")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if msn.is_empty() {
        return invalid(
            "merchantSerialNumber",
            "merchantInfo.merchantSerialNumber is required.",
        );
    }
    let text = b
        .pointer("/transaction/transactionText")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if text.is_empty() || text.chars().count() > 100 {
        return invalid(
            "transactionText",
            "transaction.transactionText is required, at most 100 characters.",
        );
    }
    let amount = match b.pointer("/transaction/amount") {
        None | Some(Value::Null) => 0,
        Some(v) => match v.as_i64() {
            Some(a) if a >= 0 => a,
            _ => {
                return invalid(
                    "amount",
                    "transaction.amount must be a non-negative integer in øre.",
                );
            }
        },
    };
    let typed = if a == Action::Cancel {
        serde_json::from_value::<crate::wire::ecom::CancelPaymentActionRequest>(b.clone()).err()
    } else {
        serde_json::from_value::<crate::wire::ecom::PaymentActionsRequest>(b.clone()).err()
    };
    if let Some(e) = typed {
        return invalid(
            "body",
            format!("The body does not match the request schema: {e}."),
        );
    }
    let release = b
        .get("shouldReleaseRemainingFunds")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let now = state.now();
    let mut g = state.lock();
    let limit_key = match a {
        Action::Capture => "capture",
        Action::Cancel => "cancel",
        Action::Refund => "refund",
    };
    if g.cfg.rate_limits
        && let Err(wait) = g.rate.check(
            format!("ecom-{limit_key}:{msn}:{order_id}"),
            MUTATIONS_PER_MIN,
            now,
        )
    {
        return errors::too_many(wait);
    }
    let Some(i) = find(&g, &order_id, Some(&msn)) else {
        return errors::ecom(
            StatusCode::NOT_FOUND,
            "Merchant",
            "35",
            format!("orderId '{order_id}' not found for MSN {msn}."),
        );
    };
    let endpoint = match a {
        Action::Capture => "capture",
        Action::Cancel => "cancel",
        Action::Refund => "refund",
    };
    // X-Request-Id: same id → no additional change; different amount → 93.
    if let Some(rid) = &request_id {
        let k = (
            msn.clone(),
            order_id.clone(),
            endpoint.to_string(),
            rid.clone(),
        );
        if let Some(prev) = g.request_ids.get(&k) {
            if *prev != amount {
                return errors::ecom(
                    StatusCode::BAD_REQUEST,
                    "VippsError",
                    "93",
                    "The amount must be identical to the original request in an idempotent retry (same X-Request-Id).",
                );
            }
            let p = &g.payments[i];
            return reply(p, a, &text, now);
        }
    }
    let p = &mut g.payments[i];
    let key = request_id.clone();
    match a {
        Action::Capture => {
            match p.state {
                PState::Authorized => {}
                PState::Created => {
                    return payment_err(
                        "62",
                        "The payment is not reserved yet; capture after RESERVE.",
                    );
                }
                _ => {
                    return errors::ecom(
                        StatusCode::BAD_REQUEST,
                        "VippsError",
                        "91",
                        "Transaction is not allowed: the payment is cancelled.",
                    );
                }
            }
            let remaining = p.remaining_to_capture();
            let value = if amount == 0 { remaining } else { amount };
            if value == 0 || value > remaining {
                return payment_err(
                    "61",
                    format!(
                        "Capture amount {value} exceeds the reserved amount left to capture ({remaining})."
                    ),
                );
            }
            p.captured += value;
            p.push_op(OpKind::Capture, value, key, true, now, Some(text.clone()));
        }
        Action::Refund => {
            match p.state {
                PState::Authorized if p.captured > 0 => {}
                PState::Authorized => {
                    return payment_err(
                        "72",
                        "The payment is reserved, not captured: cancel it instead of refunding.",
                    );
                }
                _ => return payment_err("73", "The payment is cancelled and cannot be refunded."),
            }
            let refundable = p.captured - p.refunded;
            let value = if amount == 0 { refundable } else { amount };
            if value == 0 || value > refundable {
                return payment_err(
                    "71",
                    format!(
                        "Refund amount {value} exceeds the captured amount left to refund ({refundable})."
                    ),
                );
            }
            p.refunded += value;
            p.push_op(OpKind::Refund, value, key, true, now, Some(text.clone()));
        }
        Action::Cancel => match p.state {
            PState::Created => {
                p.state = PState::Terminated;
                p.cancelled = p.amount;
                let v = p.amount;
                p.push_op(OpKind::Cancel, v, key, true, now, Some(text.clone()));
            }
            PState::Authorized => {
                if p.captured >= p.amount || (p.captured > 0 && !release) {
                    return payment_err(
                        "51",
                        "Cannot cancel an already captured order; refund instead (or set shouldReleaseRemainingFunds after a partial capture).",
                    );
                }
                let remaining = p.amount - p.captured - p.cancelled;
                if remaining == 0 {
                    return errors::ecom(
                        StatusCode::BAD_REQUEST,
                        "VippsError",
                        "92",
                        "The transaction is already processed (cancelled).",
                    );
                }
                p.cancelled += remaining;
                p.push_op(OpKind::Void, remaining, key, true, now, Some(text.clone()));
            }
            _ => {
                return errors::ecom(
                    StatusCode::BAD_REQUEST,
                    "VippsError",
                    "92",
                    "The transaction is already processed (cancelled or expired).",
                );
            }
        },
    }
    if let Some(rid) = request_id {
        g.request_ids
            .insert((msn, order_id, endpoint.to_string(), rid), amount);
    }
    let Some(i) = find(&g, &i_ref(&g, i), None) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    reply(&g.payments[i], a, &text, now)
}

fn i_ref(g: &Inner, i: usize) -> String {
    g.payments
        .get(i)
        .map(|p| p.reference.clone())
        .unwrap_or_default()
}

fn reply(p: &Payment, a: Action, text: &str, now: time::OffsetDateTime) -> Response {
    let last = p.ops.last();
    let info = json!({
        "amount": last.map(|o| o.amount).unwrap_or(0),
        "status": match a { Action::Capture => "Captured", Action::Cancel => "Cancelled", Action::Refund => "Refund" },
        "timeStamp": rfc3339_millis(last.map(|o| o.time).unwrap_or(now)),
        "transactionId": last.map(|o| o.psp_reference.clone()).unwrap_or_default(),
        "transactionText": text,
    });
    let mut out = json!({"orderId": p.reference, "transactionSummary": summary(p)});
    if a == Action::Refund {
        out["transaction"] = info;
    } else {
        out["paymentInstrument"] = json!("CARD");
        out["transactionInfo"] = info;
    }
    errors::json_response(StatusCode::OK, &out)
}

pub async fn capture(
    State(s): State<SimState>,
    h: HeaderMap,
    Path(id): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    action(s, h, id, b, Action::Capture).await
}

pub async fn cancel(
    State(s): State<SimState>,
    h: HeaderMap,
    Path(id): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    action(s, h, id, b, Action::Cancel).await
}

pub async fn refund(
    State(s): State<SimState>,
    h: HeaderMap,
    Path(id): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    action(s, h, id, b, Action::Refund).await
}

/// `POST /ecomm/v2/integration-test/payments/{orderId}/approve`.
pub async fn force_approve(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let b = match json_body(Flavor::Ecom, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => return invalid("body", "{customerPhoneNumber, token} is required."),
        Err(r) => return r,
    };
    let phone = b
        .get("customerPhoneNumber")
        .and_then(Value::as_str)
        .unwrap_or("");
    if phone.len() != 8 || !phone.bytes().all(|c| c.is_ascii_digit()) {
        return invalid(
            "customerPhoneNumber",
            "customerPhoneNumber must be 8 digits.",
        );
    }
    if let Err(e) = serde_json::from_value::<crate::wire::ecom::ForceApproveRequest>(b.clone()) {
        return invalid(
            "body",
            format!("The body does not match the force-approve request: {e}."),
        );
    }
    let token = b.get("token").and_then(Value::as_str).unwrap_or("");
    let now = state.now();
    let mut g = state.lock();
    let Some(i) = find(&g, &order_id, None) else {
        return errors::ecom(
            StatusCode::NOT_FOUND,
            "Merchant",
            "35",
            format!("orderId '{order_id}' not found."),
        );
    };
    let p = &mut g.payments[i];
    if p.ecom.as_ref().is_some_and(|e| e.skip_landing_page) {
        return invalid(
            "skipLandingPage",
            "Force approve does not support skipLandingPage payments.",
        );
    }
    if token != p.token {
        return invalid(
            "token",
            "token must be the token query parameter of the initiate url.",
        );
    }
    match approve(p, now, Some(phone.to_string())) {
        Ok(_) => StatusCode::OK.into_response(),
        Err(ApproveError::NotWaiting(s)) => errors::ecom(
            StatusCode::BAD_REQUEST,
            "VippsError",
            "92",
            format!("The payment is {s}, not waiting for the customer."),
        ),
        Err(ApproveError::Declined {
            reason, ecom_code, ..
        }) => payment_err(
            ecom_code,
            format!("Reservation failed: {reason} (test amount)."),
        ),
    }
}
