#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Contract tests for every endpoint: method, path, every header, JSON body — and the bodies
//! validate against the official schemas in ../shared/specs.

mod common;
use api_support::*;
use common::api as api_support;
use kasse::api::epayment::{
    Amount, CreatePaymentRequest, Customer, CustomerInteraction, ForceApproveRequest,
    ModificationRequest, PaymentState, UserFlow,
};
use kasse::api::order_management::{
    BottomLine, Category, Image, ImageType, Order, OrderLine, PaymentType, Receipt, Stored,
};
use kasse::api::{IdempotencyKey, RequestId, ecom, psp};
use kasse::domain::money::Currency;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server_with(m: &str, p: &str, status: u16, body: Option<Value>) -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let mut t = ResponseTemplate::new(status);
    if let Some(b) = body {
        t = t.set_body_json(b);
    }
    Mock::given(method(m))
        .and(path(p))
        .respond_with(t)
        .mount(&server)
        .await;
    server
}

async fn only_request(server: &MockServer, m: &str, p: &str) -> wiremock::Request {
    let reqs = api_requests(server).await;
    assert_eq!(reqs.len(), 1, "exactly one API request");
    let r = reqs.into_iter().next().unwrap();
    assert_eq!(r.method.as_str(), m);
    assert_eq!(r.url.path(), p);
    assert_standard_headers(&r);
    r
}

fn amount(v: i64) -> Value {
    json!({"currency": "NOK", "value": v})
}

fn aggregate(auth: i64, cap: i64, refunded: i64, cancelled: i64) -> Value {
    json!({"authorizedAmount": amount(auth), "capturedAmount": amount(cap),
        "refundedAmount": amount(refunded), "cancelledAmount": amount(cancelled)})
}

fn receipt() -> Receipt {
    let mut bl = BottomLine::new(Currency::Nok);
    bl.pos_id = Some("t1".into());
    bl.receipt_number = Some("000123".into());
    Receipt {
        order_lines: vec![
            OrderLine::new("sku-1", "Kaffe", 4500, 3600, 2500),
            OrderLine::new("sku-2", "Bolle", 5300, 4732, 1200),
        ],
        bottom_line: bl,
    }
}

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(s).unwrap()
}

const REF: &str = "s1-t1-000123-1";

#[tokio::test]
async fn access_token_request_headers() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let vipps = client(&server);
    vipps.check_credentials().await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.url.path(), "/accesstoken/get");
    assert!(r.body.is_empty(), "no body");
    assert_eq!(header(r, "content-length").as_deref(), Some("0"));
    assert_eq!(r.headers.get_all("content-length").iter().count(), 1);
    assert_eq!(header(r, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(header(r, "client_secret").as_deref(), Some(CLIENT_SECRET));
    assert_eq!(
        header(r, "ocp-apim-subscription-key").as_deref(),
        Some(SUB_KEY)
    );
    assert_eq!(header(r, "merchant-serial-number").as_deref(), Some(MSN));
    assert_eq!(
        header(r, "vipps-system-name").as_deref(),
        Some("kasse-test")
    );
    assert!(header(r, "authorization").is_none());
}

#[tokio::test]
async fn epayment_create() {
    let server = server_with(
        "POST",
        "/epayment/v1/payments",
        201,
        Some(json!({"reference": REF})),
    )
    .await;
    let vipps = client(&server);
    let mut req = CreatePaymentRequest::new(REF, Amount::nok(9800), UserFlow::PushMessage);
    req.customer = Some(Customer::phone("4791234567"));
    req.customer_interaction = Some(CustomerInteraction::CustomerPresent);
    req.payment_description = Some("Kjøp i Kasse demo".into());
    req.receipt = Some(receipt());
    let resp = vipps
        .epayment()
        .create(&req, &key("s1-t1-000123-1:create"))
        .await
        .unwrap();
    assert_eq!(resp.reference, REF);
    assert_eq!(resp.redirect_url, None);
    let r = only_request(&server, "POST", "/epayment/v1/payments").await;
    assert_eq!(
        header(&r, "idempotency-key").as_deref(),
        Some("s1-t1-000123-1:create")
    );
    assert_eq!(
        header(&r, "content-type").as_deref(),
        Some("application/json")
    );
    let body = body_json(&r);
    assert_eq!(body, serde_json::to_value(&req).unwrap());
    assert_eq!(body["customer"], json!({"phoneNumber": "4791234567"}));
    assert_eq!(body["userFlow"], json!("PUSH_MESSAGE"));
    assert_schema("epayment-v1.yaml", "CreatePaymentRequest", &body);
}

#[tokio::test]
async fn epayment_create_qr_validates() {
    let server = server_with(
        "POST",
        "/epayment/v1/payments",
        201,
        Some(json!({"reference": REF, "redirectUrl": "https://qr.example/x"})),
    )
    .await;
    let vipps = client(&server);
    let mut req = CreatePaymentRequest::new(REF, Amount::nok(100), UserFlow::Qr);
    req.qr_format = Some(kasse::api::epayment::QrFormat {
        format: kasse::api::epayment::QrFormatKind::TextTargetUrl,
        size: None,
    });
    let resp = vipps.epayment().create(&req, &key("k-qr")).await.unwrap();
    assert_eq!(resp.redirect_url.as_deref(), Some("https://qr.example/x"));
    let r = only_request(&server, "POST", "/epayment/v1/payments").await;
    assert_schema("epayment-v1.yaml", "CreatePaymentRequest", &body_json(&r));
}

fn get_body(state: &str) -> Value {
    json!({"aggregate": aggregate(9800, 0, 0, 0), "amount": amount(9800), "state": state,
        "paymentMethod": {"type": "WALLET"}, "profile": {}, "pspReference": "psp-1",
        "reference": REF})
}

#[tokio::test]
async fn epayment_get_and_events() {
    let server = server_with(
        "GET",
        &format!("/epayment/v1/payments/{REF}"),
        200,
        Some(get_body("AUTHORIZED")),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("/epayment/v1/payments/{REF}/events")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"reference": REF, "pspReference": "p1", "name": "CREATED", "amount": amount(9800),
             "timestamp": "2026-11-21T12:00:00Z", "idempotencyKey": "k1", "success": true},
            {"reference": REF, "pspReference": "p2", "name": "AUTHORIZED", "amount": amount(9800),
             "timestamp": "2026-11-21T12:00:05.123Z", "idempotencyKey": null, "success": true}
        ])))
        .mount(&server)
        .await;
    let vipps = client(&server);
    let p = vipps.epayment().get(REF).await.unwrap();
    assert_eq!(p.state, PaymentState::Authorized);
    assert_eq!(p.aggregate.capturable(), 9800);
    let ev = vipps.epayment().events(REF).await.unwrap();
    assert_eq!(ev.len(), 2);
    assert!(ev[1].timestamp_parsed().is_some());
    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method.as_str(), "GET");
        assert_standard_headers(r);
        assert!(header(r, "idempotency-key").is_none());
        assert!(r.body.is_empty());
    }
}

fn modification_body() -> Value {
    json!({"amount": amount(9800), "state": "AUTHORIZED", "aggregate": aggregate(9800, 9800, 0, 0),
        "pspReference": "psp-2", "reference": REF})
}

#[tokio::test]
async fn epayment_capture_refund_cancel() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    for op in ["capture", "refund", "cancel"] {
        Mock::given(method("POST"))
            .and(path(format!("/epayment/v1/payments/{REF}/{op}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(modification_body()))
            .mount(&server)
            .await;
    }
    let vipps = client(&server);
    let m = ModificationRequest {
        modification_amount: Amount::nok(9800),
    };
    vipps
        .epayment()
        .capture(REF, &m, &key("cap-1"))
        .await
        .unwrap();
    vipps
        .epayment()
        .refund(REF, &m, &key("ref-1"))
        .await
        .unwrap();
    let c = vipps
        .epayment()
        .cancel(REF, true, &key("can-1"))
        .await
        .unwrap();
    assert_eq!(c.aggregate.captured_amount.value, 9800);
    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 3);
    let want = [
        (
            "capture",
            "cap-1",
            json!({"modificationAmount": amount(9800)}),
            Some("CaptureModificationRequest"),
        ),
        (
            "refund",
            "ref-1",
            json!({"modificationAmount": amount(9800)}),
            Some("RefundModificationRequest"),
        ),
        (
            "cancel",
            "can-1",
            json!({"cancelTransactionOnly": true}),
            None,
        ),
    ];
    for (r, (op, k, body, schema)) in reqs.iter().zip(want) {
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(r.url.path(), format!("/epayment/v1/payments/{REF}/{op}"));
        assert_standard_headers(r);
        assert_eq!(header(r, "idempotency-key").as_deref(), Some(k));
        assert_eq!(body_json(r), body);
        if let Some(s) = schema {
            assert_schema("epayment-v1.yaml", s, &body_json(r));
        }
    }
}

#[tokio::test]
async fn epayment_force_approve() {
    let p = format!("/epayment/v1/test/payments/{REF}/approve");
    let server = server_with("POST", &p, 200, None).await;
    let vipps = client(&server);
    let req = ForceApproveRequest {
        customer: Some(Customer::phone("4791234567")),
        token: None,
    };
    vipps.epayment().force_approve(REF, &req).await.unwrap();
    let r = only_request(&server, "POST", &p).await;
    assert_eq!(
        body_json(&r),
        json!({"customer": {"phoneNumber": "4791234567"}})
    );
    assert_schema("epayment-v1.yaml", "ForceApprove", &body_json(&r));
}

// ---- eCom -------------------------------------------------------------------------------------

const OID: &str = "s1-t1-000124-1";

fn merchant() -> ecom::MerchantInfoPayment {
    ecom::MerchantInfoPayment {
        merchant_serial_number: MSN.into(),
    }
}

#[tokio::test]
async fn ecom_initiate() {
    let server = server_with(
        "POST",
        "/ecomm/v2/payments",
        200,
        Some(json!({"orderId": OID, "url": "https://api.vipps.no/dwo-api-application/v1/deeplink/vippsgateway?v=2&token=abc"})),
    )
    .await;
    let vipps = client(&server);
    let req = ecom::InitiatePaymentRequest {
        customer_info: ecom::CustomerInfo {
            mobile_number: Some("91234567".into()),
        },
        merchant_info: ecom::MerchantInfo {
            merchant_serial_number: MSN.into(),
            callback_prefix: "https://example.com/vipps".into(),
            fall_back: "https://example.com/fallback".into(),
            auth_token: None,
            is_app: Some(false),
            payment_type: Some(ecom::EcomPaymentType::Regular),
            consent_removal_prefix: None,
            shipping_details_prefix: None,
            static_shipping_details: None,
        },
        transaction: ecom::TransactionInitiate {
            amount: 9800,
            order_id: OID.into(),
            transaction_text: "Kjøp i Kasse demo".into(),
            skip_landing_page: Some(true),
            scope: None,
            use_explicit_checkout_flow: None,
            additional_data: None,
        },
    };
    let resp = vipps.ecom().initiate(&req).await.unwrap();
    assert_eq!(resp.order_id, OID);
    let r = only_request(&server, "POST", "/ecomm/v2/payments").await;
    assert!(header(&r, "x-request-id").is_none() && header(&r, "idempotency-key").is_none());
    let body = body_json(&r);
    assert_eq!(body, serde_json::to_value(&req).unwrap());
    assert_eq!(
        body["merchantInfo"]["fallBack"],
        json!("https://example.com/fallback")
    );
    assert_eq!(body["transaction"]["skipLandingPage"], json!(true));
    assert_eq!(body["merchantInfo"]["isApp"], json!(false));
    assert_schema("ecom-v2.yaml", "InitiatePaymentCommand", &body);
}

fn tx_response(status: &str) -> Value {
    json!({"orderId": OID, "transactionInfo": {"amount": 9800, "status": status,
        "timeStamp": "2026-11-21T12:00:00.000Z", "transactionId": "5001420067", "transactionText": "x"},
        "transactionSummary": {"capturedAmount": 9800, "refundedAmount": 0,
        "remainingAmountToCapture": 0, "remainingAmountToRefund": 9800}})
}

#[tokio::test]
async fn ecom_capture_refund_cancel_details_approve() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let base = format!("/ecomm/v2/payments/{OID}");
    Mock::given(method("POST"))
        .and(path(format!("{base}/capture")))
        .respond_with(ResponseTemplate::new(200).set_body_json(tx_response("Captured")))
        .mount(&server)
        .await;
    let mut refund = tx_response("Refund");
    refund["transaction"] = refund["transactionInfo"].take();
    refund.as_object_mut().unwrap().remove("transactionInfo");
    Mock::given(method("POST"))
        .and(path(format!("{base}/refund")))
        .respond_with(ResponseTemplate::new(200).set_body_json(refund))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{base}/cancel")))
        .respond_with(ResponseTemplate::new(200).set_body_json(tx_response("Cancelled")))
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path(format!("{base}/details")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"orderId": OID,
            "transactionLogHistory": [
              {"amount": 9800, "operation": "RESERVE", "operationSuccess": true, "requestId": "",
               "timeStamp": "2026-11-21T12:00:05.000Z", "transactionId": "5001420067", "transactionText": "x"},
              {"amount": 9800, "operation": "INITIATE", "operationSuccess": true,
               "timeStamp": "2026-11-21T12:00:00.000Z", "transactionId": "5001420067", "transactionText": "x"}]})))
        .mount(&server).await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/ecomm/v2/integration-test/payments/{OID}/approve"
        )))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;

    let vipps = client(&server);
    let act = ecom::PaymentActionsRequest {
        merchant_info: merchant(),
        transaction: ecom::Transaction {
            amount: Some(9800),
            transaction_text: "Varer utlevert".into(),
        },
    };
    let cap = vipps
        .ecom()
        .capture(OID, &act, &RequestId::new("cap-1").unwrap())
        .await
        .unwrap();
    assert_eq!(
        cap.transaction_info.unwrap().status,
        ecom::TransactionStatus::Captured
    );
    let rf = vipps
        .ecom()
        .refund(OID, &act, &RequestId::new("ref-1").unwrap())
        .await
        .unwrap();
    assert_eq!(
        rf.transaction.unwrap().status,
        ecom::TransactionStatus::Refund
    );
    let cancel = ecom::CancelPaymentActionRequest {
        merchant_info: merchant(),
        transaction: ecom::CancelTransaction {
            transaction_text: "Avbrutt".into(),
        },
        should_release_remaining_funds: Some(true),
    };
    vipps.ecom().cancel(OID, &cancel).await.unwrap();
    let d = vipps.ecom().details(OID).await.unwrap();
    assert_eq!(d.outcome(), ecom::DetailsOutcome::Authorized);
    vipps
        .ecom()
        .force_approve(
            OID,
            &ecom::ForceApproveRequest {
                customer_phone_number: Some("91234567".into()),
                token: Some("abc".into()),
            },
        )
        .await
        .unwrap();

    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 5);
    for r in &reqs {
        assert_standard_headers(r);
    }
    let (c, rf, cn, dt, ap) = (&reqs[0], &reqs[1], &reqs[2], &reqs[3], &reqs[4]);
    assert_eq!(
        (c.method.as_str(), c.url.path()),
        ("POST", format!("{base}/capture").as_str())
    );
    assert_eq!(header(c, "x-request-id").as_deref(), Some("cap-1"));
    let want = json!({"merchantInfo": {"merchantSerialNumber": MSN},
        "transaction": {"amount": 9800, "transactionText": "Varer utlevert"}});
    assert_eq!(body_json(c), want);
    assert_schema("ecom-v2.yaml", "PaymentActionsRequest", &body_json(c));
    assert_eq!(
        (rf.method.as_str(), rf.url.path()),
        ("POST", format!("{base}/refund").as_str())
    );
    assert_eq!(header(rf, "x-request-id").as_deref(), Some("ref-1"));
    assert_eq!(body_json(rf), want);
    assert_schema("ecom-v2.yaml", "PaymentActionsRequest", &body_json(rf));
    assert_eq!(
        (cn.method.as_str(), cn.url.path()),
        ("PUT", format!("{base}/cancel").as_str())
    );
    assert_eq!(
        body_json(cn),
        json!({"merchantInfo": {"merchantSerialNumber": MSN},
        "transaction": {"transactionText": "Avbrutt"}, "shouldReleaseRemainingFunds": true})
    );
    assert_schema("ecom-v2.yaml", "CancelPaymentActionRequest", &body_json(cn));
    assert_eq!(
        (dt.method.as_str(), dt.url.path()),
        ("GET", format!("{base}/details").as_str())
    );
    assert_eq!(
        ap.url.path(),
        format!("/ecomm/v2/integration-test/payments/{OID}/approve")
    );
    assert_eq!(
        body_json(ap),
        json!({"customerPhoneNumber": "91234567", "token": "abc"})
    );
    assert_schema("ecom-v2.yaml", "ForceApproveRequest", &body_json(ap));
}

// ---- PSP --------------------------------------------------------------------------------------

#[tokio::test]
async fn psp_init_update_details_approve() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/psp/v3/psppayments/init"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"pspTransactionId": "abc123",
            "merchantOrderId": OID, "vippsRedirectUrl": "https://api.vipps.no/dwo?token=t"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/psp/v3/psppayments/updatestatus"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"responseInfo":
            {"responseCode": "9000", "responseMessage": "SUCCESS"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/psp/v3/psppayments/abc123/details"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"pspTransactionId": "abc123",
            "merchantOrderId": OID, "transactionSummary": {"capturedAmount": 0, "remainingAmountToCapture": 9800,
            "refundedAmount": 0, "remainingAmountToRefund": 0},
            "transactionLogHistory": [{"amount": 9800, "operation": "RESERVED", "operationSuccess": true,
            "timeStamp": "2026-11-21T12:00:00Z", "paymentText": "x"}]})))
        .mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/psp/v3/integration-test/psppayments/abc123/approve"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let vipps = client(&server);
    let init = psp::InitiatePaymentRequest {
        psp_transaction_id: "abc123".into(),
        merchant_order_id: OID.into(),
        customer_mobile_number: Some("91234567".into()),
        amount: 9800,
        currency: "NOK".into(),
        psp_redirect_url: "https://psp.example/redirect".into(),
        make_payment_url: "https://psp.example/makepayment".into(),
        make_payment_token: Some("mp-token".into()),
        payment_text: Some("Kjøp".into()),
        is_app: Some(false),
        skip_landing_page: Some(true),
        merchant_agreement_url: None,
    };
    let r = vipps.psp().init(&init).await.unwrap();
    assert_eq!(
        r.vipps_redirect_url.as_deref(),
        Some("https://api.vipps.no/dwo?token=t")
    );
    let up = psp::UpdateStatusRequest {
        transactions: vec![psp::TransactionInfo {
            psp_transaction_id: "abc123".into(),
            status: psp::PspStatus::Captured,
            amount: 9800,
            currency: Some("NOK".into()),
            payment_text: None,
            operation_status: Some(psp::OperationStatus::Success),
        }],
    };
    let u = vipps.psp().update_status(&up).await.unwrap();
    assert_eq!(u.response_info.unwrap().response_code, "9000");
    let d = vipps.psp().details("abc123").await.unwrap();
    assert_eq!(
        d.transaction_log_history[0].operation,
        Some(psp::PspStatus::Reserved)
    );
    vipps
        .psp()
        .force_approve(
            "abc123",
            &psp::ForceApproveRequest {
                customer_phone_number: "91234567".into(),
                token: "t".into(),
            },
        )
        .await
        .unwrap();

    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        assert_standard_headers(r);
        assert_eq!(header(r, "psp-id").as_deref(), Some(PSP_ID));
    }
    assert_eq!(reqs[0].url.path(), "/psp/v3/psppayments/init");
    let b = body_json(&reqs[0]);
    assert_eq!(b["amount"], json!(9800));
    assert_eq!(b["makePaymentToken"], json!("mp-token"));
    assert_eq!(b, serde_json::to_value(&init).unwrap());
    assert_schema("psp-v3.yaml", "InitiatePaymentRequest", &b);
    assert_eq!(reqs[1].url.path(), "/psp/v3/psppayments/updatestatus");
    assert_schema("psp-v3.yaml", "PaymentStatus", &body_json(&reqs[1]));
    assert_eq!(
        (reqs[2].method.as_str(), reqs[2].url.path()),
        ("GET", "/psp/v3/psppayments/abc123/details")
    );
    assert_eq!(
        reqs[3].url.path(),
        "/psp/v3/integration-test/psppayments/abc123/approve"
    );
    assert_schema("psp-v3.yaml", "ForceApproveRequest", &body_json(&reqs[3]));
}

#[tokio::test]
async fn psp_without_psp_id_is_refused_before_sending() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let mut s = settings(&server.uri());
    s.psp_id = None;
    let vipps = client_with(&server, kasse::clock::ManualClock::fixed(), s);
    let e = vipps.psp().details("abc123").await.unwrap_err();
    assert!(e.not_sent(), "{e}");
    assert!(api_requests(&server).await.is_empty());
}

// ---- Order Management -------------------------------------------------------------------------

#[tokio::test]
async fn order_management_endpoints() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/order-management/v1/images"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"imageId": "logo-1"})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/order-management/v2/ECOM/categories/{REF}")))
        .respond_with(ResponseTemplate::new(200).set_body_string("\"ok\""))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/order-management/v2/ECOM/receipts/{REF}")))
        .respond_with(ResponseTemplate::new(201).set_body_string("\"id\""))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/order-management/v2/ECOM/{REF}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "category": {"category": "RECEIPT", "orderDetailsUrl": "https://example.com/r/1"},
            "receipt": serde_json::to_value(receipt()).unwrap()})))
        .mount(&server)
        .await;
    let vipps = client(&server);
    let om = vipps.order_management();
    let img = Image {
        image_id: "logo-1".into(),
        src: "iVBORw0KGgo=".into(),
        kind: ImageType::Base64,
    };
    assert_eq!(
        om.upload_image(&img).await.unwrap(),
        Stored::Created(kasse::api::order_management::ImageResponse {
            image_id: Some("logo-1".into())
        })
    );
    let cat = Order {
        category: Category::Receipt,
        order_details_url: "https://example.com/r/1".into(),
        image_id: Some("logo-1".into()),
    };
    om.put_category(&PaymentType::Ecom, REF, &cat)
        .await
        .unwrap();
    assert_eq!(
        om.add_receipt(&PaymentType::Ecom, REF, &receipt())
            .await
            .unwrap(),
        Stored::Created(())
    );
    let got = om.get(&PaymentType::Ecom, REF).await.unwrap();
    assert_eq!(got.receipt, Some(receipt()));

    let reqs = api_requests(&server).await;
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        assert_standard_headers(r);
    }
    assert_eq!(
        body_json(&reqs[0]),
        json!({"imageId": "logo-1", "src": "iVBORw0KGgo=", "type": "base64"})
    );
    assert_schema("order-management.yaml", "Image", &body_json(&reqs[0]));
    assert_eq!(reqs[1].method.as_str(), "PUT");
    assert_eq!(
        body_json(&reqs[1]),
        json!({"category": "RECEIPT", "orderDetailsUrl": "https://example.com/r/1", "imageId": "logo-1"})
    );
    assert_schema("order-management.yaml", "Order", &body_json(&reqs[1]));
    assert_eq!(
        body_json(&reqs[2]),
        serde_json::to_value(receipt()).unwrap()
    );
    assert_schema("order-management.yaml", "Receipt", &body_json(&reqs[2]));
    assert_eq!(reqs[3].method.as_str(), "GET");
}

#[tokio::test]
async fn order_management_409_is_already_there() {
    let server = server_with(
        "POST",
        &format!("/order-management/v2/ECOM/receipts/{REF}"),
        409,
        Some(json!({"type": "conflict", "title": "Conflict", "detail": "Receipt already exists", "instance": "i-1"})),
    )
    .await;
    let vipps = client(&server);
    let r = vipps
        .order_management()
        .add_receipt(&PaymentType::Ecom, REF, &receipt())
        .await
        .unwrap();
    assert_eq!(r, Stored::AlreadyExists);
    assert_eq!(api_requests(&server).await.len(), 1, "409 is not retried");
}

// ---- validation: nothing is sent ----------------------------------------------------------------

#[tokio::test]
async fn invalid_input_is_never_sent() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let vipps = client(&server);
    let bad_ref = CreatePaymentRequest::new("short", Amount::nok(9800), UserFlow::Qr);
    let e = vipps
        .epayment()
        .create(&bad_ref, &key("k"))
        .await
        .unwrap_err();
    assert!(e.not_sent());
    assert!(e.cashier_message().en.contains("short"));
    let low = CreatePaymentRequest::new(REF, Amount::nok(99), UserFlow::Qr);
    assert!(
        vipps
            .epayment()
            .create(&low, &key("k"))
            .await
            .unwrap_err()
            .not_sent()
    );
    let push_no_customer = CreatePaymentRequest::new(REF, Amount::nok(9800), UserFlow::PushMessage);
    let e = vipps
        .epayment()
        .create(&push_no_customer, &key("k"))
        .await
        .unwrap_err();
    assert!(matches!(&e.kind, kasse::api::ErrorKind::Validation(v) if v.field == "customer"));
    let mut bad_receipt = receipt();
    bad_receipt.order_lines[0].total_tax_amount += 1;
    let e = vipps
        .order_management()
        .add_receipt(&PaymentType::Ecom, REF, &bad_receipt)
        .await
        .unwrap_err();
    assert!(
        matches!(&e.kind, kasse::api::ErrorKind::Validation(v) if v.field.ends_with("totalTaxAmount"))
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "not even a token was fetched"
    );
}

#[tokio::test]
async fn refuses_plain_http_to_remote_hosts() {
    let e = kasse::api::Vipps::new(settings("http://api.vipps.no")).unwrap_err();
    assert!(e.not_sent());
    assert!(e.detail.contains("plain http"), "{}", e.detail);
    assert!(kasse::api::Vipps::new(settings("https://apitest.vipps.no")).is_ok());
}
