//! ePayment API v1: create, get, events, cancel, capture, refund, test approve.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{self, Flavor};
use super::http::{check_auth, header, json_body};
use super::order_management::validate_receipt;
use super::ratelimit::{MUTATIONS_PER_MIN, READS_PER_MIN};
use super::state::{
    Api, ApproveError, IdemEntry, Inner, OpKind, PState, Payment, SimState, approve,
};
use crate::clock::rfc3339_millis;
use crate::domain::money::Currency;
use crate::wire::epayment as ep;

/// A reply that can be stored for idempotent replay.
struct Reply {
    status: StatusCode,
    body: Option<Value>,
    /// Sent as `application/problem+json`: every error, and a successful capture / refund /
    /// cancel, whose `AdjustResponse` the spec declares with that content type
    /// (epayment-v1.yaml, components/responses/AdjustResponse).
    problem: bool,
}

impl Reply {
    fn ok(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            problem: false,
        }
    }
    /// A successful capture / refund / cancel (`AdjustResponse`).
    fn adjusted(body: Value) -> Reply {
        Reply {
            status: StatusCode::OK,
            body: Some(body),
            problem: true,
        }
    }
    fn err(status: StatusCode, code: &str, detail: impl Into<String>) -> Reply {
        Reply {
            status,
            body: Some(errors::epayment_body(status, Some(code), detail)),
            problem: true,
        }
    }
    fn into_response(self) -> Response {
        match self.body {
            Some(b) if self.problem => {
                errors::with_type(self.status, &b, "application/problem+json")
            }
            Some(b) => errors::json_response(self.status, &b),
            None => self.status.into_response(),
        }
    }
}

fn is_reference(s: &str) -> bool {
    (8..=50).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Auth, `Merchant-Serial-Number`, lazy expiry. Returns the MSN.
fn prelude(state: &SimState, headers: &HeaderMap) -> Result<String, Response> {
    check_auth(state, headers)?;
    let Some(msn) = header(headers, "Merchant-Serial-Number") else {
        return Err(errors::epayment(
            StatusCode::BAD_REQUEST,
            Some("4140"),
            "Missing required header Merchant-Serial-Number (the sales unit's MSN, 4-6 digits).",
        ));
    };
    if !(4..=6).contains(&msn.len()) || !msn.bytes().all(|b| b.is_ascii_digit()) {
        return Err(errors::epayment(
            StatusCode::BAD_REQUEST,
            Some("4140"),
            format!("Merchant-Serial-Number '{msn}' must be 4-6 digits."),
        ));
    }
    if !state.lock().msn_known(&msn) {
        return Err(errors::epayment(
            StatusCode::FORBIDDEN,
            Some("5070"),
            format!("The credentials are not valid for Merchant-Serial-Number {msn}."),
        ));
    }
    state.sweep();
    Ok(msn)
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, Response> {
    match header(headers, "Idempotency-Key") {
        None => Err(errors::epayment(
            StatusCode::BAD_REQUEST,
            Some("4140"),
            "Missing required header Idempotency-Key (max 50 characters; reuse it on retries).",
        )),
        Some(k) if k.len() > 50 => Err(errors::epayment(
            StatusCode::BAD_REQUEST,
            Some("4140"),
            format!(
                "Idempotency-Key is {} characters; at most 50 are allowed.",
                k.len()
            ),
        )),
        Some(k) => Ok(k),
    }
}

/// Same key in the same scope (MSN + operation + reference) with the same body → the stored
/// reply; with a different body → 409. The same key in another scope is a new request.
fn replay(
    g: &Inner,
    msn: &str,
    key: &str,
    op: &str,
    body: &Value,
    conflict: &str,
) -> Option<Reply> {
    let e = g
        .idem
        .get(&(msn.to_string(), op.to_string(), key.to_string()))?;
    if &e.body == body {
        return Some(Reply {
            status: StatusCode::from_u16(e.status).unwrap_or(StatusCode::OK),
            body: Some(e.response.clone()),
            problem: e.content_type.contains("problem"),
        });
    }
    Some(Reply::err(
        StatusCode::CONFLICT,
        conflict,
        format!(
            "Idempotency-Key '{key}' was already used with a different request. Use the same body to retry, or a new key for a new operation."
        ),
    ))
}

fn store(g: &mut Inner, msn: &str, key: &str, op: &str, body: &Value, reply: &Reply) {
    let code = reply.status.as_u16();
    if code >= 500 || code == 429 {
        return;
    }
    g.idem.insert(
        (msn.to_string(), op.to_string(), key.to_string()),
        IdemEntry {
            op: op.to_string(),
            body: body.clone(),
            status: code,
            response: reply.body.clone().unwrap_or(Value::Null),
            content_type: if reply.problem {
                "application/problem+json".into()
            } else {
                "application/json".into()
            },
        },
    );
}

fn bad(code: &str, detail: impl Into<String>) -> Reply {
    Reply::err(StatusCode::BAD_REQUEST, code, detail)
}

/// `{currency, value}` validated; returns (currency, value).
fn amount(v: Option<&Value>, field: &str) -> Result<(String, i64), Reply> {
    let Some(obj) = v.and_then(Value::as_object) else {
        return Err(bad(
            "4140",
            format!("{field} is required: {{\"currency\": \"NOK\", \"value\": <minor units>}}."),
        ));
    };
    let currency = obj.get("currency").and_then(Value::as_str).unwrap_or("");
    if !matches!(currency, "NOK" | "DKK" | "EUR") {
        return Err(bad(
            "4040",
            format!(
                "{field}.currency must be NOK, DKK or EUR, got {}.",
                obj.get("currency")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "nothing".into())
            ),
        ));
    }
    let Some(value) = obj.get("value").and_then(Value::as_i64) else {
        return Err(bad(
            "4040",
            format!(
                "{field}.value must be an integer amount in minor units (øre/cent), got {}.",
                obj.get("value")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "nothing".into())
            ),
        ));
    };
    if !(0..=65_000_000).contains(&value) {
        return Err(bad(
            "4040",
            format!("{field}.value {value} is outside 0..65000000."),
        ));
    }
    Ok((currency.to_string(), value))
}

fn wire_amount(p: &Payment, value: i64) -> ep::Amount {
    ep::Amount::new(value, Currency::parse(&p.currency).unwrap_or(Currency::Nok))
}

fn wire_aggregate(p: &Payment) -> ep::Aggregate {
    ep::Aggregate {
        authorized_amount: wire_amount(p, p.authorized_amount()),
        cancelled_amount: wire_amount(p, p.cancelled),
        captured_amount: wire_amount(p, p.captured),
        refunded_amount: wire_amount(p, p.refunded),
    }
}

fn to_json<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// `GetPaymentResponse`, built from the shared wire type.
fn payment_json(p: &Payment) -> Value {
    let metadata = p
        .metadata
        .as_ref()
        .and_then(|m| serde_json::from_value(m.clone()).ok());
    to_json(&ep::GetPaymentResponse {
        aggregate: wire_aggregate(p),
        amount: wire_amount(p, p.amount),
        state: ep::PaymentState::from_wire(p.state.epayment_name()),
        payment_method: ep::PaymentMethodResponse {
            kind: ep::PaymentMethodType::from_wire(&p.payment_method),
            card_bin: (p.state == PState::Authorized).then(|| "492556".to_string()),
        },
        profile: ep::ProfileResponse::default(),
        psp_reference: p.psp_reference.clone(),
        redirect_url: p.redirect_url.clone(),
        reference: p.reference.clone(),
        metadata,
    })
}

/// `ModificationResponse`, built from the shared wire type.
fn modification_json(p: &Payment) -> Value {
    to_json(&ep::ModificationResponse {
        amount: wire_amount(p, p.amount),
        state: ep::PaymentState::from_wire(p.state.epayment_name()),
        aggregate: wire_aggregate(p),
        psp_reference: p
            .ops
            .last()
            .map(|o| o.psp_reference.clone())
            .unwrap_or_else(|| p.psp_reference.clone()),
        reference: p.reference.clone(),
    })
}

fn validate_create(
    g: &Inner,
    msn: &str,
    b: &Value,
    now: time::OffsetDateTime,
) -> Result<Payment, Reply> {
    let Some(obj) = b.as_object() else {
        return Err(bad(
            "4140",
            "The request body must be a JSON object (CreatePaymentRequest).",
        ));
    };
    let (currency, value) = amount(obj.get("amount"), "amount")?;
    let unit_currency = g.cfg.currency_of(msn);
    if currency != unit_currency {
        return Err(bad(
            "5040",
            format!(
                "amount.currency {currency} is not supported by sales unit {msn}, which takes {unit_currency}. Use {unit_currency}, or a sales unit for {currency}."
            ),
        ));
    }
    let min = if currency == "NOK" { 100 } else { 1 };
    if value < min {
        return Err(bad(
            "6010",
            format!("amount.value {value} is too small; the minimum for {currency} is {min}."),
        ));
    }
    let method = b
        .pointer("/paymentMethod/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !matches!(method, "WALLET" | "CARD") {
        return Err(bad(
            "4160",
            format!("paymentMethod.type must be WALLET or CARD, got '{method}'."),
        ));
    }
    let reference = obj.get("reference").and_then(Value::as_str).unwrap_or("");
    if !is_reference(reference) {
        return Err(bad(
            "4140",
            format!("reference '{reference}' must match ^[a-zA-Z0-9-]{{8,50}}$."),
        ));
    }
    let flow = obj.get("userFlow").and_then(Value::as_str).unwrap_or("");
    if !matches!(
        flow,
        "PUSH_MESSAGE" | "NATIVE_REDIRECT" | "WEB_REDIRECT" | "QR"
    ) {
        return Err(bad(
            "4140",
            format!(
                "userFlow must be PUSH_MESSAGE, NATIVE_REDIRECT, WEB_REDIRECT or QR, got '{flow}'."
            ),
        ));
    }
    if method == "CARD" && flow != "WEB_REDIRECT" {
        return Err(bad(
            "4160",
            "paymentMethod.type CARD only works with userFlow WEB_REDIRECT.",
        ));
    }
    let mut phone = None;
    match obj.get("customer") {
        None | Some(Value::Null) => {
            if flow == "PUSH_MESSAGE" {
                return Err(bad(
                    "4140",
                    "customer is required for userFlow PUSH_MESSAGE: {\"phoneNumber\": \"4791234567\"}.",
                ));
            }
        }
        Some(Value::Object(c)) => {
            if c.len() != 1 {
                return Err(bad(
                    "4140",
                    "customer must contain exactly one of phoneNumber, personalQr or customerToken.",
                ));
            }
            if let Some(pn) = c.get("phoneNumber") {
                let s = pn.as_str().unwrap_or("");
                if !(10..=15).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad(
                        "4070",
                        format!(
                            "customer.phoneNumber '{s}' must be 10-15 digits with country code, e.g. 4791234567."
                        ),
                    ));
                }
                phone = Some(s.to_string());
            } else if let Some(q) = c.get("personalQr") {
                let s = q.as_str().unwrap_or("");
                if !(5..=255).contains(&s.len()) {
                    return Err(bad(
                        "4060",
                        "customer.personalQr must be 5-255 characters (the full scanned content).",
                    ));
                }
            } else if let Some(t) = c.get("customerToken") {
                if t.as_str().is_none_or(str::is_empty) {
                    return Err(bad(
                        "4050",
                        "customer.customerToken must be a non-empty string.",
                    ));
                }
            } else {
                return Err(bad(
                    "4140",
                    "customer must contain phoneNumber, personalQr or customerToken.",
                ));
            }
        }
        Some(_) => return Err(bad("4140", "customer must be an object.")),
    }
    if flow == "PUSH_MESSAGE" && !g.push_allowed(msn) {
        return Err(Reply::err(
            StatusCode::FORBIDDEN,
            "5080",
            format!(
                "Sales unit {msn} is not allowed to use userFlow PUSH_MESSAGE (skip landing page). Use QR or WEB_REDIRECT."
            ),
        ));
    }
    if flow == "PUSH_MESSAGE"
        && let Some(ph) = phone.as_deref()
        && g.not_a_user(ph)
    {
        return Err(bad(
            "7010",
            format!(
                "Customer not found: {ph} cannot pay businesses with Vipps MobilePay (not a user, too young or blocked). Ask for another payment method."
            ),
        ));
    }
    if let Some(ci) = obj.get("customerInteraction").filter(|v| !v.is_null())
        && !matches!(
            ci.as_str(),
            Some("CUSTOMER_PRESENT" | "CUSTOMER_NOT_PRESENT")
        )
    {
        return Err(bad(
            "4140",
            format!(
                "customerInteraction must be CUSTOMER_PRESENT or CUSTOMER_NOT_PRESENT, got {ci}."
            ),
        ));
    }
    match obj.get("returnUrl").filter(|v| !v.is_null()) {
        Some(u) => {
            let s = u.as_str().unwrap_or("");
            let scheme_ok = s.starts_with("https://")
                || (s.contains("://")
                    && !s.starts_with("http://")
                    && s.split("://").next().is_some_and(|sc| {
                        !sc.is_empty()
                            && sc.bytes().all(|b| {
                                b.is_ascii_alphanumeric() || b == b'+' || b == b'.' || b == b'-'
                            })
                    }));
            if !scheme_ok || s.len() > 2048 {
                return Err(bad(
                    "4090",
                    format!("returnUrl '{s}' must be https:// or a custom app scheme."),
                ));
            }
        }
        None => {
            if matches!(flow, "WEB_REDIRECT" | "NATIVE_REDIRECT") {
                return Err(bad(
                    "4140",
                    format!("returnUrl is required for userFlow {flow}."),
                ));
            }
        }
    }
    let description = match obj.get("paymentDescription").filter(|v| !v.is_null()) {
        Some(d) => {
            let s = d.as_str().unwrap_or("");
            let n = s.chars().count();
            if !(3..=100).contains(&n) {
                return Err(bad(
                    "4140",
                    format!("paymentDescription must be 3-100 characters, got {n}."),
                ));
            }
            Some(s.to_string())
        }
        None => None,
    };
    let mut qr_format = "IMAGE/SVG+XML".to_string();
    let mut qr_size = 1024;
    if let Some(q) = obj.get("qrFormat").filter(|v| !v.is_null()) {
        if flow != "QR" {
            return Err(bad("4140", "qrFormat may only be sent with userFlow QR."));
        }
        let f = q.get("format").and_then(Value::as_str).unwrap_or("");
        if !matches!(f, "TEXT/TARGETURL" | "IMAGE/SVG+XML" | "IMAGE/PNG") {
            return Err(bad(
                "4140",
                format!(
                    "qrFormat.format must be TEXT/TARGETURL, IMAGE/SVG+XML or IMAGE/PNG, got '{f}'."
                ),
            ));
        }
        if let Some(size) = q.get("size").filter(|v| !v.is_null()) {
            let ok = size.as_i64().is_some_and(|s| (100..=2000).contains(&s));
            qr_size = size.as_i64().unwrap_or(1024);
            // The official Postman collection sends `size` with IMAGE/SVG+XML too; accept it.
            if !ok {
                return Err(bad(
                    "4140",
                    format!("qrFormat.size must be 100-2000 and only with IMAGE/PNG, got {size}."),
                ));
            }
        }
        qr_format = f.to_string();
    }
    let receipt = obj.get("receipt").filter(|v| !v.is_null()).cloned();
    if let Some(r) = &receipt
        && let Err((field, reason)) = validate_receipt(r)
    {
        return Err(bad("4140", format!("receipt.{field}: {reason}")));
    }
    let mut expires_at = None;
    if let Some(e) = obj.get("expiresAt").filter(|v| !v.is_null()) {
        let s = e.as_str().unwrap_or("");
        let at = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                bad(
                    "4140",
                    format!("expiresAt '{s}' must be an RFC 3339 timestamp."),
                )
            })?;
        if !matches!(flow, "PUSH_MESSAGE" | "QR") {
            return Err(bad(
                "4140",
                "expiresAt is only allowed with userFlow PUSH_MESSAGE or QR.",
            ));
        }
        if receipt.is_none() {
            return Err(bad(
                "6130",
                "A long-living payment (expiresAt) needs a receipt.",
            ));
        }
        if at <= now + time::Duration::minutes(10) {
            return Err(bad(
                "6120",
                "expiresAt must be more than 10 minutes from now.",
            ));
        }
        if at >= now + time::Duration::days(28) {
            return Err(bad("6110", "expiresAt must be less than 28 days from now."));
        }
        expires_at = Some(at);
    }
    let metadata = obj.get("metadata").filter(|v| !v.is_null()).cloned();
    if let Some(m) = &metadata {
        let Some(map) = m.as_object() else {
            return Err(bad("4100", "metadata must be an object of string values."));
        };
        if map.len() > 5 {
            return Err(bad(
                "4100",
                format!("metadata has {} entries; at most 5 are allowed.", map.len()),
            ));
        }
        for (k, v) in map {
            if k.chars().count() > 100 {
                return Err(bad(
                    "4110",
                    format!("metadata key '{k}' is longer than 100 characters."),
                ));
            }
            match v.as_str() {
                Some(s) if s.chars().count() <= 500 => {}
                Some(_) => {
                    return Err(bad(
                        "4120",
                        format!("metadata value for '{k}' is longer than 500 characters."),
                    ));
                }
                None => {
                    return Err(bad(
                        "4130",
                        format!("metadata value for '{k}' must be a string."),
                    ));
                }
            }
        }
    }
    if let Some(scope) = b.pointer("/profile/scope") {
        let ok = scope.as_str().is_some_and(|s| {
            s.split_whitespace().all(|w| {
                matches!(
                    w,
                    "name"
                        | "address"
                        | "email"
                        | "phoneNumber"
                        | "birthDate"
                        | "nin"
                        | "accountNumbers"
                )
            })
        });
        if !ok {
            return Err(bad(
                "4080",
                format!("profile.scope {scope} has unknown scopes."),
            ));
        }
    }
    // Final gate: the body must also parse as the shared wire type.
    if let Err(e) = serde_json::from_value::<ep::CreatePaymentRequest>(b.clone()) {
        return Err(bad(
            "4140",
            format!("The body does not match CreatePaymentRequest: {e}."),
        ));
    }
    if g.reference_taken(msn, reference) {
        return Err(Reply::err(
            StatusCode::CONFLICT,
            "4150",
            format!(
                "Reference '{reference}' already exists for MSN {msn}. Use a new reference for a new payment."
            ),
        ));
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    let base = &g.base_url;
    let redirect_url = match flow {
        "PUSH_MESSAGE" => None,
        "QR" => Some(match qr_format.as_str() {
            "TEXT/TARGETURL" => format!("{base}/sim/landing?token={token}"),
            "IMAGE/PNG" => format!("{base}/sim/qr?token={token}&format=png&size={qr_size}"),
            _ => format!("{base}/sim/qr?token={token}&format=svg"),
        }),
        "NATIVE_REDIRECT" => Some(format!("vippsMT://?token={token}&sim={base}")),
        _ => Some(format!("{base}/sim/landing?token={token}")),
    };
    let p = Payment {
        api: Api::Epayment,
        msn: msn.to_string(),
        reference: reference.to_string(),
        amount: value,
        currency,
        state: PState::Created,
        created_at: now,
        opened_at: None,
        expires_at,
        captured: 0,
        refunded: 0,
        cancelled: 0,
        user_flow: flow.to_string(),
        redirect_url,
        token,
        phone,
        description,
        metadata,
        receipt,
        payment_method: method.to_string(),
        psp_reference: String::new(),
        ops: Vec::new(),
        ecom: None,
        psp: None,
    };
    Ok(p).map(|mut p: Payment| {
        let amount = p.amount;
        p.push_op(OpKind::Create, amount, None, true, now, None);
        p.psp_reference = p.ops[0].psp_reference.clone();
        p
    })
}

pub async fn create(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let body = match json_body(Flavor::Epayment, &headers, body) {
        Ok(Some(b)) => b,
        Ok(None) => return bad("4140", "A CreatePaymentRequest body is required.").into_response(),
        Err(r) => return r,
    };
    let body = numbers_as_strings(body);
    let now = state.now();
    let mut g = state.lock();
    // The gateway counts every call, replays included; a missing reference makes every such
    // call count as the same payment (vipps-api.md §1.9).
    let reference = body
        .get("reference")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if g.cfg.rate_limits
        && let Err(wait) = g.rate.check(
            format!("ep-create:{msn}:{reference}"),
            MUTATIONS_PER_MIN,
            now,
        )
    {
        return errors::too_many(wait);
    }
    if let Some(r) = replay(&g, &msn, &key, "create", &body, "4020") {
        return r.into_response();
    }
    let reply = match validate_create(&g, &msn, &body, now) {
        Ok(mut p) => {
            if let Some(op) = p.ops.first_mut() {
                op.key = Some(key.clone());
            }
            let mut out = json!({"reference": p.reference});
            if let Some(u) = &p.redirect_url {
                out["redirectUrl"] = json!(u);
            }
            g.payments.push(p);
            Reply::ok(StatusCode::CREATED, out)
        }
        Err(r) => {
            let code = r
                .body
                .as_ref()
                .and_then(|b| b.pointer("/extraDetails/0/reason"))
                .and_then(Value::as_str)
                .filter(|c| super::ledger::RECORDED_REFUSALS.contains(c))
                .map(str::to_owned);
            if let Some(code) = code {
                g.refused.push(super::ledger::LedgerRefusal {
                    api: Api::Epayment,
                    msn: msn.clone(),
                    reference: reference.clone(),
                    code,
                    at: crate::clock::rfc3339_millis(now),
                });
            }
            r
        }
    };
    store(&mut g, &msn, &key, "create", &body, &reply);
    reply.into_response()
}

/// Vipps' own Postman collection sends `reference` and `customer.phoneNumber` as JSON numbers
/// (unquoted variables) and the real API accepts them; coerce them to strings.
fn numbers_as_strings(mut body: Value) -> Value {
    if let Some(n) = body
        .get("reference")
        .filter(|v| v.is_u64())
        .map(Value::to_string)
    {
        body["reference"] = Value::String(n);
    }
    if let Some(n) = body
        .pointer("/customer/phoneNumber")
        .filter(|v| v.is_u64())
        .map(Value::to_string)
    {
        body["customer"]["phoneNumber"] = Value::String(n);
    }
    body
}

/// ePayment reads and modifications also work on eCom-initiated payments ("migrate create
/// last"); not the other way round.
fn find_ep(g: &Inner, msn: &str, reference: &str) -> Option<usize> {
    g.find(Api::Epayment, msn, reference)
        .or_else(|| g.find(Api::Ecom, msn, reference))
}

fn not_found(reference: &str, msn: &str) -> Reply {
    Reply::err(
        StatusCode::NOT_FOUND,
        "5090",
        format!("No payment with reference '{reference}' for MSN {msn}."),
    )
}

fn read_limit(
    g: &mut Inner,
    headers: &HeaderMap,
    reference: &str,
    now: time::OffsetDateTime,
) -> Result<(), Response> {
    if !g.cfg.rate_limits {
        return Ok(());
    }
    let sub = header(headers, "Ocp-Apim-Subscription-Key").unwrap_or_default();
    g.rate
        .check(format!("ep-read:{sub}:{reference}"), READS_PER_MIN, now)
        .map_err(errors::too_many)
}

pub async fn get_payment(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let now = state.now();
    let mut g = state.lock();
    if let Err(r) = read_limit(&mut g, &headers, &reference, now) {
        return r;
    }
    match find_ep(&g, &msn, &reference) {
        Some(i) => errors::json_response(StatusCode::OK, &payment_json(&g.payments[i])),
        None => not_found(&reference, &msn).into_response(),
    }
}

pub async fn get_events(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let now = state.now();
    let mut g = state.lock();
    if let Err(r) = read_limit(&mut g, &headers, &reference, now) {
        return r;
    }
    let Some(i) = find_ep(&g, &msn, &reference) else {
        return not_found(&reference, &msn).into_response();
    };
    let p = &g.payments[i];
    let events: Vec<ep::PaymentEvent> = p
        .ops
        .iter()
        .map(|o| ep::PaymentEvent {
            reference: p.reference.clone(),
            psp_reference: o.psp_reference.clone(),
            name: ep::PaymentEventName::from_wire(o.name(Api::Epayment)),
            amount: wire_amount(p, o.amount),
            timestamp: rfc3339_millis(o.time),
            idempotency_key: o.key.clone(),
            success: o.success,
        })
        .collect();
    // The spec's PaymentEvent lists `paymentAction` as required while its properties (and the
    // real API) use `name`; send both so clients written against either work.
    let mut out = to_json(&events);
    if let Some(list) = out.as_array_mut() {
        for e in list {
            let name = e.get("name").cloned().unwrap_or(Value::Null);
            e["paymentAction"] = name;
        }
    }
    errors::json_response(StatusCode::OK, &out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Modify {
    Capture,
    Refund,
    Cancel,
}

impl Modify {
    fn op(self) -> &'static str {
        match self {
            Modify::Capture => "capture",
            Modify::Refund => "refund",
            Modify::Cancel => "cancel",
        }
    }
    fn conflict_code(self) -> &'static str {
        match self {
            Modify::Capture => "4010",
            Modify::Refund => "4150",
            Modify::Cancel => "4020",
        }
    }
}

fn apply(p: &mut Payment, m: Modify, body: &Value, key: &str, now: time::OffsetDateTime) -> Reply {
    let modification = |p: &Payment| Reply::adjusted(modification_json(p));
    match m {
        Modify::Cancel => {
            let tx_only = body
                .get("cancelTransactionOnly")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if serde_json::from_value::<ep::CancelModificationRequest>(body.clone()).is_err() {
                return bad("4140", "cancelTransactionOnly must be true or false.");
            }
            match p.state {
                PState::Created => {
                    if p.psp.as_ref().is_some_and(|i| i.processing) {
                        return bad(
                            "6250",
                            "The customer is authorizing this payment; retry the cancel shortly with the same key.",
                        );
                    }
                    p.state = PState::Terminated;
                    p.cancelled = p.amount;
                    let a = p.amount;
                    p.push_op(OpKind::Cancel, a, Some(key.into()), true, now, None);
                    modification(p)
                }
                PState::Authorized => {
                    if tx_only {
                        return bad(
                            "6060",
                            "The payment is already AUTHORIZED; cancelTransactionOnly refuses to cancel it. Capture or cancel without cancelTransactionOnly.",
                        );
                    }
                    if p.captured >= p.amount {
                        return bad(
                            "6040",
                            "The payment is fully captured and cannot be cancelled; refund instead.",
                        );
                    }
                    let remaining = p.amount - p.captured - p.cancelled;
                    if remaining > 0 {
                        p.cancelled += remaining;
                        p.push_op(OpKind::Void, remaining, Some(key.into()), true, now, None);
                    }
                    modification(p)
                }
                PState::Terminated => modification(p),
                s => bad(
                    "6190",
                    format!(
                        "A payment in state {} cannot be cancelled.",
                        s.epayment_name()
                    ),
                ),
            }
        }
        Modify::Capture | Modify::Refund => {
            let (currency, value) =
                match amount(body.get("modificationAmount"), "modificationAmount") {
                    Ok(a) => a,
                    Err(r) => return r,
                };
            let typed = if m == Modify::Capture || m == Modify::Refund {
                serde_json::from_value::<ep::ModificationRequest>(body.clone()).err()
            } else {
                None
            };
            if let Some(e) = typed {
                return bad(
                    "4140",
                    format!("The body does not match ModificationRequest: {e}."),
                );
            }
            if currency != p.currency {
                return bad(
                    "4040",
                    format!(
                        "modificationAmount.currency {currency} does not match the payment's {}.",
                        p.currency
                    ),
                );
            }
            if value == 0 {
                return bad("4040", "modificationAmount.value must be greater than 0.");
            }
            if m == Modify::Capture {
                match p.state {
                    PState::Authorized => {}
                    PState::Created => {
                        return bad(
                            "6080",
                            "The payment is not authorized yet; wait for AUTHORIZED before capturing.",
                        );
                    }
                    PState::Terminated => {
                        return bad("6070", "The payment was cancelled and cannot be captured.");
                    }
                    s => {
                        return bad(
                            "6200",
                            format!(
                                "A payment in state {} cannot be captured.",
                                s.epayment_name()
                            ),
                        );
                    }
                }
                let remaining = p.amount - p.cancelled - p.captured;
                if value > remaining {
                    if p.cancelled > 0 && remaining == 0 {
                        return bad(
                            "6070",
                            "The remaining amount was cancelled and cannot be captured.",
                        );
                    }
                    return bad(
                        "6090",
                        format!("Capture of {value} exceeds the capturable amount {remaining}."),
                    );
                }
                p.captured += value;
                p.push_op(OpKind::Capture, value, Some(key.into()), true, now, None);
            } else {
                if p.state != PState::Authorized {
                    return bad(
                        "6020",
                        format!(
                            "A payment in state {} has nothing to refund.",
                            p.state.epayment_name()
                        ),
                    );
                }
                match value {
                    12300 => {
                        return Reply::err(
                            StatusCode::BAD_REQUEST,
                            "5100",
                            "Refund not possible: the customer cannot receive refunds (test amount 123).",
                        );
                    }
                    12400 => {
                        return bad("6220", "The refund period has expired (test amount 124).");
                    }
                    _ => {}
                }
                let refundable = p.captured - p.refunded;
                if value > refundable {
                    return bad(
                        "6150",
                        format!(
                            "Refund of {value} exceeds the refundable amount {refundable} (captured {} − refunded {}).",
                            p.captured, p.refunded
                        ),
                    );
                }
                p.refunded += value;
                p.push_op(OpKind::Refund, value, Some(key.into()), true, now, None);
            }
            modification(p)
        }
    }
}

async fn modify(
    state: SimState,
    headers: HeaderMap,
    reference: String,
    body: Result<Bytes, BytesRejection>,
    m: Modify,
) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let body = match json_body(Flavor::Epayment, &headers, body) {
        Ok(b) => b.unwrap_or_else(|| json!({})),
        Err(r) => return r,
    };
    let now = state.now();
    let mut g = state.lock();
    let op = format!("{}:{reference}", m.op());
    if g.cfg.rate_limits
        && let Err(wait) = g
            .rate
            .check(format!("ep-{op}:{msn}"), MUTATIONS_PER_MIN, now)
    {
        return errors::too_many(wait);
    }
    if let Some(r) = replay(&g, &msn, &key, &op, &body, m.conflict_code()) {
        return r.into_response();
    }
    let reply = match find_ep(&g, &msn, &reference) {
        Some(i) => apply(&mut g.payments[i], m, &body, &key, now),
        None => not_found(&reference, &msn),
    };
    store(&mut g, &msn, &key, &op, &body, &reply);
    reply.into_response()
}

pub async fn capture(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    modify(state, headers, reference, body, Modify::Capture).await
}

pub async fn refund(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    modify(state, headers, reference, body, Modify::Refund).await
}

pub async fn cancel(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    modify(state, headers, reference, body, Modify::Cancel).await
}

/// `POST /epayment/v1/test/payments/{reference}/approve`.
pub async fn force_approve(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let msn = match prelude(&state, &headers) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let body = match json_body(Flavor::Epayment, &headers, body) {
        Ok(b) => numbers_as_strings(b.unwrap_or_else(|| json!({}))),
        Err(r) => return r,
    };
    if let Err(e) = serde_json::from_value::<ep::ForceApproveRequest>(body.clone()) {
        return bad(
            "4140",
            format!("The body does not match ForceApproveRequest: {e}."),
        )
        .into_response();
    }
    let phone = body
        .pointer("/customer/phoneNumber")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(ph) = &phone
        && (!(10..=15).contains(&ph.len()) || !ph.bytes().all(|b| b.is_ascii_digit()))
    {
        return bad(
            "4070",
            format!("customer.phoneNumber '{ph}' must be 10-15 digits with country code."),
        )
        .into_response();
    }
    let now = state.now();
    let mut g = state.lock();
    let Some(i) = g.find(Api::Epayment, &msn, &reference) else {
        return not_found(&reference, &msn).into_response();
    };
    match approve(&mut g.payments[i], now, phone) {
        Ok(_) => StatusCode::OK.into_response(),
        Err(ApproveError::NotWaiting(s)) => bad(
            "10010",
            format!("Approve failed: the payment is {s}, not waiting for the customer."),
        )
        .into_response(),
        Err(ApproveError::Declined {
            reason,
            epayment_code,
            ..
        }) => bad(
            epayment_code,
            format!(
                "Approve failed: {reason} (test-environment magic amount). The payment is ABORTED."
            ),
        )
        .into_response(),
    }
}
