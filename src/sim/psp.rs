//! PSP API v3 (legacy): init, details, updatestatus, force approve. Approval POSTs the network
//! token to the PSP's makePaymentUrl (see `state::Job`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{self, Flavor};
use super::http::{check_auth, header, json_body};
use super::state::{Api, ApproveError, OpKind, PState, Payment, PspInfo, SimState, approve};
use crate::clock::rfc3339_millis;

fn bad(code: &str, msg: impl Into<String>) -> Response {
    errors::psp(StatusCode::BAD_REQUEST, code, msg)
}

fn prelude(state: &SimState, headers: &HeaderMap) -> Result<String, Response> {
    check_auth(state, headers)?;
    if header(headers, "PSP-ID").is_none() {
        return Err(bad(
            "51",
            "Missing required header PSP-ID (the PSP's GUID).",
        ));
    }
    let Some(msn) = header(headers, "Merchant-Serial-Number") else {
        return Err(bad("51", "Missing required header Merchant-Serial-Number."));
    };
    if !state.lock().msn_known(&msn) {
        return Err(bad(
            "21",
            format!("Merchant {msn} is not available for this PSP."),
        ));
    }
    state.sweep();
    Ok(msn)
}

fn url_ok(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && s.len() > 8 && s.len() <= 1024
}

pub async fn init(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let b = match json_body(Flavor::Psp, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => return bad("51", "An InitiatePaymentRequest body is required."),
        Err(r) => return r,
    };
    if let Err(e) = serde_json::from_value::<crate::wire::psp::InitiatePaymentRequest>(b.clone()) {
        return bad(
            "51",
            format!("The body does not match InitiatePaymentRequest: {e}."),
        );
    }
    let s = |n: &str| b.get(n).and_then(Value::as_str).unwrap_or("").to_string();
    let psp_id = s("pspTransactionId");
    if psp_id.is_empty() || psp_id.len() > 36 {
        return bad("51", "pspTransactionId is required, at most 36 characters.");
    }
    let order_id = s("merchantOrderId");
    if !(1..=50).contains(&order_id.len())
        || !order_id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-')
    {
        return bad(
            "51",
            format!("merchantOrderId '{order_id}' must match ^[a-zA-Z0-9-]{{1,50}}$."),
        );
    }
    // Postman sends the amount as a string; accept both.
    let amount = match b.get("amount") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(t)) => t.parse::<i64>().ok(),
        _ => None,
    };
    let Some(amount) = amount.filter(|a| i32::try_from(*a).is_ok()) else {
        return bad("51", "amount is required: an integer in øre.");
    };
    if amount < 100 {
        return bad(
            "amount.less.than.one",
            format!("amount {amount} is below 1 NOK (100 øre)."),
        );
    }
    if s("currency") != "NOK" {
        return bad("transaction.currency.invalid", "currency must be NOK.");
    }
    let redirect = s("pspRedirectUrl");
    if !url_ok(&redirect) {
        return bad("51", "pspRedirectUrl is required and must be a URL.");
    }
    let make_url = s("makePaymentUrl");
    if !url_ok(&make_url) {
        return bad("51", "makePaymentUrl is required and must be a URL.");
    }
    let token = b
        .get("makePaymentToken")
        .and_then(Value::as_str)
        .map(str::to_string);
    if token.as_ref().is_some_and(|t| t.len() > 255) {
        return bad("51", "makePaymentToken must be at most 255 characters.");
    }
    let mobile = b
        .get("customerMobileNumber")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(m) = &mobile
        && (m.len() != 8 || !m.bytes().all(|c| c.is_ascii_digit()))
    {
        return bad(
            "51",
            format!("customerMobileNumber '{m}' must be 8 digits."),
        );
    }
    let skip = b
        .get("skipLandingPage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let now = state.now();
    let mut g = state.lock();
    if skip && (mobile.is_none() || !g.push_allowed(&msn)) {
        return bad(
            "51",
            "skipLandingPage needs a whitelisted sales unit and customerMobileNumber.",
        );
    }
    if g.find_psp(&psp_id).is_some() {
        return bad("44", format!("pspTransactionId '{psp_id}' already exists."));
    }
    if g.reference_taken(&msn, &order_id) {
        return bad(
            "99",
            format!("merchantOrderId '{order_id}' already exists for MSN {msn}."),
        );
    }
    let vtoken = uuid::Uuid::new_v4().simple().to_string();
    let url = format!("{}/sim/landing?token={vtoken}", g.base_url);
    let mut p = Payment {
        api: Api::Psp,
        msn: msn.clone(),
        reference: order_id.clone(),
        amount,
        currency: "NOK".into(),
        state: PState::Created,
        created_at: now,
        opened_at: None,
        expires_at: None,
        captured: 0,
        refunded: 0,
        cancelled: 0,
        user_flow: if skip { "PUSH_MESSAGE" } else { "WEB_REDIRECT" }.into(),
        redirect_url: Some(url.clone()),
        token: vtoken,
        phone: mobile,
        description: b
            .get("paymentText")
            .and_then(Value::as_str)
            .map(str::to_string),
        metadata: None,
        receipt: None,
        payment_method: "WALLET".into(),
        psp_reference: String::new(),
        ops: Vec::new(),
        ecom: None,
        psp: Some(PspInfo {
            psp_transaction_id: psp_id.clone(),
            make_payment_url: make_url,
            make_payment_token: token,
            redirect_url: redirect,
            processing: false,
            updates: Vec::new(),
        }),
    };
    p.push_op(OpKind::Create, amount, None, true, now, None);
    p.psp_reference = p.ops[0].psp_reference.clone();
    g.payments.push(p);
    errors::json_response(
        StatusCode::OK,
        &json!({"pspTransactionId": psp_id, "merchantOrderId": order_id, "vippsRedirectUrl": url}),
    )
}

pub async fn details(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(psp_id): Path<String>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let g = state.lock();
    let Some(i) = g.find_psp(&psp_id) else {
        return errors::psp(
            StatusCode::NOT_FOUND,
            "51",
            format!("pspTransactionId '{psp_id}' not found."),
        );
    };
    let p = &g.payments[i];
    let history: Vec<Value> = p
        .ops
        .iter()
        .rev()
        .filter(|o| o.kind != OpKind::Create)
        .map(|o| {
            json!({
                "amount": o.amount,
                "operation": o.name(Api::Psp),
                "operationSuccess": o.success,
                "timeStamp": rfc3339_millis(o.time),
            })
        })
        .collect();
    let mut out = json!({
        "pspTransactionId": psp_id,
        "merchantOrderId": p.reference,
        "transactionLogHistory": history,
    });
    if p.ops.len() > 1 {
        out["transactionSummary"] = json!({
            "capturedAmount": p.captured,
            "refundedAmount": p.refunded,
            "remainingAmountToCapture": p.remaining_to_capture(),
            "remainingAmountToRefund": p.captured - p.refunded,
        });
    }
    errors::json_response(StatusCode::OK, &out)
}

pub async fn update_status(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let b = match json_body(Flavor::Psp, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => return bad("51", "A body {transactions: [...]} is required."),
        Err(r) => return r,
    };
    if let Err(e) = serde_json::from_value::<crate::wire::psp::UpdateStatusRequest>(b.clone()) {
        return bad(
            "51",
            format!("The body does not match UpdateStatusRequest: {e}."),
        );
    }
    let Some(txs) = b.get("transactions").and_then(Value::as_array) else {
        return bad("51", "transactions is required and must be a list.");
    };
    let mut parsed = Vec::new();
    for (i, t) in txs.iter().enumerate() {
        let id = t
            .get("pspTransactionId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let status = t
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let amount = match t.get("amount") {
            Some(Value::String(a)) => a.parse::<i64>().ok(),
            Some(a) => a.as_i64(),
            None => None,
        };
        if id.is_empty()
            || !matches!(
                status.as_str(),
                "RESERVED" | "CAPTURED" | "CANCELLED" | "REFUNDED"
            )
        {
            return bad(
                "51",
                format!(
                    "transactions[{i}] needs pspTransactionId and status RESERVED, CAPTURED, CANCELLED or REFUNDED."
                ),
            );
        }
        let Some(amount) = amount.filter(|a| *a >= 0) else {
            return bad(
                "51",
                format!("transactions[{i}].amount must be a non-negative integer."),
            );
        };
        let success = t.get("operationStatus").and_then(Value::as_str) != Some("FAILED");
        parsed.push((id, status, amount, success));
    }
    let now = state.now();
    let mut g = state.lock();
    for (id, status, amount, success) in parsed {
        let Some(i) = g.find_psp(&id) else { continue };
        let p = &mut g.payments[i];
        // A PSP resends its report when the answer was lost; the report carries no key, so a
        // report identical to the last one for this transaction counts as that retry and is
        // not applied twice. (Two genuine partial operations of the same amount in a row
        // would be merged: a limitation of the simulator, not of Vipps.)
        let repeat = p.psp.as_ref().is_some_and(|info| {
            info.updates
                .last()
                .is_some_and(|(s, a, ok, _)| *s == status && *a == amount && *ok == success)
        });
        if let Some(info) = p.psp.as_mut() {
            info.updates.push((status.clone(), amount, success, now));
        }
        if repeat {
            continue;
        }
        let kind = match status.as_str() {
            "CAPTURED" => OpKind::Capture,
            "REFUNDED" => OpKind::Refund,
            "CANCELLED" => OpKind::Void,
            _ => continue,
        };
        if success {
            match kind {
                OpKind::Capture => p.captured += amount,
                OpKind::Refund => p.refunded += amount,
                _ => p.cancelled += amount,
            }
        }
        p.push_op(kind, amount, None, success, now, None);
    }
    errors::json_response(
        StatusCode::OK,
        &json!({"responseInfo": {"responseCode": "9000", "responseMessage": "SUCCESS"}}),
    )
}

/// `POST /psp/v3/integration-test/psppayments/{pspTransactionId}/approve`; answers after the
/// makePayment round trip.
pub async fn force_approve(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(psp_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = prelude(&state, &headers) {
        return r;
    }
    let b = match json_body(Flavor::Psp, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => return bad("51", "{customerPhoneNumber, token} is required."),
        Err(r) => return r,
    };
    let phone = b
        .get("customerPhoneNumber")
        .and_then(Value::as_str)
        .unwrap_or("");
    if phone.len() != 8 || !phone.bytes().all(|c| c.is_ascii_digit()) {
        return bad("51", "customerPhoneNumber must be 8 digits.");
    }
    let token = b.get("token").and_then(Value::as_str).unwrap_or("");
    let now = state.now();
    let job = {
        let mut g = state.lock();
        let Some(i) = g.find_psp(&psp_id) else {
            return errors::psp(
                StatusCode::NOT_FOUND,
                "51",
                format!("pspTransactionId '{psp_id}' not found."),
            );
        };
        let p = &mut g.payments[i];
        if token != p.token {
            return bad(
                "51",
                "token must be the token query parameter of vippsRedirectUrl.",
            );
        }
        match approve(p, now, Some(phone.to_string())) {
            Ok(job) => job,
            Err(ApproveError::NotWaiting(s)) => {
                return bad(
                    "51",
                    format!("The payment is {s}, not waiting for the customer."),
                );
            }
            Err(ApproveError::Declined { reason, .. }) => return bad("82", reason),
        }
    };
    if let Some(job) = job {
        state.run_job(job).await;
    }
    StatusCode::OK.into_response()
}
