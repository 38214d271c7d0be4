#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue #13: the Vipps behaviours the simulator never produced — not a Vipps user (7010 / 81),
//! push not enabled (5080 / 38), the sales unit's currency (5040), rate limits that count every
//! call, idempotency scoped per MSN + operation + reference, JWT-shaped tokens, the real eCom
//! landing URL, the AdjustResponse content type, Webhooks API v1 with signed delivery, and
//! 401/403 from the faults endpoint.

mod common;
use common::sim as sim_common;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use kasse::sim::{self, SimConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sim_common::*;

fn push_body(reference: &str, phone: &str) -> Value {
    let mut b = create_body(reference, 10000, "PUSH_MESSAGE");
    b["customer"] = json!({"phoneNumber": phone});
    b
}

fn ecom_body(order_id: &str, mobile: &str, skip: bool) -> Value {
    json!({
        "customerInfo": {"mobileNumber": mobile},
        "merchantInfo": {
            "merchantSerialNumber": MSN,
            "callbackPrefix": "https://example.com/vipps/callbacks",
            "fallBack": "https://example.com/vipps/fallback",
            "isApp": false
        },
        "transaction": {
            "orderId": order_id, "amount": 10000, "transactionText": "Kjøp i butikk",
            "skipLandingPage": skip
        }
    })
}

async fn ecom_err(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    (
        status,
        v[0]["errorGroup"].as_str().unwrap_or("").to_string(),
        v[0]["errorCode"].as_str().unwrap_or("").to_string(),
    )
}

async fn set_faults(s: &Sim, faults: Value) {
    let r = s
        .http
        .post(s.url("/sim/v1/faults"))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
}

// ---- 1. not a Vipps user ----------------------------------------------------------------------

#[tokio::test]
async fn push_to_a_number_that_cannot_pay_businesses_gets_7010() {
    let s = start_with(SimConfig {
        not_a_user: vec!["4798765432".into()],
        ..config()
    })
    .await;
    // the documented default set (last six digits 000000) and the configured number
    for (i, phone) in ["4790000000", "4540000000", "4798765432"]
        .iter()
        .enumerate()
    {
        let r = s
            .create(
                &format!("nu-{i}"),
                &push_body(&format!("notuser-{i:04}"), phone),
            )
            .await;
        assert_eq!(ep_code(r).await, (400, "7010".into()), "{phone}");
    }
    // the demo's documented number still pays
    let r = s
        .create("nu-ok", &push_body("notuser-ok01", "4791234567"))
        .await;
    assert_eq!(r.status(), 201);
    // the faults endpoint adds numbers at run time
    set_faults(&s, json!({"not_a_user": ["4791234567"]})).await;
    let r = s
        .create("nu-f", &push_body("notuser-f001", "4791234567"))
        .await;
    assert_eq!(ep_code(r).await, (400, "7010".into()));
    // a QR payment has no number to refuse
    let r = s
        .create("nu-qr", &create_body("notuser-qr01", 10000, "QR"))
        .await;
    assert_eq!(r.status(), 201);
    let l = s.ledger().await;
    let refs: Vec<&str> = l.payments.iter().map(|p| p.reference.as_str()).collect();
    assert_eq!(
        refs,
        ["notuser-ok01", "notuser-qr01"],
        "refused pushes leave no payment"
    );
}

#[tokio::test]
async fn default_set_can_be_turned_off() {
    let s = start_with(SimConfig {
        default_not_a_user: false,
        ..config()
    })
    .await;
    let r = s
        .create("k", &push_body("default-off-1", "4790000000"))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn ecom_push_to_a_non_user_gets_81() {
    let s = start().await;
    let r = s
        .post("/ecomm/v2/payments")
        .json(&ecom_body("ecom-nu-1", "90000000", true))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await, (400, "User".into(), "81".into()));
    // with the landing page the customer may still type another number
    let r = s
        .post("/ecomm/v2/payments")
        .json(&ecom_body("ecom-nu-2", "90000000", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.ledger().await.payments.len(), 1);
}

// ---- 2. push not enabled ----------------------------------------------------------------------

#[tokio::test]
async fn push_not_enabled_gets_5080_and_ecom_38() {
    let s = start_with(SimConfig {
        no_push_msns: vec![MSN.into()],
        ..config()
    })
    .await;
    let r = s
        .create("np-1", &push_body("nopush-0001", "4791234567"))
        .await;
    assert_eq!(ep_code(r).await, (403, "5080".into()));
    let r = s
        .post("/ecomm/v2/payments")
        .json(&ecom_body("nopush-ecom-1", "91234567", true))
        .send()
        .await
        .unwrap();
    assert_eq!(ecom_err(r).await, (400, "Merchant".into(), "38".into()));
    // QR still works
    let r = s
        .create("np-qr", &create_body("nopush-qr01", 10000, "QR"))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn no_push_from_the_faults_endpoint() {
    let s = start().await;
    set_faults(&s, json!({"no_push": true})).await;
    let r = s
        .create("np-f", &push_body("nopush-f001", "4791234567"))
        .await;
    assert_eq!(ep_code(r).await, (403, "5080".into()));
    s.http.delete(s.url("/sim/v1/faults")).send().await.unwrap();
    let r = s
        .create("np-g", &push_body("nopush-f002", "4791234567"))
        .await;
    assert_eq!(r.status(), 201);
}

// ---- 3. currency of the sales unit ------------------------------------------------------------

#[tokio::test]
async fn other_currency_than_the_sales_units_gets_5040() {
    let s = start_with(SimConfig {
        msns: vec![MSN.into(), "654321".into()],
        currency: "DKK".into(),
        msn_currencies: vec![("654321".into(), "EUR".into())],
        ..config()
    })
    .await;
    let r = s
        .create("cur-1", &create_body("currency-0001", 10000, "QR"))
        .await;
    assert_eq!(ep_code(r).await, (400, "5040".into()), "NOK to a DKK unit");
    let mut dkk = create_body("currency-0002", 10000, "QR");
    dkk["amount"]["currency"] = json!("DKK");
    assert_eq!(s.create("cur-2", &dkk).await.status(), 201);
    // the EUR unit refuses DKK
    let mut eur_unit = dkk.clone();
    eur_unit["reference"] = json!("currency-0003");
    let eur = |body: &Value, key: &str| {
        s.http
            .post(s.url("/epayment/v1/payments"))
            .bearer_auth(&s.token)
            .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
            .header("Merchant-Serial-Number", "654321")
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let r = eur(&eur_unit, "cur-3").await.unwrap();
    assert_eq!(
        ep_code(r).await,
        (400, "5040".into()),
        "DKK to the EUR unit"
    );
    eur_unit["amount"]["currency"] = json!("EUR");
    assert_eq!(eur(&eur_unit, "cur-4").await.unwrap().status(), 201);
    let l = s.ledger().await;
    assert_eq!(l.payment("currency-0003").unwrap().currency, "EUR");
    assert_eq!(l.payment("currency-0002").unwrap().currency, "DKK");
    assert!(l.payment("currency-0001").is_none());
}

// ---- 4. rate limits count every call ----------------------------------------------------------

#[tokio::test]
async fn replays_count_and_429_carries_an_honest_retry_after() {
    let s = start().await;
    let body = create_body("ratelimit-0001", 10000, "QR");
    for _ in 0..5 {
        assert_eq!(s.create("rl-key", &body).await.status(), 201, "replay");
    }
    let r = s.create("rl-key", &body).await;
    assert_eq!(
        r.status(),
        429,
        "the sixth call in a minute, replays included"
    );
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    // rejected calls count too: hammering does not get through
    assert_eq!(s.create("rl-key", &body).await.status(), 429);
    // waiting as told is enough
    s.advance(wait + 1).await;
    assert_eq!(s.create("rl-key", &body).await.status(), 201);
    assert_eq!(
        s.ledger().await.payments.len(),
        1,
        "one payment whatever the retries"
    );
}

#[tokio::test]
async fn capture_replays_count_against_the_operation_on_the_reference() {
    let s = start().await;
    s.create("c-create", &create_body("ratelimit-0002", 10000, "QR"))
        .await;
    s.customer("ratelimit-0002", "approve").await;
    let cap = json!({"modificationAmount": {"currency": "NOK", "value": 10000}});
    // each operation has its own 5/min: five capture calls with one key pass (one capture, four
    // replays), the sixth is limited; a refund still has its own budget
    for _ in 0..5 {
        let r = s
            .ep_modify("ratelimit-0002", "capture", "c1", cap.clone())
            .await;
        assert_eq!(r.status(), 200);
    }
    let r = s
        .ep_modify("ratelimit-0002", "capture", "c1", cap.clone())
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let r = s
        .ep_modify("ratelimit-0002", "refund", "r1", cap.clone())
        .await;
    assert_eq!(r.status(), 200);
    let l = s.ledger().await;
    let p = l.payment("ratelimit-0002").unwrap();
    assert_eq!((p.count("CAPTURED"), p.count("REFUNDED")), (1, 1));
}

#[tokio::test]
async fn reads_are_limited_per_reference_and_ecom_initiate_at_two() {
    let s = start().await;
    s.create("r-create", &create_body("ratelimit-0003", 10000, "QR"))
        .await;
    for i in 0..120 {
        let r = s
            .get("/epayment/v1/payments/ratelimit-0003")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "read {i}");
    }
    let r = s
        .get("/epayment/v1/payments/ratelimit-0003/events")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "GET payment and events share the 120/min");
    // eCom initiate: 2 per orderId + MSN (a duplicate is refused with 34, and still counts)
    let b = ecom_body("ratelimit-ecom", "91234567", false);
    assert_eq!(
        s.post("/ecomm/v2/payments")
            .json(&b)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = s.post("/ecomm/v2/payments").json(&b).send().await.unwrap();
    assert_eq!(ecom_err(r).await.2, "34");
    let r = s.post("/ecomm/v2/payments").json(&b).send().await.unwrap();
    assert_eq!(r.status(), 429);
}

// ---- 5. idempotency scope ---------------------------------------------------------------------

#[tokio::test]
async fn one_key_for_create_capture_and_refund_as_vipps_collection_does() {
    let s = start().await;
    let key = "9f1c1a55-3a2e-4f5e-9a9e-collection";
    assert_eq!(
        s.create(key, &create_body("idemscope-0001", 10000, "QR"))
            .await
            .status(),
        201
    );
    s.customer("idemscope-0001", "approve").await;
    let amt = json!({"modificationAmount": {"currency": "NOK", "value": 10000}});
    let r = s
        .ep_modify("idemscope-0001", "capture", key, amt.clone())
        .await;
    assert_eq!(r.status(), 200);
    let r = s
        .ep_modify("idemscope-0001", "refund", key, amt.clone())
        .await;
    assert_eq!(r.status(), 200);
    // same key, same operation, different body → 409 still
    let r = s
        .ep_modify(
            "idemscope-0001",
            "refund",
            key,
            json!({"modificationAmount": {"currency": "NOK", "value": 500}}),
        )
        .await;
    assert_eq!(ep_code(r).await, (409, "4150".into()));
    let l = s.ledger().await;
    let p = l.payment("idemscope-0001").unwrap();
    assert_eq!((p.captured, p.refunded), (10000, 10000));
    assert_eq!(p.count("REFUNDED"), 1);
}

// ---- 6. realistic access tokens ---------------------------------------------------------------

#[tokio::test]
async fn access_token_is_a_long_jwt_with_exp() {
    let s = start().await;
    let t = &s.token;
    assert!(t.len() >= 1000, "token of {} characters", t.len());
    let parts: Vec<&str> = t.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (now + 3500..=now + 3700).contains(&exp),
        "exp {exp} vs now {now}"
    );
    // and it works as a bearer token
    assert_eq!(
        s.create("tok-1", &create_body("token-00001", 10000, "QR"))
            .await
            .status(),
        201
    );
}

// ---- 7. eCom landing URL ----------------------------------------------------------------------

#[tokio::test]
async fn ecom_url_has_the_real_shape() {
    let s = start().await;
    let r = s
        .post("/ecomm/v2/payments")
        .json(&ecom_body("ecom-url-1", "91234567", false))
        .send()
        .await
        .unwrap();
    let url = r.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.contains("?v=2&token="), "{url}");
    // Vipps' collection: `str.split('=', 3)[2]` is the token
    let token = url.split('=').nth(2).unwrap();
    assert!(!token.is_empty() && !token.contains('&'));
    let page = s.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("ecom-url-1"));
}

// ---- 9. content type of a successful modification ---------------------------------------------

#[tokio::test]
async fn modifications_answer_with_the_declared_content_type() {
    let s = start().await;
    s.create("ct-c", &create_body("ctype-00001", 10000, "QR"))
        .await;
    s.customer("ctype-00001", "approve").await;
    let amt = json!({"modificationAmount": {"currency": "NOK", "value": 4000}});
    for (op, body) in [
        ("capture", amt.clone()),
        ("refund", amt.clone()),
        ("cancel", json!({})),
    ] {
        let r = s
            .ep_modify("ctype-00001", op, &format!("ct-{op}"), body)
            .await;
        assert_eq!(r.status(), 200, "{op}");
        // epayment-v1.yaml components/responses/AdjustResponse
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{op}"
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["reference"], "ctype-00001");
    }
}

// ---- faults: 401 / 403 ------------------------------------------------------------------------

#[tokio::test]
async fn faults_answer_401_or_403_to_every_api_call() {
    let s = start().await;
    set_faults(&s, json!({"reject_auth": true})).await;
    let r = s
        .create("f-1", &create_body("faults-00001", 10000, "QR"))
        .await;
    assert_eq!(r.status(), 401);
    let r = s
        .http
        .post(s.url("/accesstoken/get"))
        .header("client_id", sim::DEFAULT_CLIENT_ID)
        .header("client_secret", sim::DEFAULT_CLIENT_SECRET)
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    set_faults(&s, json!({"forbidden": true})).await;
    let r = s
        .get("/epayment/v1/payments/faults-00001")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = s
        .http
        .post(s.url("/sim/v1/faults"))
        .json(&json!({"forbidden": true, "reject_auth": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "both at once is refused, naming the field");
    s.http.delete(s.url("/sim/v1/faults")).send().await.unwrap();
    assert!(s.ledger().await.payments.is_empty());
    assert_eq!(
        s.create("f-2", &create_body("faults-00002", 10000, "QR"))
            .await
            .status(),
        201
    );
}

// ---- 8. webhooks ------------------------------------------------------------------------------

#[derive(Default)]
struct Received {
    /// (path and query, headers, body)
    calls: Vec<(String, HeaderMap, Bytes)>,
    /// Answer 500 to this many calls first.
    fail_first: usize,
    failed: usize,
}

async fn receiver() -> (String, Arc<Mutex<Received>>, tokio::task::JoinHandle<()>) {
    let got = Arc::new(Mutex::new(Received::default()));
    let g = got.clone();
    let app = axum::Router::new().route(
        "/vipps/hook",
        axum::routing::post(
            move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
                let g = g.clone();
                async move {
                    let mut r = g.lock().unwrap();
                    if r.failed < r.fail_first {
                        r.failed += 1;
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let pq = uri
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default();
                    r.calls.push((pq, headers, body));
                    StatusCode::OK
                }
            },
        ),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    (format!("http://{addr}/vipps/hook?shop=1"), got, task)
}

/// Verify a delivery the way Vipps documents it (shared/docs/vipps-api.md §4.8).
fn verify(secret: &str, pq: &str, h: &HeaderMap, body: &[u8]) {
    let hash = STANDARD.encode(Sha256::digest(body));
    assert_eq!(h["x-ms-content-sha256"], hash.as_str());
    let date = h["x-ms-date"].to_str().unwrap();
    assert!(date.ends_with(" GMT"), "RFC 1123 date, got {date}");
    let host = h["host"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("POST\n{pq}\n{date};{host};{hash}").as_bytes());
    let sig = STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(
        h["authorization"].to_str().unwrap(),
        format!("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={sig}")
    );
}

async fn wait_for(got: &Arc<Mutex<Received>>, n: usize) {
    for _ in 0..300 {
        if got.lock().unwrap().calls.len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "expected {n} webhook calls, got {}",
        got.lock().unwrap().calls.len()
    );
}

#[tokio::test]
async fn webhooks_register_list_deliver_signed_and_delete() {
    let s = start().await;
    let (url, got, _task) = receiver().await;
    let r = s
        .post("/webhooks/v1/webhooks")
        .json(&json!({"url": url, "events": [
            "epayments.payment.created.v1",
            "epayments.payment.authorized.v1",
            "epayments.payment.captured.v1"
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let reg: Value = r.json().await.unwrap();
    let id = reg["id"].as_str().unwrap().to_string();
    let secret = reg["secret"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());

    let list: Value = s
        .get("/webhooks/v1/webhooks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["webhooks"][0]["id"], id.as_str());
    assert_eq!(list["webhooks"][0]["url"], url.as_str());
    assert!(
        !list.to_string().contains(&secret),
        "the secret is shown once"
    );

    s.create("wh-create", &create_body("webhook-00001", 10000, "QR"))
        .await;
    s.customer("webhook-00001", "approve").await;
    let r = s
        .ep_modify(
            "webhook-00001",
            "capture",
            "wh-cap",
            json!({"modificationAmount": {"currency": "NOK", "value": 10000}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    wait_for(&got, 3).await;
    let calls = std::mem::take(&mut got.lock().unwrap().calls);
    let names: Vec<String> = calls
        .iter()
        .map(|(pq, h, body)| {
            assert_eq!(pq, "/vipps/hook?shop=1");
            verify(&secret, pq, h, body);
            let v: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(v["msn"], MSN);
            assert_eq!(v["reference"], "webhook-00001");
            assert_eq!(v["success"], true);
            assert_eq!(v["amount"]["currency"], "NOK");
            v["name"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(names, ["CREATED", "AUTHORIZED", "CAPTURED"], "in order");
    let cap: Value = serde_json::from_slice(&calls[2].2).unwrap();
    assert_eq!(cap["idempotencyKey"], "wh-cap");
    assert_eq!(cap["amount"]["value"], 10000);

    let r = s
        .http
        .delete(s.url(&format!("/webhooks/v1/webhooks/{id}")))
        .bearer_auth(&s.token)
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .header("Merchant-Serial-Number", MSN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let list: Value = s
        .get("/webhooks/v1/webhooks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!({"webhooks": []}));
    // no more deliveries after delete
    s.create("wh-create-2", &create_body("webhook-00002", 10000, "QR"))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(got.lock().unwrap().calls.is_empty());
}

#[tokio::test]
async fn webhook_delivery_is_retried_until_the_receiver_answers() {
    let s = start().await;
    let (url, got, _task) = receiver().await;
    got.lock().unwrap().fail_first = 2;
    let r = s
        .post("/webhooks/v1/webhooks")
        .json(&json!({"url": url, "events": ["epayments.payment.created.v1"]}))
        .send()
        .await
        .unwrap();
    let secret = r.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    s.create("whr", &create_body("webhook-retry1", 10000, "QR"))
        .await;
    wait_for(&got, 1).await;
    {
        let g = got.lock().unwrap();
        assert_eq!(g.failed, 2, "the fault fired twice");
        assert_eq!(g.calls.len(), 1);
        verify(&secret, &g.calls[0].0, &g.calls[0].1, &g.calls[0].2);
    }
    let log: Value = s
        .http
        .get(s.url("/sim/v1/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attempts: Vec<(u64, bool)> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap(),
                d["delivered"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true)]);
    assert!(!log.to_string().contains(&secret));
}

#[tokio::test]
async fn webhook_registration_is_validated() {
    let s = start().await;
    for (body, field) in [
        (
            json!({"url": "http://example.com/hook", "events": ["epayments.payment.created.v1"]}),
            "url",
        ),
        (
            json!({"url": "https://example.com/hook", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://example.com/hook", "events": ["payments.nope.v1"]}),
            "events",
        ),
        (json!({"url": "https://example.com/hook"}), "events"),
        (
            json!({"url": "https://example.com/hook", "events": ["epayments.payment.created.v1"], "x": 1}),
            "x",
        ),
    ] {
        let r = s
            .post("/webhooks/v1/webhooks")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["extraDetails"][0]["name"], field, "{v}");
    }
    // at most 5 per event
    for i in 0..5 {
        let r = s
            .post("/webhooks/v1/webhooks")
            .json(&json!({"url": format!("https://example.com/h{i}"), "events": ["epayments.payment.created.v1"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let r = s
        .post("/webhooks/v1/webhooks")
        .json(&json!({"url": "https://example.com/h6", "events": ["epayments.payment.created.v1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .http
        .delete(s.url("/webhooks/v1/webhooks/00000000-0000-0000-0000-000000000000"))
        .bearer_auth(&s.token)
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .header("Merchant-Serial-Number", MSN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = s
        .http
        .get(s.url("/webhooks/v1/webhooks"))
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no token");
}
