//! End-to-end fault handling against the simulator: a 500 on create, responses dropped after
//! commit on create / capture / refund, token expiry mid-sale. Each asserts the sim ledger shows
//! exactly one payment and exactly one of each money movement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::clock::SystemClock;
use kasse::domain::money::Money;
use kasse::engine::{ApiKind, PaymentState};
use serde_json::json;
use std::sync::Arc;

async fn with_fault(
    op: Op,
    faults: serde_json::Value,
) -> (
    kasse::sim::SimHandle,
    tempfile::TempDir,
    kasse::engine::build::Running,
) {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let base = sim.base_url();
    let run = run_engine(
        settings(&base),
        store,
        Arc::new(SystemClock),
        move |mut b| {
            b.epayment = FaultOnce::wrap(b.epayment.clone(), &base, op, faults);
            b
        },
    )
    .await;
    (sim, dir, run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_on_create_then_success_one_payment() {
    let (sim, _dir, run) = with_fault(Op::Create, json!({"error_rate": 1.0})).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    let ledger = sim.ledger();
    assert_eq!(ledger.payments.len(), 1, "exactly one payment at Vipps");
    let p = ledger_payment(&ledger, &w.reference);
    assert_eq!(ops(&p, "CREATED"), 1, "{p:?}");
    assert_eq!(ops(&p, "CAPTURED"), 1, "{p:?}");
    let j = journal(&run.engine_store(), id).await;
    assert!(
        j.iter().any(|(k, o)| k == "create" && o == "http_error"),
        "{j:?}"
    );
    assert!(j.iter().any(|(k, o)| k == "create" && o == "ok"), "{j:?}");
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_create_response_one_payment() {
    let (sim, _dir, run) = with_fault(Op::Create, json!({"drop_after_commit": 1.0})).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    let ledger = sim.ledger();
    assert_eq!(ledger.payments.len(), 1);
    let p = ledger_payment(&ledger, &w.reference);
    assert_eq!(ops(&p, "CREATED"), 1, "{p:?}");
    assert_eq!(ops(&p, "CAPTURED"), 1, "{p:?}");
    let j = journal(&run.engine_store(), id).await;
    assert!(
        j.iter().any(|(k, o)| k == "create" && o != "ok"),
        "first create lost: {j:?}"
    );
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_capture_response_captured_once() {
    let (sim, _dir, run) = with_fault(Op::Capture, json!({"drop_after_commit": 1.0})).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    assert_eq!(paid.captured.minor(), 4990);
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.captured, 4990);
    assert_eq!(ops(&p, "CAPTURED"), 1, "{p:?}");
    // Every capture attempt used the same key.
    let keys: std::collections::BTreeSet<_> = p
        .operations
        .iter()
        .filter(|o| o.name == "CAPTURED")
        .map(|o| o.idempotency_key.clone())
        .collect();
    assert_eq!(keys.len(), 1);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_refund_response_refunded_once() {
    let (sim, _dir, run) = with_fault(Op::Refund, json!({"drop_after_commit": 1.0})).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    queue_refund(&run, id, Money::nok(1000)).await;
    outbox_drained(&run.engine_store()).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.refunded, 1000, "{p:?}");
    assert_eq!(ops(&p, "REFUNDED"), 1, "{p:?}");
    let rows = run
        .engine_store()
        .run(|s| s.list(kasse::store::OutboxFilter::All))
        .await
        .unwrap();
    let refund = rows
        .iter()
        .find(|r| r.kind == kasse::store::OutboxKind::Refund)
        .unwrap();
    assert_eq!(refund.status, kasse::store::OutboxStatus::Done);
    assert!(
        refund.attempts >= 2,
        "the lost answer was retried: {refund:?}"
    );
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiry_mid_sale() {
    let mut cfg = sim_config();
    cfg.token_ttl = std::time::Duration::from_secs(60);
    let sim = start_sim(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    // The sim's clock moves past the token lifetime; kasse's cached token is now refused.
    advance_sim(&sim.base_url(), 120).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(ops(&p, "CAPTURED"), 1, "{p:?}");
    run.shutdown().await;
}
