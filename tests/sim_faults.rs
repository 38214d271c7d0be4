#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Fault injection and the ledger.

mod common;
use common::sim as sim_common;
use kasse::sim::SimConfig;
use serde_json::{Value, json};
use sim_common::*;

async fn set_faults(s: &Sim, f: Value) {
    let r = s
        .http
        .post(s.url("/sim/v1/faults"))
        .json(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{f}");
}

#[tokio::test]
async fn drop_after_commit_commits_once_and_client_sees_transport_error() {
    let s = start_with(SimConfig {
        rate_limits: false,
        ..config()
    })
    .await;
    s.create("k0", &create_body("drop-0000001", 10000, "QR"))
        .await;
    s.customer("drop-0000001", "approve").await;
    set_faults(&s, json!({"drop_after_commit": 1.0})).await;
    let cap = json!({"modificationAmount": {"currency": "NOK", "value": 10000}});
    let err = s
        .post("/epayment/v1/payments/drop-0000001/capture")
        .header("Idempotency-Key", "cap-drop")
        .json(&cap)
        .send()
        .await;
    assert!(err.is_err(), "expected a transport error, got {err:?}");
    // retry with the same key after the faults are cleared: the original result, no second capture
    let r = s.http.delete(s.url("/sim/v1/faults")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .ep_modify("drop-0000001", "capture", "cap-drop", cap)
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["aggregate"]["capturedAmount"]["value"], 10000);
    let l = s.ledger().await;
    let p = l.payment("drop-0000001").unwrap();
    assert_eq!(p.count("CAPTURED"), 1);
    assert_eq!(p.captured, 10000);
    let op = p.operations.iter().find(|o| o.name == "CAPTURED").unwrap();
    assert_eq!(op.idempotency_key.as_deref(), Some("cap-drop"));
    assert_eq!(op.time.len(), 24);
}

#[tokio::test]
async fn error_rate_answers_5xx_without_doing_anything() {
    let s = start().await;
    set_faults(&s, json!({"error_rate": 1.0})).await;
    let r = s
        .create("k1", &create_body("err-00000001", 10000, "QR"))
        .await;
    assert!(
        [500, 502, 503].contains(&r.status().as_u16()),
        "{}",
        r.status()
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["extraDetails"][0]["reason"], "3010");
    assert!(s.ledger().await.payment("err-00000001").is_none());
    // not cached for the key: the retry succeeds once the fault is gone
    s.http.delete(s.url("/sim/v1/faults")).send().await.unwrap();
    assert_eq!(
        s.create("k1", &create_body("err-00000001", 10000, "QR"))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn rate_limit_rate_and_latency() {
    let s = start().await;
    set_faults(&s, json!({"rate_limit_rate": 1.0})).await;
    let r = s
        .create("k1", &create_body("rl-000000001", 10000, "QR"))
        .await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    set_faults(&s, json!({"latency_ms": [150, 150]})).await;
    let t = std::time::Instant::now();
    assert_eq!(
        s.create("k1", &create_body("rl-000000001", 10000, "QR"))
            .await
            .status(),
        201
    );
    assert!(t.elapsed() >= std::time::Duration::from_millis(150));
    // invalid configs are refused with the field named
    let r = s
        .http
        .post(s.url("/sim/v1/faults"))
        .json(&json!({"error_rate": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("error_rate"));
    let r = s
        .http
        .post(s.url("/sim/v1/faults"))
        .json(&json!({"eror_rate": 0.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn seeded_faults_are_deterministic() {
    async fn outcomes(seed: u64) -> Vec<u16> {
        let s = start_with(SimConfig {
            seed,
            rate_limits: false,
            ..config()
        })
        .await;
        set_faults(&s, json!({"error_rate": 0.5})).await;
        let mut out = Vec::new();
        for i in 0..20 {
            let r = s
                .get(&format!("/epayment/v1/payments/seed-{i:08}"))
                .send()
                .await
                .unwrap();
            out.push(r.status().as_u16());
        }
        out
    }
    let a = outcomes(7).await;
    assert_eq!(a, outcomes(7).await);
    assert!(a.contains(&404) && a.iter().any(|c| *c >= 500), "{a:?}");
}

#[tokio::test]
async fn shutdown_is_graceful() {
    let s = start().await;
    let base = s.base.clone();
    s.handle.shutdown().await.unwrap();
    assert!(reqwest::get(format!("{base}/sim/v1/ledger")).await.is_err());
}

#[tokio::test]
async fn absurd_clock_and_scale_values_are_refused_not_panics() {
    let s = start().await;
    for body in [
        json!({"seconds": 1e300}),
        json!({"seconds": -5}),
        json!({"secs": 5}),
        json!([]),
    ] {
        let r = s
            .http
            .post(s.url("/sim/v1/clock/advance"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    s.advance(10).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bad = kasse::sim::serve(
        listener,
        SimConfig {
            time_scale: 1e12,
            ..config()
        },
    )
    .await;
    assert!(matches!(bad, Err(kasse::sim::SimError::Config(_))));
}
