#![allow(clippy::unwrap_used, clippy::expect_used)]
//! eCom v2 behaviour of the simulator.

mod common;
use common::sim as sim_common;
use kasse::api::ecom::{
    InitiatePaymentResponse, RefundTransactionResponse, TransactionDetails, TransactionResponse,
};
use kasse::sim::SimConfig;
use serde_json::{Value, json};
use sim_common::*;

fn initiate_body(order_id: &str, amount: i64) -> Value {
    json!({
        "customerInfo": {"mobileNumber": "91234567"},
        "merchantInfo": {
            "merchantSerialNumber": MSN,
            "callbackPrefix": "https://example.com/vipps/callbacks",
            "fallBack": "https://example.com/vipps/fallback",
            "isApp": false
        },
        "transaction": {"orderId": order_id, "amount": amount, "transactionText": "Kjøp i butikk"}
    })
}

fn action(amount: Option<i64>) -> Value {
    let mut tx = json!({"transactionText": "Kjøp"});
    if let Some(a) = amount {
        tx["amount"] = json!(a);
    }
    json!({"merchantInfo": {"merchantSerialNumber": MSN}, "transaction": tx})
}

async fn details(s: &Sim, order_id: &str) -> TransactionDetails {
    let r = s
        .get(&format!("/ecomm/v2/payments/{order_id}/details"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn ecom_err(r: reqwest::Response) -> (u16, String, String) {
    let st = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    let e = &v[0];
    assert!(e["contextId"].is_string(), "{v}");
    (
        st,
        e["errorGroup"].as_str().unwrap().into(),
        e["errorCode"].as_str().unwrap().into(),
    )
}

fn ops(d: &TransactionDetails) -> Vec<(String, bool)> {
    d.transaction_log_history
        .iter()
        .map(|e| {
            (
                serde_json::to_value(&e.operation)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string(),
                e.operation_success,
            )
        })
        .collect()
}

#[tokio::test]
async fn initiate_details_capture_refund() {
    let s = start().await;
    let r = s
        .post("/ecomm/v2/payments")
        .json(&initiate_body("ecom-order-1", 20000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let init: InitiatePaymentResponse = r.json().await.unwrap();
    assert_eq!(init.order_id, "ecom-order-1");
    let token = init.url.split("token=").nth(1).unwrap().to_string();

    let d = details(&s, "ecom-order-1").await;
    assert_eq!(ops(&d), [("INITIATE".to_string(), true)]);
    assert!(
        d.transaction_summary.is_none(),
        "no summary before the user acts"
    );
    assert!(
        d.transaction_log_history[0].transaction_id.is_none(),
        "no transactionId before open"
    );
    // opening the landing page gives INITIATE a transactionId
    assert_eq!(s.http.get(&init.url).send().await.unwrap().status(), 200);
    assert!(
        details(&s, "ecom-order-1").await.transaction_log_history[0]
            .transaction_id
            .is_some()
    );

    // capture before reserve → 62
    let r = s
        .post("/ecomm/v2/payments/ecom-order-1/capture")
        .header("X-Request-Id", "r0")
        .json(&action(Some(100)))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await, (400, "Payment".into(), "62".into()));

    let r = s
        .post("/ecomm/v2/integration-test/payments/ecom-order-1/approve")
        .json(&json!({"customerPhoneNumber": "91234567", "token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // refund while only reserved → 72
    let r = s
        .post("/ecomm/v2/payments/ecom-order-1/refund")
        .header("X-Request-Id", "f0")
        .json(&action(Some(100)))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await.2, "72");

    let r = s
        .post("/ecomm/v2/payments/ecom-order-1/capture")
        .header("X-Request-Id", "r1")
        .json(&action(Some(5000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c: TransactionResponse = r.json().await.unwrap();
    assert_eq!(c.transaction_summary.unwrap().captured_amount, 5000);
    // same X-Request-Id, same amount → no additional change
    let r = s
        .post("/ecomm/v2/payments/ecom-order-1/capture")
        .header("X-Request-Id", "r1")
        .json(&action(Some(5000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // same X-Request-Id, different amount → 93
    s.advance(61).await;
    let r = s
        .post("/ecomm/v2/payments/ecom-order-1/capture")
        .header("X-Request-Id", "r1")
        .json(&action(Some(6000)))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await.2, "93");
    // capture more than reserved → 61
    let r = s
        .post("/ecomm/v2/payments/ecom-order-1/capture")
        .header("X-Request-Id", "r2")
        .json(&action(Some(15001)))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await.2, "61");
    // cancel after partial capture without shouldReleaseRemainingFunds → 51
    let r = s
        .put("/ecomm/v2/payments/ecom-order-1/cancel")
        .json(&action(None))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await.2, "51");
    // refund more than captured → 71
    let r = s
        .post("/ecomm/v2/payments/ecom-order-1/refund")
        .header("X-Request-Id", "f1")
        .json(&action(Some(5001)))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await.2, "71");
    s.advance(61).await;
    let r = s
        .post("/ecomm/v2/payments/ecom-order-1/refund")
        .header("X-Request-Id", "f2")
        .json(&action(Some(2000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let f: RefundTransactionResponse = r.json().await.unwrap();
    assert_eq!(f.transaction_summary.unwrap().refunded_amount, 2000);
    // release the rest
    let mut body = action(None);
    body["shouldReleaseRemainingFunds"] = json!(true);
    let r = s
        .put("/ecomm/v2/payments/ecom-order-1/cancel")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let d = details(&s, "ecom-order-1").await;
    let names: Vec<String> = ops(&d)
        .into_iter()
        .filter(|(_, ok)| *ok)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        ["VOID", "REFUND", "CAPTURE", "RESERVE", "INITIATE"],
        "newest first"
    );
    let sum = d.transaction_summary.unwrap();
    assert_eq!(
        (
            sum.captured_amount,
            sum.refunded_amount,
            sum.remaining_amount_to_capture
        ),
        (5000, 2000, 0)
    );
    assert_eq!(
        s.ledger()
            .await
            .payment("ecom-order-1")
            .unwrap()
            .count("CAPTURE"),
        1
    );
}

#[tokio::test]
async fn initiate_errors() {
    let s = start_with(SimConfig {
        msns: vec![MSN.into(), "654321".into()],
        no_push_msns: vec!["654321".into()],
        ..config()
    })
    .await;
    assert_eq!(
        s.post("/ecomm/v2/payments")
            .json(&initiate_body("dup-1", 1000))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = s
        .post("/ecomm/v2/payments")
        .json(&initiate_body("dup-1", 1000))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await, (400, "Merchant".into(), "34".into()));
    // third initiate for the same orderId within a minute → 429 (2/min)
    let r = s
        .post("/ecomm/v2/payments")
        .json(&initiate_body("dup-1", 1000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);

    let mut b = initiate_body("skip-1", 1000);
    b["merchantInfo"]["merchantSerialNumber"] = json!("654321");
    b["transaction"]["skipLandingPage"] = json!(true);
    let r = s.post("/ecomm/v2/payments").json(&b).send().await.unwrap();
    assert_eq!(ecom_err(r).await.2, "38");
    let mut b = initiate_body("skip-2", 1000);
    b["transaction"]["skipLandingPage"] = json!(true);
    b["customerInfo"] = json!({});
    let r = s.post("/ecomm/v2/payments").json(&b).send().await.unwrap();
    assert_eq!(ecom_err(r).await.2, "38");

    for (field, body) in [
        ("amount", {
            let mut b = initiate_body("bad-1", 99);
            b["transaction"]["amount"] = json!(99);
            b
        }),
        ("orderId", initiate_body("bad order!", 1000)),
        ("mobileNumber", {
            let mut b = initiate_body("bad-3", 1000);
            b["customerInfo"]["mobileNumber"] = json!("4791234567");
            b
        }),
        ("callbackPrefix", {
            let mut b = initiate_body("bad-4", 1000);
            b["merchantInfo"]["callbackPrefix"] = json!("http://example.com");
            b
        }),
        ("fallBack", {
            let mut b = initiate_body("bad-5", 1000);
            b["merchantInfo"]["fallBack"] = json!("http://localhost/x");
            b
        }),
        ("transactionText", {
            let mut b = initiate_body("bad-6", 1000);
            b["transaction"]["transactionText"] = json!("");
            b
        }),
    ] {
        let r = s
            .post("/ecomm/v2/payments")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            ecom_err(r).await,
            (400, "InvalidRequest".into(), field.into()),
            "{field}"
        );
    }
    let r = s
        .get("/ecomm/v2/payments/nope/details")
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await.2, "35");
}

#[tokio::test]
async fn expiry_and_user_cancel_are_cancel_entries() {
    let s = start().await;
    s.post("/ecomm/v2/payments")
        .json(&initiate_body("exp-1", 1000))
        .send()
        .await
        .unwrap();
    s.post("/ecomm/v2/payments")
        .json(&initiate_body("rej-1", 1000))
        .send()
        .await
        .unwrap();
    s.post("/ecomm/v2/payments")
        .json(&initiate_body("magic-1", 18600))
        .send()
        .await
        .unwrap();
    assert_eq!(s.customer("rej-1", "reject").await.status(), 200);
    assert_eq!(s.customer("magic-1", "approve").await.status(), 402);
    s.advance(301).await;
    let d = details(&s, "exp-1").await;
    assert_eq!(ops(&d)[0], ("CANCEL".to_string(), true));
    assert!(
        d.transaction_log_history[0]
            .transaction_text
            .contains("timed out")
    );
    assert!(d.transaction_summary.is_some());
    assert_eq!(ops(&details(&s, "rej-1").await)[0].0, "CANCEL");
    let m = ops(&details(&s, "magic-1").await);
    assert_eq!(m[0], ("CANCEL".to_string(), true));
    assert_eq!(
        m[1],
        ("RESERVE".to_string(), false),
        "failed reservation is logged"
    );
    // merchant cancel before the user acts → CANCEL
    s.post("/ecomm/v2/payments")
        .json(&initiate_body("mc-1", 1000))
        .send()
        .await
        .unwrap();
    assert_eq!(
        s.put("/ecomm/v2/payments/mc-1/cancel")
            .json(&action(None))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(ops(&details(&s, "mc-1").await)[0].0, "CANCEL");
}

#[tokio::test]
async fn ecom_payment_can_be_read_and_captured_through_epayment() {
    let s = start().await;
    s.post("/ecomm/v2/payments")
        .json(&initiate_body("cross-api-1", 3000))
        .send()
        .await
        .unwrap();
    s.customer("cross-api-1", "approve").await;
    let g = s.ep_get("cross-api-1").await;
    assert_eq!(g["state"], "AUTHORIZED");
    let r = s
        .ep_modify(
            "cross-api-1",
            "capture",
            "x1",
            json!({"modificationAmount": {"currency": "NOK", "value": 3000}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let d = details(&s, "cross-api-1").await;
    assert_eq!(ops(&d)[0], ("CAPTURE".to_string(), true));
}
