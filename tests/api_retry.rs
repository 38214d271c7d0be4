#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Retry behaviour under paused tokio time: same Idempotency-Key / X-Request-Id and
//! byte-identical body on every attempt, Retry-After honoured, final 4xx not retried, caps.

mod common;
use api_support::*;
use common::api as api_support;
use kasse::api::epayment::{Amount, CreatePaymentRequest, ModificationRequest, UserFlow};
use kasse::api::{IdempotencyKey, RequestId, ecom};
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REF: &str = "s1-t1-000200-1";

fn problem(status: u16, code: &str) -> serde_json::Value {
    json!({"type": "https://example/errors", "title": "t", "status": status, "traceId": "tr-1",
        "extraDetails": [{"name": "ErrorCode", "reason": code}]})
}

fn modification_ok() -> serde_json::Value {
    let a = json!({"currency": "NOK", "value": 5000});
    json!({"amount": a, "state": "AUTHORIZED", "pspReference": "p", "reference": REF,
        "aggregate": {"authorizedAmount": a, "capturedAmount": a, "refundedAmount": {"currency": "NOK", "value": 0},
        "cancelledAmount": {"currency": "NOK", "value": 0}}})
}

async fn capture_server(first: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    for t in first {
        Mock::given(method("POST"))
            .and(path(format!("/epayment/v1/payments/{REF}/capture")))
            .respond_with(t)
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(format!("/epayment/v1/payments/{REF}/capture")))
        .respond_with(ResponseTemplate::new(200).set_body_json(modification_ok()))
        .mount(&server)
        .await;
    server
}

fn cap() -> ModificationRequest {
    ModificationRequest {
        modification_amount: Amount::nok(5000),
    }
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_with_same_key_and_bytes() {
    let server = capture_server(vec![ResponseTemplate::new(500), ResponseTemplate::new(503)]).await;
    let vipps = client(&server);
    let t0 = Instant::now();
    let key = IdempotencyKey::new("s1-t1-000200-1:capture:1").unwrap();
    vipps.epayment().capture(REF, &cap(), &key).await.unwrap();
    // back-off with jitter 0: 250 ms, then 500 ms
    assert!(
        t0.elapsed() >= Duration::from_millis(750),
        "{:?}",
        t0.elapsed()
    );
    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(header(r, "idempotency-key").as_deref(), Some(key.as_str()));
        assert_eq!(r.body, reqs[0].body, "byte-identical body");
        assert_standard_headers(r);
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_for_429_and_423() {
    let server = capture_server(vec![
        ResponseTemplate::new(429).insert_header("Retry-After", "3"),
        ResponseTemplate::new(423).insert_header("Retry-After", "2"),
    ])
    .await;
    let vipps = client(&server);
    let t0 = Instant::now();
    vipps
        .epayment()
        .capture(REF, &cap(), &IdempotencyKey::new("k-429").unwrap())
        .await
        .unwrap();
    assert!(t0.elapsed() >= Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(api_requests(&server).await.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn busy_codes_6160_and_6280_are_retried() {
    let server = capture_server(vec![
        ResponseTemplate::new(409).set_body_json(problem(409, "6160")),
        ResponseTemplate::new(400).set_body_json(problem(400, "6280")),
    ])
    .await;
    let vipps = client(&server);
    vipps
        .epayment()
        .capture(REF, &cap(), &IdempotencyKey::new("k-busy").unwrap())
        .await
        .unwrap();
    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 3);
    assert!(
        reqs.iter()
            .all(|r| header(r, "idempotency-key").as_deref() == Some("k-busy"))
    );
}

#[tokio::test(start_paused = true)]
async fn final_4xx_is_not_retried() {
    let server = capture_server(vec![
        ResponseTemplate::new(400).set_body_json(problem(400, "6040")),
    ])
    .await;
    let vipps = client(&server);
    let e = vipps
        .epayment()
        .capture(REF, &cap(), &IdempotencyKey::new("k-final").unwrap())
        .await
        .unwrap_err();
    assert_eq!(api_requests(&server).await.len(), 1);
    assert_eq!(e.status, Some(400));
    assert_eq!(e.code.as_deref(), Some("6040"));
    assert!(e.is_rejection());
    assert!(!e.outcome_unknown());
    assert_eq!(e.trace_id.as_deref(), Some("tr-1"));
}

#[tokio::test(start_paused = true)]
async fn attempt_cap_is_respected_and_outcome_is_unknown() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/epayment/v1/payments"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let vipps = client(&server);
    let req = CreatePaymentRequest::new(REF, Amount::nok(5000), UserFlow::Qr);
    let e = vipps
        .epayment()
        .create(&req, &IdempotencyKey::new("k-cap").unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        api_requests(&server).await.len(),
        4,
        "max_attempts = 4: {e:?}"
    );
    assert!(
        e.outcome_unknown(),
        "5xx after retries on a money-moving call: {e}"
    );
    assert!(!e.is_rejection());
    assert!(e.cashier_message().en.contains("do not charge again"));
}

#[tokio::test(start_paused = true)]
async fn total_time_cap_is_respected() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/epayment/v1/payments/{REF}")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "8"))
        .mount(&server)
        .await;
    let mut s = settings(&server.uri());
    s.retry.max_attempts = 10;
    s.retry.max_total = Duration::from_secs(20);
    let vipps = client_with(&server, kasse::clock::ManualClock::fixed(), s);
    let t0 = Instant::now();
    let e = vipps.epayment().get(REF).await.unwrap_err();
    // attempts at 0 s, 8 s, 16 s; a 4th would start at 24 s > 20 s
    assert_eq!(api_requests(&server).await.len(), 3);
    assert!(t0.elapsed() >= Duration::from_secs(16));
    assert_eq!(e.status, Some(429));
    assert!(!e.outcome_unknown(), "a read never has an unknown outcome");
}

#[tokio::test(start_paused = true)]
async fn ecom_capture_retries_with_same_x_request_id() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let p = "/ecomm/v2/payments/order-1/capture";
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!([{"errorGroup": "VippsError",
            "errorCode": "94", "errorMessage": "Order locked", "contextId": "c-1"}])),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"orderId": "order-1"})))
        .mount(&server)
        .await;
    let vipps = client(&server);
    let req = ecom::PaymentActionsRequest {
        merchant_info: ecom::MerchantInfoPayment {
            merchant_serial_number: MSN.into(),
        },
        transaction: ecom::Transaction {
            amount: Some(5000),
            transaction_text: "Utlevert".into(),
        },
    };
    vipps
        .ecom()
        .capture("order-1", &req, &RequestId::new("order-1-cap-1").unwrap())
        .await
        .unwrap();
    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(header(r, "x-request-id").as_deref(), Some("order-1-cap-1"));
        assert_eq!(r.body, reqs[0].body);
    }
}

/// A port on loopback where nothing listens.
fn dead_base() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_offline_and_not_unknown() {
    let server = MockServer::start().await; // unused, only for the helper signature
    let vipps = client_with(
        &server,
        kasse::clock::ManualClock::fixed(),
        settings(&dead_base()),
    );
    let e = vipps.epayment().get(REF).await.unwrap_err();
    assert!(e.is_offline(), "{e}");
    assert!(!e.outcome_unknown());
    assert!(e.cashier_message().en.contains("No connection"));
}

#[tokio::test(start_paused = true)]
async fn unkeyed_initiate_is_not_resent_after_a_5xx_then_4xx_is_unknown() {
    // eCom initiate carries no idempotency key: a 5xx is retried (per the issue), and a
    // "duplicate orderId" (34) afterwards does not prove the first attempt failed.
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/ecomm/v2/payments"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/ecomm/v2/payments"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!([{"errorGroup": "Merchant",
            "errorCode": "34", "errorMessage": "Duplicate orderId"}])),
        )
        .mount(&server)
        .await;
    let vipps = client(&server);
    let req = ecom::InitiatePaymentRequest {
        customer_info: ecom::CustomerInfo::default(),
        merchant_info: ecom::MerchantInfo {
            merchant_serial_number: MSN.into(),
            callback_prefix: "https://example.com/cb".into(),
            fall_back: "https://example.com/fb".into(),
            auth_token: None,
            is_app: None,
            payment_type: None,
            consent_removal_prefix: None,
            shipping_details_prefix: None,
            static_shipping_details: None,
        },
        transaction: ecom::TransactionInitiate {
            amount: 5000,
            order_id: "order-2".into(),
            transaction_text: "Kjøp".into(),
            skip_landing_page: None,
            scope: None,
            use_explicit_checkout_flow: None,
            additional_data: None,
        },
    };
    let e = vipps.ecom().initiate(&req).await.unwrap_err();
    assert_eq!(api_requests(&server).await.len(), 2);
    assert_eq!(e.code.as_deref(), Some("34"));
    assert!(e.outcome_unknown(), "{e:?}");
    assert!(!e.is_rejection());
}

/// A server that never answers in time (the client's read timeout fires first).
async fn slow_server(m: &str, p: &str) -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method(m))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    server
}

/// Real time (short): under paused time the read timeout can fire before the request is
/// even written, which makes request counts nondeterministic.
fn with_read_timeout(server: &MockServer) -> kasse::api::Vipps {
    let mut s = settings(&server.uri());
    s.timeouts.read = Some(Duration::from_millis(400));
    s.retry.base_delay = Duration::from_millis(10);
    client_with(server, kasse::clock::ManualClock::fixed(), s)
}

#[tokio::test]
async fn keyed_timeouts_are_retried_then_outcome_unknown() {
    let server = slow_server("POST", &format!("/epayment/v1/payments/{REF}/capture")).await;
    let vipps = with_read_timeout(&server);
    let e = vipps
        .epayment()
        .capture(REF, &cap(), &IdempotencyKey::new("k-timeout").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e.kind, kasse::api::ErrorKind::Timeout), "{e:?}");
    assert!(e.outcome_unknown());
    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 4, "keyed request retried up to the cap");
    assert!(
        reqs.iter()
            .all(|r| header(r, "idempotency-key").as_deref() == Some("k-timeout"))
    );
}

#[tokio::test]
async fn unkeyed_write_is_not_resent_after_timeout() {
    let server = slow_server("PUT", "/ecomm/v2/payments/order-3/cancel").await;
    let vipps = with_read_timeout(&server);
    let req = ecom::CancelPaymentActionRequest {
        merchant_info: ecom::MerchantInfoPayment {
            merchant_serial_number: MSN.into(),
        },
        transaction: ecom::CancelTransaction {
            transaction_text: "Avbrutt".into(),
        },
        should_release_remaining_funds: None,
    };
    let e = vipps.ecom().cancel("order-3", &req).await.unwrap_err();
    assert_eq!(
        api_requests(&server).await.len(),
        1,
        "no idempotency key: not resent"
    );
    assert!(e.outcome_unknown());
}
