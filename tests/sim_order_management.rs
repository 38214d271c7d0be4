#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Order Management behaviour of the simulator.

mod common;
use common::sim as sim_common;
use kasse::api::order_management::OrderV2Response;
use serde_json::{Value, json};
use sim_common::*;

fn b64(len: usize) -> String {
    // valid base64 of `len` zero bytes (len multiple of 3)
    "A".repeat(len / 3 * 4)
}

#[tokio::test]
async fn images_are_write_once_and_size_limited() {
    let s = start().await;
    let img = json!({"imageId": "logo-1", "src": b64(300), "type": "base64"});
    let r = s
        .post("/order-management/v1/images")
        .json(&img)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["imageId"], "logo-1");
    let r = s
        .post("/order-management/v1/images")
        .json(&img)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = s
        .post("/order-management/v1/images")
        .json(&json!({"imageId": "big-1", "src": b64(2 * 1024 * 1024 + 3), "type": "base64"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["invalidParams"][0]["name"], "src");
    let r = s
        .post("/order-management/v1/images")
        .json(&json!({"imageId": "bad id!", "src": b64(3), "type": "base64"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .post("/order-management/v1/images")
        .json(&json!({"imageId": "url-1", "src": "https://example.com/x.png", "type": "base64"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn category_overwrites_receipt_once_get_returns_both() {
    let s = start().await;
    // no existence check: works for an orderId no payment has
    let cat = |c: &str| json!({"category": c, "orderDetailsUrl": "https://example.com/o/1"});
    assert_eq!(
        s.put("/order-management/v2/ecom/categories/om-order-1")
            .json(&cat("GENERAL"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        s.put("/order-management/v2/eCom/categories/om-order-1")
            .json(&cat("RECEIPT"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = s
        .put("/order-management/v2/ECOM/categories/om-order-1")
        .json(&cat("SHOPPING"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .post("/order-management/v2/ECOM/receipts/om-order-1")
        .json(&receipt(12500, 10000, 2500))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .post("/order-management/v2/ECOM/receipts/om-order-1")
        .json(&receipt(12500, 10000, 2500))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = s
        .post("/order-management/v2/ECOM/receipts/om-order-2")
        .json(&receipt(12500, 10000, 2400))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["invalidParams"][0]["name"],
        "orderLines[0].totalTaxAmount"
    );
    let r = s
        .post("/order-management/v2/bogus/receipts/om-order-2")
        .json(&receipt(12500, 10000, 2500))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let r = s
        .get("/order-management/v2/ecom/om-order-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let o: OrderV2Response = r.json().await.unwrap();
    let v = serde_json::to_value(&o).unwrap();
    assert_eq!(v["category"]["category"], "RECEIPT");
    assert_eq!(v["receipt"]["orderLines"][0]["totalAmount"], 12500);
    let l = s.ledger().await;
    assert_eq!(l.orders.len(), 1);
    assert_eq!(l.orders[0].order_id, "om-order-1");

    // attached to an existing ePayment payment: shows in its ledger entry
    s.create("k", &create_body("om-ep-000001", 12500, "QR"))
        .await;
    s.put("/order-management/v2/ecom/categories/om-ep-000001")
        .json(&cat("RECEIPT"))
        .send()
        .await
        .unwrap();
    let l = s.ledger().await;
    assert_eq!(
        l.payment("om-ep-000001")
            .unwrap()
            .category
            .as_ref()
            .unwrap()["category"],
        "RECEIPT"
    );
}
