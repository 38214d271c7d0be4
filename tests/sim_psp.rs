#![allow(clippy::unwrap_used, clippy::expect_used)]
//! PSP v3 behaviour of the simulator, with a wiremock PSP answering makePaymentUrl.

mod common;
use common::sim as sim_common;
use kasse::api::psp::{InitiatePaymentResponse, MakePaymentRequest, PaymentDetails};
use serde_json::{Value, json};
use sim_common::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn init_body(psp_id: &str, order: &str, amount: i64, make_url: &str) -> Value {
    json!({
        "pspTransactionId": psp_id,
        "merchantOrderId": order,
        "customerMobileNumber": "91234567",
        "amount": amount.to_string(),
        "currency": "NOK",
        "pspRedirectUrl": "https://psp.example.com/return",
        "makePaymentUrl": make_url,
        "makePaymentToken": "secret-make-payment-token",
        "paymentText": "Kjøp"
    })
}

async fn psp_mock(status: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/makepayment"))
        .and(header("Authorization", "secret-make-payment-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "paymentInfo": {"pspTransactionId": "x", "status": status}
        })))
        .mount(&server)
        .await;
    server
}

async fn details(s: &Sim, id: &str) -> PaymentDetails {
    let r = s
        .get(&format!("/psp/v3/psppayments/{id}/details"))
        .header("PSP-ID", "psp-guid")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn history(d: &PaymentDetails) -> Vec<(String, bool)> {
    let v = serde_json::to_value(d).unwrap();
    v["transactionLogHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["operation"].as_str().unwrap().to_string(),
                e["operationSuccess"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn approve_calls_make_payment_and_ok_reserves() {
    let psp = psp_mock("OK").await;
    let s = start().await;
    let url = format!("{}/makepayment", psp.uri());
    let r = s
        .post("/psp/v3/psppayments/init")
        .header("PSP-ID", "psp-guid")
        .json(&init_body("psp-tx-1", "psp-order-1", 1000, &url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let init: InitiatePaymentResponse = r.json().await.unwrap();
    let token = init
        .vipps_redirect_url
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    // duplicate pspTransactionId → 44; duplicate merchantOrderId → 99
    let r = s
        .post("/psp/v3/psppayments/init")
        .header("PSP-ID", "psp-guid")
        .json(&init_body("psp-tx-1", "psp-order-2", 1000, &url))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["errorCode"], "44");
    let r = s
        .post("/psp/v3/psppayments/init")
        .header("PSP-ID", "psp-guid")
        .json(&init_body("psp-tx-2", "psp-order-1", 1000, &url))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["errorCode"], "99");
    // missing PSP-ID
    let r = s
        .post("/psp/v3/psppayments/init")
        .json(&init_body("psp-tx-3", "psp-order-3", 1000, &url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let r = s
        .post("/psp/v3/integration-test/psppayments/psp-tx-1/approve")
        .header("PSP-ID", "psp-guid")
        .json(&json!({"customerPhoneNumber": "91234567", "token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reqs = psp.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    let mp: MakePaymentRequest = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(mp.psp_transaction_id, "psp-tx-1");
    let raw: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(raw["paymentState"], "ACCEPTED");
    assert!(raw["networkToken"]["number"].as_str().unwrap().len() <= 19);
    assert_eq!(
        history(&details(&s, "psp-tx-1").await)[0],
        ("RESERVED".to_string(), true)
    );

    // updatestatus: capture reported by the PSP
    let r = s
        .post("/psp/v3/psppayments/updatestatus")
        .header("PSP-ID", "psp-guid")
        .json(&json!({"transactions": [{"pspTransactionId": "psp-tx-1", "status": "CAPTURED", "amount": 1000, "currency": "NOK", "operationStatus": "SUCCESS"}]}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["responseInfo"]["responseCode"], "9000");
    assert_eq!(v["responseInfo"]["responseMessage"], "SUCCESS");
    assert_eq!(
        history(&details(&s, "psp-tx-1").await)[0],
        ("CAPTURED".to_string(), true)
    );
    assert_eq!(s.ledger().await.payment("psp-tx-1").unwrap().captured, 1000);

    // The same report again (its answer was lost): a retry, not a second capture.
    let r = s
        .post("/psp/v3/psppayments/updatestatus")
        .header("PSP-ID", "psp-guid")
        .json(&json!({"transactions": [{"pspTransactionId": "psp-tx-1", "status": "CAPTURED", "amount": 1000, "currency": "NOK", "operationStatus": "SUCCESS"}]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let p = s.ledger().await;
    let p = p.payment("psp-tx-1").unwrap();
    assert_eq!(p.captured, 1000);
    assert_eq!(p.count("CAPTURED"), 1, "{p:?}");
}

#[tokio::test]
async fn fail_answer_fails_and_expiry_sends_timeout() {
    let psp = psp_mock("FAIL").await;
    let s = start().await;
    let url = format!("{}/makepayment", psp.uri());
    s.post("/psp/v3/psppayments/init")
        .header("PSP-ID", "psp-guid")
        .json(&init_body("psp-fail-1", "psp-fail-1", 1000, &url))
        .send()
        .await
        .unwrap();
    s.post("/psp/v3/psppayments/init")
        .header("PSP-ID", "psp-guid")
        .json(&init_body("psp-exp-1", "psp-exp-1", 1000, &url))
        .send()
        .await
        .unwrap();
    assert_eq!(s.customer("psp-fail-1", "approve").await.status(), 200);
    assert_eq!(
        history(&details(&s, "psp-fail-1").await)[0],
        ("RESERVED".to_string(), false)
    );

    s.advance(301).await;
    // the background ticker (20 ms) sends TIMEOUT to makePaymentUrl
    let mut timeout_seen = false;
    for _ in 0..100 {
        let reqs = psp.received_requests().await.unwrap();
        timeout_seen = reqs.iter().any(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            v["pspTransactionId"] == "psp-exp-1" && v["paymentState"] == "TIMEOUT"
        });
        if timeout_seen {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(timeout_seen, "TIMEOUT callback was not sent");
    assert_eq!(
        history(&details(&s, "psp-exp-1").await)[0],
        ("CANCELLED".to_string(), true)
    );
}

#[tokio::test]
async fn unreachable_psp_means_failed() {
    let s = start().await;
    // nothing listens on port 9 of loopback: connection refused → FAILED
    s.post("/psp/v3/psppayments/init")
        .header("PSP-ID", "psp-guid")
        .json(&init_body(
            "psp-down-1",
            "psp-down-1",
            1000,
            "http://127.0.0.1:9/mp",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(s.customer("psp-down-1", "approve").await.status(), 200);
    assert_eq!(
        history(&details(&s, "psp-down-1").await)[0],
        ("RESERVED".to_string(), false)
    );
}
