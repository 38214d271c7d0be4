#![allow(clippy::unwrap_used, clippy::expect_used)]
//! ePayment v1 and Access Token behaviour of the simulator.

mod common;
use common::sim as sim_common;
use kasse::sim::{self, SimConfig};
use serde_json::{Value, json};
use sim_common::*;

#[tokio::test]
async fn access_token_rules() {
    let s = start().await;
    // case-insensitive path, string-valued fields
    let r = s
        .http
        .post(s.url("/accessToken/get"))
        .header("client_id", sim::DEFAULT_CLIENT_ID)
        .header("client_secret", sim::DEFAULT_CLIENT_SECRET)
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    for f in [
        "token_type",
        "expires_in",
        "ext_expires_in",
        "expires_on",
        "not_before",
        "resource",
        "access_token",
    ] {
        assert!(v[f].is_string(), "{f} must be a string: {v}");
    }
    assert_eq!(v["expires_in"], "3600");
    // wrong secret
    let r = s
        .http
        .post(s.url("/accesstoken/get"))
        .header("client_id", sim::DEFAULT_CLIENT_ID)
        .header("client_secret", "nope")
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // missing subscription key → gateway format
    let r = s
        .http
        .post(s.url("/accesstoken/get"))
        .header("client_id", sim::DEFAULT_CLIENT_ID)
        .header("client_secret", sim::DEFAULT_CLIENT_SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["statusCode"], 401);
    // unknown bearer
    let r = s
        .http
        .get(s.url("/epayment/v1/payments/abcdefgh1"))
        .bearer_auth("forged")
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .header("Merchant-Serial-Number", MSN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // expired token: advance past the 1 h lifetime
    s.advance(3601).await;
    let r = s
        .get("/epayment/v1/payments/abcdefgh1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn full_lifecycle_with_aggregate_and_events() {
    let s = start().await;
    let body = create_body("shop-pos1-000001", 49900, "PUSH_MESSAGE");
    let r = s.create("key-create-1", &body).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["reference"], "shop-pos1-000001");
    assert!(
        v.get("redirectUrl").is_none(),
        "PUSH_MESSAGE has no redirectUrl: {v}"
    );
    assert_eq!(s.ep_get("shop-pos1-000001").await["state"], "CREATED");

    // capture before authorization → 6080
    let r = s
        .ep_modify(
            "shop-pos1-000001",
            "capture",
            "cap-0",
            json!({"modificationAmount": {"currency": "NOK", "value": 100}}),
        )
        .await;
    assert_eq!(ep_code(r).await, (400, "6080".into()));

    assert_eq!(
        s.customer("shop-pos1-000001", "approve").await.status(),
        200
    );
    let g = s.ep_get("shop-pos1-000001").await;
    assert_eq!(g["state"], "AUTHORIZED");
    assert_eq!(g["aggregate"]["authorizedAmount"]["value"], 49900);

    let r = s
        .ep_modify(
            "shop-pos1-000001",
            "capture",
            "cap-1",
            json!({"modificationAmount": {"currency": "NOK", "value": 20000}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["aggregate"]["capturedAmount"]["value"], 20000);
    assert_eq!(m["state"], "AUTHORIZED");

    // too much
    let r = s
        .ep_modify(
            "shop-pos1-000001",
            "capture",
            "cap-2",
            json!({"modificationAmount": {"currency": "NOK", "value": 30000}}),
        )
        .await;
    assert_eq!(ep_code(r).await, (400, "6090".into()));
    // 5 mutations per minute per payment: let the window pass
    s.advance(61).await;
    // refund more than captured
    let r = s
        .ep_modify(
            "shop-pos1-000001",
            "refund",
            "ref-1",
            json!({"modificationAmount": {"currency": "NOK", "value": 20001}}),
        )
        .await;
    assert_eq!(ep_code(r).await, (400, "6150".into()));
    let r = s
        .ep_modify(
            "shop-pos1-000001",
            "refund",
            "ref-2",
            json!({"modificationAmount": {"currency": "NOK", "value": 5000}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // 5 mutations per minute per payment: let the window pass
    s.advance(61).await;
    // cancelTransactionOnly on an authorized payment → 6060
    let r = s
        .ep_modify(
            "shop-pos1-000001",
            "cancel",
            "can-1",
            json!({"cancelTransactionOnly": true}),
        )
        .await;
    assert_eq!(ep_code(r).await, (400, "6060".into()));
    // plain cancel releases the remainder
    let r = s
        .ep_modify("shop-pos1-000001", "cancel", "can-2", json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let g = s.ep_get("shop-pos1-000001").await;
    assert_eq!(g["state"], "AUTHORIZED");
    assert_eq!(g["aggregate"]["cancelledAmount"]["value"], 29900);
    assert_eq!(g["aggregate"]["refundedAmount"]["value"], 5000);

    let r = s
        .get("/epayment/v1/payments/shop-pos1-000001/events")
        .send()
        .await
        .unwrap();
    let ev: Vec<Value> = r.json().await.unwrap();
    let names: Vec<&str> = ev.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["CREATED", "AUTHORIZED", "CAPTURED", "REFUNDED", "CANCELLED"]
    );
    assert_eq!(ev[2]["idempotencyKey"], "cap-1");
    assert!(ev.iter().all(|e| e["success"] == true));
    assert!(ev[0]["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        ev[0]["timestamp"].as_str().unwrap().len(),
        24,
        "RFC 3339 with ms"
    );
}

#[tokio::test]
async fn idempotency_replay_and_conflict() {
    // Nine calls on one reference within a minute: the gateway would answer 429 from the sixth
    // (replays count, see sim_fidelity); this test is about the idempotency rules alone.
    let s = start_with(SimConfig {
        rate_limits: false,
        ..config()
    })
    .await;
    let body = create_body("idem-test-0001", 10000, "WEB_REDIRECT");
    let a: Value = s.create("k1", &body).await.json().await.unwrap();
    let r = s.create("k1", &body).await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert_eq!(a, b, "same key + same body → original response");
    // same key, different body
    let other = create_body("idem-test-0002", 10000, "WEB_REDIRECT");
    assert_eq!(
        ep_code(s.create("k1", &other).await).await,
        (409, "4020".into())
    );
    // new key, same reference → reference exists
    assert_eq!(
        ep_code(s.create("k2", &body).await).await,
        (409, "4150".into())
    );

    s.customer("idem-test-0001", "approve").await;
    let cap = json!({"modificationAmount": {"currency": "NOK", "value": 4000}});
    assert_eq!(
        s.ep_modify("idem-test-0001", "capture", "c1", cap.clone())
            .await
            .status(),
        200
    );
    assert_eq!(
        s.ep_modify("idem-test-0001", "capture", "c1", cap.clone())
            .await
            .status(),
        200
    );
    let r = s
        .ep_modify(
            "idem-test-0001",
            "capture",
            "c1",
            json!({"modificationAmount": {"currency": "NOK", "value": 5000}}),
        )
        .await;
    assert_eq!(ep_code(r).await, (409, "4010".into()));
    // a 4xx stays a 4xx for its key
    let big = json!({"modificationAmount": {"currency": "NOK", "value": 999999}});
    assert_eq!(
        ep_code(
            s.ep_modify("idem-test-0001", "capture", "c9", big.clone())
                .await
        )
        .await
        .1,
        "6090"
    );
    assert_eq!(
        ep_code(s.ep_modify("idem-test-0001", "capture", "c9", big).await)
            .await
            .1,
        "6090"
    );

    let g = s.ep_get("idem-test-0001").await;
    assert_eq!(
        g["aggregate"]["capturedAmount"]["value"], 4000,
        "captured exactly once"
    );
    let l = s.ledger().await;
    assert_eq!(l.payment("idem-test-0001").unwrap().count("CAPTURED"), 1);
    assert_eq!(s.handle.ledger(), l);
}

#[tokio::test]
async fn validation_errors_use_documented_codes() {
    let s = start().await;
    let cases: Vec<(Value, &str)> = vec![
        (create_body("short", 10000, "QR"), "4140"),
        (create_body("valid-ref-0001", 99, "QR"), "6010"),
        (create_body("valid-ref-0002", 65_000_001, "QR"), "4040"),
        (
            {
                let mut b = create_body("valid-ref-0003", 10000, "PUSH_MESSAGE");
                b["customer"] = json!({"phoneNumber": "91234567"});
                b
            },
            "4070",
        ),
        (
            {
                let mut b = create_body("valid-ref-0004", 10000, "QR");
                b["paymentDescription"] = json!("ab");
                b
            },
            "4140",
        ),
        (
            {
                let mut b = create_body("valid-ref-0005", 10000, "QR");
                b["receipt"] = receipt(12500, 10000, 2400);
                b
            },
            "4140",
        ),
        (
            {
                let mut b = create_body("valid-ref-0006", 10000, "QR");
                b["paymentMethod"] = json!({"type": "CASH"});
                b
            },
            "4160",
        ),
        (
            {
                let mut b = create_body("valid-ref-0007", 10000, "WEB_REDIRECT");
                b["returnUrl"] = json!("http://insecure.example.com");
                b
            },
            "4090",
        ),
        (
            {
                let mut b = create_body("valid-ref-0008", 10000, "QR");
                b["amount"]["value"] = json!(100.5);
                b
            },
            "4040",
        ),
        (
            {
                let mut b = create_body("valid-ref-0009", 10000, "PUSH_MESSAGE");
                b.as_object_mut().unwrap().remove("customer");
                b
            },
            "4140",
        ),
        (
            {
                let mut b = create_body("valid-ref-0010", 10000, "QR");
                b["metadata"] = json!({"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6"});
                b
            },
            "4100",
        ),
    ];
    for (i, (body, code)) in cases.into_iter().enumerate() {
        let r = s.create(&format!("v-{i}"), &body).await;
        assert_eq!(
            ep_code(r).await,
            (400, code.to_string()),
            "case {i}: {body}"
        );
    }
    // a correct receipt is accepted
    let mut b = create_body("valid-ref-0011", 12500, "QR");
    b["receipt"] = receipt(12500, 10000, 2500);
    assert_eq!(s.create("v-ok", &b).await.status(), 201);
    // missing Idempotency-Key
    let r = s
        .post("/epayment/v1/payments")
        .json(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(ep_code(r).await, (400, "4140".into()));
    // unknown reference
    let r = s
        .get("/epayment/v1/payments/does-not-exist")
        .send()
        .await
        .unwrap();
    assert_eq!(ep_code(r).await, (404, "5090".into()));
}

#[tokio::test]
async fn push_not_allowed_gives_5080_and_qr_formats() {
    let cfg = SimConfig {
        msns: vec![MSN.into(), "654321".into()],
        no_push_msns: vec!["654321".into()],
        ..config()
    };
    let s = start_with(cfg).await;
    let r = s
        .post("/epayment/v1/payments")
        .header("Merchant-Serial-Number", "654321")
        .header("Idempotency-Key", "p1")
        .json(&create_body("nopush-0000001", 10000, "PUSH_MESSAGE"))
        .send()
        .await
        .unwrap();
    // reqwest appends a second MSN header; the sim reads the first. Use a clean request instead.
    drop(r);
    let r = s
        .http
        .post(s.url("/epayment/v1/payments"))
        .bearer_auth(&s.token)
        .header("Ocp-Apim-Subscription-Key", sim::DEFAULT_SUBSCRIPTION_KEY)
        .header("Merchant-Serial-Number", "654321")
        .header("Idempotency-Key", "p2")
        .json(&create_body("nopush-0000002", 10000, "PUSH_MESSAGE"))
        .send()
        .await
        .unwrap();
    assert_eq!(ep_code(r).await.1, "5080");

    for (i, fmt) in ["TEXT/TARGETURL", "IMAGE/SVG+XML", "IMAGE/PNG"]
        .iter()
        .enumerate()
    {
        let mut b = create_body(&format!("qr-format-{i:04}"), 10000, "QR");
        b["qrFormat"] = json!({"format": fmt});
        let r = s.create(&format!("qr{i}"), &b).await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        let url = v["redirectUrl"].as_str().unwrap().to_string();
        let page = s.http.get(&url).send().await.unwrap();
        assert_eq!(page.status(), 200, "{url}");
        let ct = page.headers()["content-type"].to_str().unwrap().to_string();
        if *fmt == "TEXT/TARGETURL" {
            assert!(ct.starts_with("text/html"), "{ct}");
            // opening the landing page counts as "opened"
        } else if *fmt == "IMAGE/PNG" {
            assert_eq!(ct, "image/png");
            let bytes = page.bytes().await.unwrap();
            assert_eq!(&bytes[1..4], b"PNG");
        } else {
            assert_eq!(ct, "image/svg+xml");
        }
    }
    let mut b = create_body("qr-format-bad1", 10000, "QR");
    b["qrFormat"] = json!({"format": "IMAGE/SVG+XML", "size": 50});
    assert_eq!(ep_code(s.create("qrbad", &b).await).await.1, "4140");
}

#[tokio::test]
async fn cancel_before_authorization_terminates() {
    let s = start().await;
    s.create("k", &create_body("term-000001", 10000, "QR"))
        .await;
    let r = s
        .ep_modify(
            "term-000001",
            "cancel",
            "c",
            json!({"cancelTransactionOnly": true}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let g = s.ep_get("term-000001").await;
    assert_eq!(g["state"], "TERMINATED");
    assert_eq!(g["aggregate"]["cancelledAmount"]["value"], 10000);
    assert_eq!(s.customer("term-000001", "approve").await.status(), 409);
    // full capture then cancel → 6040
    s.create("k2", &create_body("term-000002", 10000, "QR"))
        .await;
    s.customer("term-000002", "approve").await;
    s.ep_modify(
        "term-000002",
        "capture",
        "c2",
        json!({"modificationAmount": {"currency": "NOK", "value": 10000}}),
    )
    .await;
    let r = s.ep_modify("term-000002", "cancel", "c3", json!({})).await;
    assert_eq!(ep_code(r).await, (400, "6040".into()));
}

#[tokio::test]
async fn reject_and_magic_amount_abort() {
    let s = start().await;
    s.create("k1", &create_body("reject-000001", 10000, "QR"))
        .await;
    assert_eq!(s.customer("reject-000001", "reject").await.status(), 200);
    assert_eq!(s.ep_get("reject-000001").await["state"], "ABORTED");

    s.create("k2", &create_body("magic-000151", 15100, "QR"))
        .await;
    let r = s
        .post("/epayment/v1/test/payments/magic-000151/approve")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(ep_code(r).await, (400, "10010".into()));
    assert_eq!(s.ep_get("magic-000151").await["state"], "ABORTED");

    s.create("k3", &create_body("force-000001", 10000, "QR"))
        .await;
    let r = s
        .post("/epayment/v1/test/payments/force-000001/approve")
        .json(&json!({"customer": {"phoneNumber": "4791234567"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.ep_get("force-000001").await["state"], "AUTHORIZED");
}

#[tokio::test]
async fn expiry_with_clock_advance() {
    let s = start().await;
    // never opened: expires 5 min after creation
    s.create("k1", &create_body("expire-000001", 10000, "QR"))
        .await;
    s.advance(299).await;
    assert_eq!(s.ep_get("expire-000001").await["state"], "CREATED");
    s.advance(2).await;
    assert_eq!(s.ep_get("expire-000001").await["state"], "EXPIRED");
    assert_eq!(s.customer("expire-000001", "approve").await.status(), 409);
    // opened at 4 min: 5 more minutes from opening
    s.create("k2", &create_body("expire-000002", 10000, "QR"))
        .await;
    s.advance(240).await;
    assert_eq!(s.customer("expire-000002", "open").await.status(), 200);
    s.advance(240).await;
    assert_eq!(s.ep_get("expire-000002").await["state"], "CREATED");
    s.advance(61).await;
    assert_eq!(s.ep_get("expire-000002").await["state"], "EXPIRED");
    let ev: Vec<Value> = s
        .get("/epayment/v1/payments/expire-000002/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ev.last().unwrap()["name"], "EXPIRED");
}

#[tokio::test]
async fn expiry_under_time_scale() {
    // 600 simulated seconds per real second: 5 min pass in 0.5 s.
    let s = start_with(SimConfig {
        time_scale: 600.0,
        rate_limits: false,
        ..config()
    })
    .await;
    s.create("k1", &create_body("scaled-000001", 10000, "QR"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    // the background ticker expired it; the ledger (no lazy read of the payment) shows it
    let l = s.handle.ledger();
    assert_eq!(l.payment("scaled-000001").unwrap().state, "EXPIRED");
}

#[tokio::test]
async fn auto_approve_after() {
    let s = start_with(SimConfig {
        auto_approve_after: Some(std::time::Duration::from_secs(10)),
        ..config()
    })
    .await;
    s.create("k1", &create_body("auto-0000001", 10000, "QR"))
        .await;
    assert_eq!(s.ep_get("auto-0000001").await["state"], "CREATED");
    s.advance(11).await;
    assert_eq!(s.ep_get("auto-0000001").await["state"], "AUTHORIZED");
}

#[tokio::test]
async fn rate_limits_per_payment() {
    let s = start().await;
    s.create("k0", &create_body("rate-0000001", 100000, "QR"))
        .await;
    s.customer("rate-0000001", "approve").await;
    let cap = |i: i32| json!({"modificationAmount": {"currency": "NOK", "value": 100 + i}});
    // each operation has its own 5/min per reference (the create does not use up captures)
    for i in 0..5 {
        assert_eq!(
            s.ep_modify("rate-0000001", "capture", &format!("c{i}"), cap(i))
                .await
                .status(),
            200
        );
    }
    let r = s.ep_modify("rate-0000001", "capture", "c9", cap(9)).await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    // another payment is not affected
    assert_eq!(
        s.create("k1", &create_body("rate-0000002", 10000, "QR"))
            .await
            .status(),
        201
    );
    s.advance(61).await;
    assert_eq!(
        s.ep_modify("rate-0000001", "capture", "c9", cap(9))
            .await
            .status(),
        200
    );

    let off = start_with(SimConfig {
        rate_limits: false,
        ..config()
    })
    .await;
    off.create("k0", &create_body("rate-0000003", 100000, "QR"))
        .await;
    off.customer("rate-0000003", "approve").await;
    for i in 0..8 {
        assert_eq!(
            off.ep_modify("rate-0000003", "capture", &format!("c{i}"), cap(i))
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn robustness_malformed_requests() {
    let s = start().await;
    let r = s
        .post("/epayment/v1/payments")
        .header("Idempotency-Key", "m1")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(ep_code(r).await.0, 400);
    let r = s
        .post("/epayment/v1/payments")
        .header("Idempotency-Key", "m2")
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(ep_code(r).await.0, 415);
    let r = s
        .post("/epayment/v1/payments")
        .header("Idempotency-Key", "m3")
        .header("Content-Type", "application/json")
        .body(vec![b' '; 5 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(ep_code(r).await.0, 413);
    let r = s.get("/epayment/v1/nothing/here").send().await.unwrap();
    assert_eq!(ep_code(r).await.0, 404);
    let r = s.http.get(s.url("/no/such/path")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["statusCode"], 404);
    let r = s
        .http
        .delete(s.url("/epayment/v1/payments"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn token_lifetime_is_real_time_under_time_scale() {
    // 100 000× faster: 10 000 simulated seconds pass in 0.1 s, far beyond the 1 h token TTL.
    let s = start_with(SimConfig {
        time_scale: 100_000.0,
        ..config()
    })
    .await;
    s.create("k1", &create_body("fast-0000001", 10000, "QR"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // the token still works (its real-time lifetime is `expires_in`), the payment expired
    assert_eq!(s.ep_get("fast-0000001").await["state"], "EXPIRED");
}
