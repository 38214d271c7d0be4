#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulator's responses validated against the official OpenAPI schemas in shared/specs.

mod common;
use common::sim as sim_common;
use serde_json::{Value, json};
use sim_common::*;

/// The specs folder (`KASSE_SPECS_DIR` or ../shared/specs); `None`: skip (fails under CI).
fn specs() -> Option<std::path::PathBuf> {
    shared_dir("specs", "KASSE_SPECS_DIR")
}

fn spec(file: &str) -> Value {
    let dir = specs().unwrap_or_else(|| panic!("spec {file} not found"));
    let text = std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("spec {file} not readable: {e}"));
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_json::to_value(y).unwrap()
}

/// OpenAPI 3.0 `nullable: true` → JSON Schema `type: [T, "null"]`.
fn openapi_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(t)) = map.get("type").cloned()
            {
                map.insert("type".into(), json!([t, "null"]));
            }
            map.remove("example");
            for (_, child) in map.iter_mut() {
                openapi_to_json_schema(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}

/// External refs (ePayment → Order Management swagger) become local refs.
fn localize_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && !r.starts_with('#')
                && let Some((_, frag)) = r.split_once('#')
            {
                *r = format!("#{frag}");
            }
            for (_, child) in map.iter_mut() {
                localize_refs(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(localize_refs),
        _ => {}
    }
}

fn check(file: &str, schema: &str, instance: &Value) {
    let doc = spec(file);
    let mut components = doc["components"].clone();
    if file == "epayment-v1.yaml" {
        let om = spec("order-management.yaml");
        for (k, v) in om["components"]["schemas"].as_object().unwrap() {
            let schemas = components["schemas"].as_object_mut().unwrap();
            schemas.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    localize_refs(&mut components);
    let mut root = json!({
        "components": components,
        "$ref": format!("#/components/schemas/{schema}"),
    });
    openapi_to_json_schema(&mut root);
    let validator = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{file} {schema}: {errors:?}\n{instance:#}"
    );
}

#[tokio::test]
async fn epayment_and_token_responses_match_the_spec() {
    if specs().is_none() {
        return;
    }
    let s = start().await;
    let tok: Value = s
        .http
        .post(s.url("/accesstoken/get"))
        .header("client_id", kasse::sim::DEFAULT_CLIENT_ID)
        .header("client_secret", kasse::sim::DEFAULT_CLIENT_SECRET)
        .header(
            "Ocp-Apim-Subscription-Key",
            kasse::sim::DEFAULT_SUBSCRIPTION_KEY,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("access-token.yaml", "TokenResponse", &tok);

    let mut body = create_body("schema-000001", 12500, "QR");
    body["receipt"] = receipt(12500, 10000, 2500);
    body["metadata"] = json!({"till": "2"});
    check("epayment-v1.yaml", "CreatePaymentRequest", &body);
    let created: Value = s.create("k1", &body).await.json().await.unwrap();
    check("epayment-v1.yaml", "CreatePaymentResponse", &created);
    s.customer("schema-000001", "approve").await;
    let m: Value = s
        .ep_modify(
            "schema-000001",
            "capture",
            "c1",
            json!({"modificationAmount": {"currency": "NOK", "value": 12500}}),
        )
        .await
        .json()
        .await
        .unwrap();
    check("epayment-v1.yaml", "ModificationResponse", &m);
    check(
        "epayment-v1.yaml",
        "GetPaymentResponse",
        &s.ep_get("schema-000001").await,
    );
    let events: Value = s
        .get("/epayment/v1/payments/schema-000001/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for e in events.as_array().unwrap() {
        check("epayment-v1.yaml", "PaymentEvent", e);
    }
    let problem: Value = s
        .get("/epayment/v1/payments/unknown-ref")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("epayment-v1.yaml", "Problem", &problem);
}

#[tokio::test]
async fn ecom_psp_om_responses_match_the_spec() {
    if specs().is_none() {
        return;
    }
    let s = start().await;
    let init = json!({
        "customerInfo": {"mobileNumber": "91234567"},
        "merchantInfo": {"merchantSerialNumber": MSN, "callbackPrefix": "https://example.com/cb", "fallBack": "https://example.com/fb"},
        "transaction": {"orderId": "schema-ecom-1", "amount": 20000, "transactionText": "Kjøp"}
    });
    let r: Value = s
        .post("/ecomm/v2/payments")
        .json(&init)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("ecom-v2.yaml", "PaymentInitiationResponse", &r);
    s.customer("schema-ecom-1", "approve").await;
    let action = json!({"merchantInfo": {"merchantSerialNumber": MSN}, "transaction": {"amount": 20000, "transactionText": "Kjøp"}});
    let c: Value = s
        .post("/ecomm/v2/payments/schema-ecom-1/capture")
        .header("X-Request-Id", "x1")
        .json(&action)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("ecom-v2.yaml", "TransactionResponse", &c);
    let f: Value = s
        .post("/ecomm/v2/payments/schema-ecom-1/refund")
        .header("X-Request-Id", "x2")
        .json(&action)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("ecom-v2.yaml", "RefundTransactionResponse", &f);
    let d: Value = s
        .get("/ecomm/v2/payments/schema-ecom-1/details")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("ecom-v2.yaml", "TransactionDetails", &d);
    let e: Value = s
        .get("/ecomm/v2/payments/nope/details")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("ecom-v2.yaml", "ErrorArray", &e);

    let p = json!({
        "pspTransactionId": "schema-psp-1", "merchantOrderId": "schema-psp-1", "amount": 1000, "currency": "NOK",
        "pspRedirectUrl": "https://psp.example.com/r", "makePaymentUrl": "http://127.0.0.1:9/mp"
    });
    let r: Value = s
        .post("/psp/v3/psppayments/init")
        .header("PSP-ID", "g")
        .json(&p)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("psp-v3.yaml", "PaymentInitiationRepresentation", &r);
    let d: Value = s
        .get("/psp/v3/psppayments/schema-psp-1/details")
        .header("PSP-ID", "g")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("psp-v3.yaml", "PaymentDetailsRepresentation", &d);

    s.put("/order-management/v2/ecom/categories/schema-om-1")
        .json(&json!({"category": "RECEIPT", "orderDetailsUrl": "https://example.com/o"}))
        .send()
        .await
        .unwrap();
    s.post("/order-management/v2/ecom/receipts/schema-om-1")
        .json(&receipt(12500, 10000, 2500))
        .send()
        .await
        .unwrap();
    let o: Value = s
        .get("/order-management/v2/ecom/schema-om-1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("order-management.yaml", "OrderV2Response", &o);
    let img: Value = s
        .post("/order-management/v1/images")
        .json(&json!({"imageId": "schema-img", "src": "AAAA", "type": "base64"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("order-management.yaml", "ImageResponse", &img);
    let err: Value = s
        .post("/order-management/v1/images")
        .json(&json!({"imageId": "schema-img", "src": "AAAA", "type": "base64"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("order-management.yaml", "ErrorResponse", &err);
}

#[tokio::test]
async fn webhooks_responses_match_the_spec() {
    if specs().is_none() {
        return;
    }
    let s = start().await;
    let req = json!({"url": "https://example.com/vipps/webhooks", "events": ["epayments.payment.captured.v1"]});
    check("webhooks-v1.yaml", "RegisterRequest", &req);
    let r = s
        .post("/webhooks/v1/webhooks")
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let reg: Value = r.json().await.unwrap();
    check("webhooks-v1.yaml", "RegisterResponse", &reg);
    let list: Value = s
        .get("/webhooks/v1/webhooks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("webhooks-v1.yaml", "QueryResponse", &list);
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
    let r = s
        .post("/webhooks/v1/webhooks")
        .json(&json!({"url": "ftp://example.com", "events": ["epayments.payment.captured.v1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    check("webhooks-v1.yaml", "ProblemDetails", &problem);
}
