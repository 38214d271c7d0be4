//! End-to-end recovery and offline handling against the simulator: the process stops between
//! authorization and capture and a new engine captures exactly once; an offline period refuses
//! new payments, keeps queuing and drains afterwards; expiry only after 5 + 5 minutes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::clock::{ManualClock, SystemClock};
use kasse::domain::money::Money;
use kasse::engine::{ApiKind, EngineError, EngineEvent, NetworkState, PaymentState};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_between_authorization_and_capture_recovers_and_captures_once() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let base = sim.base_url();

    // First run: the capture never answers (the till "dies" with the row in flight).
    let store1 = open_store(dir.path()).await;
    let hang = Arc::new(AtomicUsize::new(0));
    let run1 = run_engine(settings(&base), store1, Arc::new(SystemClock), |mut b| {
        b.epayment = Arc::new(Wrap(HangCapture {
            inner: b.epayment.clone(),
            calls: AtomicUsize::new(0),
        }));
        b
    })
    .await;
    let _ = hang;
    let mut rx = run1.engine.subscribe();
    let id = run1
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Capturing).await;
    run1.shutdown().await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.captured, 0, "nothing captured before the stop");

    // Second run on the same journal: recovery reads the payment back and captures it.
    let store2 = open_store(dir.path()).await;
    let row = store2.run(move |s| s.payment(id)).await.unwrap().unwrap();
    assert_eq!(row.state, kasse::store::PayState::Capturing);
    let run2 = run_engine(
        settings(&base),
        store2.clone(),
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let rec = run2
        .recovered
        .iter()
        .find(|r| r.snapshot.id == id)
        .expect("the interrupted sale is reported");
    assert_eq!(rec.was, PaymentState::Capturing);
    // Wait for it to be paid.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let row = store2.run(move |s| s.payment(id)).await.unwrap().unwrap();
        if row.state == kasse::store::PayState::Captured {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not captured: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.captured, 4990);
    assert_eq!(ops(&p, "CAPTURED"), 1, "captured exactly once: {p:?}");
    let sale_row = store2
        .run(move |s| s.sale(row.sale_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sale_row.sale.status, kasse::store::SaleStatus::Paid);
    run2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_keeps_polling_a_pending_payment() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let base = sim.base_url();
    let run1 = run_engine(
        settings(&base),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let mut rx = run1.engine.subscribe();
    let id = run1
        .engine
        .start_payment(sale(2000, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    run1.shutdown().await;

    let run2 = run_engine(
        settings(&base),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let rec = run2.recovered.iter().find(|r| r.snapshot.id == id).unwrap();
    assert!(
        matches!(
            rec.snapshot.state,
            PaymentState::WaitingForCustomer | PaymentState::WaitingForApproval
        ),
        "{rec:?}"
    );
    let mut rx2 = run2.engine.subscribe();
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx2, id, PaymentState::Paid).await;
    assert_eq!(
        ops(&ledger_payment(&sim.ledger(), &w.reference), "CAPTURED"),
        1
    );
    run2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_period_refuses_new_payments_and_drains_queued_receipts() {
    let sim = start_sim(sim_config()).await;
    let proxy = Proxy::start(sim.addr()).await;
    let dir = tempfile::tempdir().unwrap();
    let p2 = proxy.clone();
    let cut = Arc::new(AtomicBool::new(false));
    let cut2 = cut.clone();
    let run = run_engine(
        settings(&proxy.base_url()),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        move |mut b| {
            // The network dies just as the Order Management receipt is about to go out.
            b.receipts = Arc::new(BeforeFirstReceipt {
                inner: b.receipts.clone(),
                before: Box::new(move || {
                    p2.down();
                    cut2.store(true, Ordering::SeqCst);
                }),
                fired: AtomicBool::new(false),
            });
            b
        },
    )
    .await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Ecom, push(ApiKind::Ecom)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;

    // Offline is reported at once. (The receipt's send can fail, and report it, before the
    // Paid event reached this receiver: then `wait_state` above already passed the event, and
    // the engine's state says it.)
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if run.engine.network() == NetworkState::Offline {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            Ok(Ok(EngineEvent::Network(NetworkState::Offline))) => break,
            _ => assert!(tokio::time::Instant::now() < deadline, "no offline event"),
        }
    }
    assert!(cut.load(Ordering::SeqCst));
    assert_eq!(run.engine.network(), NetworkState::Offline);
    // New Vipps payments are refused with a clear message.
    let err = run
        .engine
        .start_payment(sale(1000, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::Offline(_)), "{err:?}");
    assert!(err.message().nb.contains("Vipps"));
    // Staff can still queue work (a refund) while offline.
    queue_refund(&run, id, Money::nok(1000)).await;
    let open = run.engine_store().run(|s| s.pending_count()).await.unwrap();
    assert!(open >= 2, "receipt and refund queued: {open}");
    assert!(
        ledger_payment(&sim.ledger(), &w.reference)
            .receipt
            .is_none()
    );

    // Network back: the probe notices, the worker drains with the same keys.
    proxy.up().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while run.engine.network() != NetworkState::Online {
        assert!(tokio::time::Instant::now() < deadline, "never back online");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    outbox_drained(&run.engine_store()).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert!(
        p.receipt.is_some(),
        "receipt delivered after the outage: {p:?}"
    );
    assert_eq!(p.refunded, 1000);
    assert_eq!(ops(&p, "REFUND"), 1, "{p:?}");
    assert_eq!(ops(&p, "CAPTURE"), 1, "{p:?}");
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expires_only_after_five_plus_five_minutes() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let run = run_engine(
        settings(&sim.base_url()),
        open_store(dir.path()).await,
        Arc::new(clock.clone()),
        |b| b,
    )
    .await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    assert_eq!(w.open_left, Some(300));
    assert_eq!(w.approve_left, Some(600));
    // Almost 5 minutes pass on both clocks before the customer opens the push.
    advance_sim(&sim.base_url(), 290).await;
    clock.advance(time::Duration::seconds(290));
    let late = wait_for(&mut rx, id, |s| s.open_left.is_some_and(|o| o <= 10)).await;
    assert_eq!(late.state, PaymentState::WaitingForCustomer);
    customer(&sim, &w.reference, "open").await;
    // Past the 5 minute mark: phase 2, not expired (the customer has 5 minutes from opening).
    advance_sim(&sim.base_url(), 20).await;
    clock.advance(time::Duration::seconds(20));
    let phase2 = wait_state(&mut rx, id, PaymentState::WaitingForApproval).await;
    assert_eq!(phase2.open_left, None);
    assert!(phase2.approve_left.unwrap() <= 290, "{phase2:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        run.engine.snapshot(id).unwrap().state,
        PaymentState::WaitingForApproval
    );
    // The rest of the 10 minutes: Vipps expires it and a read says so.
    advance_sim(&sim.base_url(), 290).await;
    clock.advance(time::Duration::seconds(290));
    let e = wait_state(&mut rx, id, PaymentState::Expired).await;
    assert!(e.reason.is_some());
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.state, "EXPIRED");
    assert_eq!(p.captured, 0);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_gives_up_before_ten_minutes_then_cancels_after_a_final_read() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let run = run_engine(
        settings(&sim.base_url()),
        open_store(dir.path()).await,
        Arc::new(clock.clone()),
        |b| b,
    )
    .await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    // 9½ minutes on the till's clock; Vipps still says CREATED (its clock did not move).
    clock.advance(time::Duration::seconds(570));
    let s = wait_state(&mut rx, id, PaymentState::WaitingForApproval).await;
    assert!(s.approve_left.unwrap() <= 30, "{s:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        run.engine.snapshot(id).unwrap().state,
        PaymentState::WaitingForApproval,
        "no local give-up before 10 minutes"
    );
    assert_eq!(ledger_payment(&sim.ledger(), &w.reference).state, "CREATED");
    // Past 10 minutes: one more read, still CREATED → cancel (transaction only) → read back.
    clock.advance(time::Duration::seconds(31));
    let end = wait_for(&mut rx, id, |s| s.state.is_final()).await;
    assert_eq!(end.state, PaymentState::Expired, "{end:?}");
    assert!(end.reason.is_some());
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.state, "TERMINATED");
    assert_eq!(p.captured, 0);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_before_create_recovery_creates_with_the_same_key() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let base = sim.base_url();
    let run1 = run_engine(
        settings(&base),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        |mut b| {
            b.epayment = Arc::new(Wrap(HangCreate {
                inner: b.epayment.clone(),
            }));
            b
        },
    )
    .await;
    let id = run1
        .engine
        .start_payment(sale(3000, ApiKind::Epayment, kasse::engine::PayMethod::Qr))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    run1.shutdown().await;
    assert!(
        sim.ledger().payments.is_empty(),
        "the create never went out"
    );

    let store2 = open_store(dir.path()).await;
    let row = store2.run(move |s| s.payment(id)).await.unwrap().unwrap();
    assert_eq!(row.state, kasse::store::PayState::Creating);
    let run2 = run_engine(
        settings(&base),
        store2.clone(),
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let mut rx = run2.engine.subscribe();
    let rec = run2.recovered.iter().find(|r| r.snapshot.id == id).unwrap();
    assert_eq!(rec.was, PaymentState::Creating);
    let w = wait_for(&mut rx, id, |s| {
        matches!(
            s.state,
            PaymentState::WaitingForCustomer | PaymentState::WaitingForApproval
        )
    })
    .await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    let p = ledger_payment(&sim.ledger(), &row.reference);
    assert_eq!(ops(&p, "CREATED"), 1);
    let create_key = p
        .operations
        .iter()
        .find(|o| o.name == "CREATED")
        .and_then(|o| o.idempotency_key.clone());
    assert_eq!(
        create_key.as_deref(),
        Some(row.keys.create.as_str()),
        "same key"
    );
    assert_eq!(ops(&p, "CAPTURED"), 1);
    run2.shutdown().await;
}
