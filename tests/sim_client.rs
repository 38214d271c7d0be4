#![allow(clippy::unwrap_used, clippy::expect_used)]
//! kasse's own Vipps client (crate::api) against the simulator: the two sides agree on the wire.

mod common;
use common::sim as sim_common;
use std::time::Duration;

use kasse::api::epayment::{
    Amount, CreatePaymentRequest, Customer, ForceApproveRequest, ModificationRequest, PaymentState,
    UserFlow,
};
use kasse::api::retry::RetryPolicy;
use kasse::api::{ApiSettings, IdempotencyKey, Vipps};
use kasse::sim::{self, SimConfig};
use secrecy::SecretString;
use serde_json::json;
use sim_common::*;

fn client(base: &str, retry: RetryPolicy) -> Vipps {
    let mut settings = ApiSettings::new(
        base,
        MSN,
        sim::DEFAULT_CLIENT_ID,
        SecretString::from(sim::DEFAULT_CLIENT_SECRET),
        SecretString::from(sim::DEFAULT_SUBSCRIPTION_KEY),
    );
    settings.retry = retry;
    Vipps::new(settings).unwrap()
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

#[tokio::test]
async fn epayment_lifecycle_through_the_real_client() {
    let s = start().await;
    let v = client(&s.base, RetryPolicy::default());
    v.check_credentials().await.unwrap();
    let mut req =
        CreatePaymentRequest::new("client-000001", Amount::nok(49900), UserFlow::PushMessage);
    req.customer = Some(Customer::phone("4791234567"));
    req.payment_description = Some("Kjøp i butikken".into());
    let created = v.epayment().create(&req, &key("create-1")).await.unwrap();
    assert_eq!(created.reference, "client-000001");
    assert_eq!(
        v.epayment().get("client-000001").await.unwrap().state,
        PaymentState::Created
    );
    v.epayment()
        .force_approve(
            "client-000001",
            &ForceApproveRequest {
                customer: Some(Customer::phone("4791234567")),
                token: None,
            },
        )
        .await
        .unwrap();
    let m = v
        .epayment()
        .capture(
            "client-000001",
            &ModificationRequest {
                modification_amount: Amount::nok(49900),
            },
            &key("cap-1"),
        )
        .await
        .unwrap();
    assert_eq!(m.aggregate.captured_amount.value, 49900);
    let err = v
        .epayment()
        .capture(
            "client-000001",
            &ModificationRequest {
                modification_amount: Amount::nok(1),
            },
            &key("cap-2"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(400));
    assert_eq!(err.code.as_deref(), Some("6090"));
    let events = v.epayment().events("client-000001").await.unwrap();
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn dropped_response_then_retry_with_same_key_captures_once() {
    let s = start_with(SimConfig {
        rate_limits: false,
        ..config()
    })
    .await;
    let quick = RetryPolicy {
        max_attempts: 2,
        max_total: Duration::from_secs(2),
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
    };
    let v = client(&s.base, quick);
    let req = CreatePaymentRequest::new("client-drop-01", Amount::nok(10000), UserFlow::Qr);
    v.epayment().create(&req, &key("c1")).await.unwrap();
    s.customer("client-drop-01", "approve").await;
    s.http
        .post(s.url("/sim/v1/faults"))
        .json(&json!({"drop_after_commit": 1.0}))
        .send()
        .await
        .unwrap();
    let err = v
        .epayment()
        .capture(
            "client-drop-01",
            &ModificationRequest {
                modification_amount: Amount::nok(10000),
            },
            &key("cap-x"),
        )
        .await
        .unwrap_err();
    assert!(err.status.is_none(), "transport error expected: {err:?}");
    s.http.delete(s.url("/sim/v1/faults")).send().await.unwrap();
    let m = v
        .epayment()
        .capture(
            "client-drop-01",
            &ModificationRequest {
                modification_amount: Amount::nok(10000),
            },
            &key("cap-x"),
        )
        .await
        .unwrap();
    assert_eq!(m.aggregate.captured_amount.value, 10000);
    let l = s.handle.ledger();
    assert_eq!(l.payment("client-drop-01").unwrap().count("CAPTURED"), 1);
}
