//! End-to-end cashier abort against the simulator: a plain abort, and an abort that races the
//! customer's approval (the cashier must complete or void; both recorded, nothing lost).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::clock::SystemClock;
use kasse::engine::{ApiKind, PaymentState, Resolution};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cashier_abort_cancels() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    run.engine.cancel_payment(id).unwrap();
    let c = wait_state(&mut rx, id, PaymentState::Cancelled).await;
    assert!(c.reason.is_some());
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.state, "TERMINATED");
    assert_eq!(p.captured, 0);
    let j = journal(&run.engine_store(), id).await;
    assert!(j.iter().any(|(k, _)| k == "abort"), "{j:?}");
    assert!(j.iter().any(|(k, o)| k == "cancel" && o == "ok"), "{j:?}");
    run.shutdown().await;
}

async fn raced(resolution: Resolution) -> (kasse::sim::LedgerPayment, Vec<(String, String)>) {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let paused = Arc::new(AtomicBool::new(false));
    let p2 = paused.clone();
    let run = run_engine(
        settings(&sim.base_url()),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        move |mut b| {
            b.epayment = Arc::new(Wrap(PausableReads {
                inner: b.epayment.clone(),
                paused: p2,
            }));
            b
        },
    )
    .await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    // The customer approves just as the cashier aborts (the till has not seen it yet).
    paused.store(true, Ordering::SeqCst);
    customer(&sim, &w.reference, "approve").await;
    run.engine.cancel_payment(id).unwrap();
    wait_state(&mut rx, id, PaymentState::Cancelling).await;
    paused.store(false, Ordering::SeqCst);
    let d = wait_state(&mut rx, id, PaymentState::NeedsDecision).await;
    assert!(d.reason.is_some(), "the cashier is told: {d:?}");
    run.engine
        .resolve_after_cancel(id, resolution, "staff-7", "customer asked")
        .unwrap();
    let end = match resolution {
        Resolution::Complete => PaymentState::Paid,
        Resolution::Void => PaymentState::Voided,
    };
    let got = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        wait_state(&mut rx, id, end),
    )
    .await;
    if got.is_err() {
        let rows = run
            .engine_store()
            .run(|s| s.list(kasse::store::OutboxFilter::All))
            .await
            .unwrap();
        for r in rows {
            eprintln!(
                "ROW {} {} {:?} {:?} {}",
                r.kind, r.status, r.last_error, r.attempts, r.idempotency_key
            );
        }
        let ops = run
            .engine_store()
            .run(move |s| s.operations_for_payment(id))
            .await
            .unwrap();
        for o in ops {
            eprintln!(
                "OP {} {:?} {:?} {:?} {:?}",
                o.op.kind, o.op.outcome, o.op.error_code, o.op.detail, o.op.idempotency_key
            );
        }
        eprintln!("LEDGER {:?}", sim.ledger().payments);
        panic!("not voided");
    }
    outbox_drained(&run.engine_store()).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    let j = journal(&run.engine_store(), id).await;
    run.shutdown().await;
    (p, j)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_racing_abort_then_complete() {
    let (p, j) = raced(Resolution::Complete).await;
    assert_eq!(p.captured, 4990, "{p:?}");
    assert_eq!(ops(&p, "CAPTURED"), 1);
    assert!(j.iter().any(|(k, _)| k == "resolve"), "{j:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_racing_abort_then_void() {
    let (p, j) = raced(Resolution::Void).await;
    assert_eq!(p.captured, 0, "{p:?}");
    assert_eq!(p.cancelled, 4990, "{p:?}");
    assert!(j.iter().any(|(k, _)| k == "resolve"), "{j:?}");
}
