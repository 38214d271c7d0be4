//! End-to-end against the in-process simulator: a paid sale on ePayment, eCom and PSP, and a
//! customer rejection. Asserts the sim ledger (exactly one create/authorize/capture) and the
//! journal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::engine::{ApiKind, PayMethod, PaymentState};

async fn paid_on(api: ApiKind, method: PayMethod) {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let engine = run.engine.clone();
    let mut rx = engine.subscribe();
    let id = engine.start_payment(sale(4990, api, method)).await.unwrap();
    let waiting = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    // Only eCom reports when the customer opened it; the screen follows (see tui_snapshots).
    assert_eq!(waiting.open_signal, api == ApiKind::Ecom);
    assert!(waiting.open_left.unwrap() > 290);
    assert!(waiting.approve_left.unwrap() > 590);
    customer(&sim, &waiting.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    assert_eq!(paid.captured.minor(), 4990);
    outbox_drained(&run.engine_store()).await;

    let ledger = sim.ledger();
    let p = ledger_payment(&ledger, &paid.reference);
    assert_eq!(p.amount, 4990);
    assert_eq!(p.captured, 4990, "{p:?}");
    let (create, auth, capture) = match api {
        ApiKind::Epayment => ("CREATED", "AUTHORIZED", "CAPTURED"),
        ApiKind::Ecom => ("INITIATE", "RESERVE", "CAPTURE"),
        ApiKind::Psp => ("INITIATE", "RESERVED", "CAPTURED"),
    };
    if api != ApiKind::Psp {
        assert_eq!(ops(&p, create), 1, "{p:?}");
    }
    assert_eq!(ops(&p, auth), 1, "{p:?}");
    assert_eq!(ops(&p, capture), 1, "{p:?}");
    match api {
        // ePayment: the receipt went inside create.
        ApiKind::Epayment => assert!(p.receipt.is_some(), "ePayment receipt in create: {p:?}"),
        // eCom: the receipt went to Order Management through the outbox, exactly once (a
        // second POST would get 409): create + reads + capture + one receipt.
        ApiKind::Ecom => {
            assert!(p.receipt.is_some(), "OM receipt: {p:?}");
            assert_eq!(p.receipt_posts, 1, "one receipt POST per sale: {p:?}");
        }
        ApiKind::Psp => {}
    }
    let j = journal(&run.engine_store(), id).await;
    assert!(j.iter().any(|(k, o)| k == "create" && o == "ok"), "{j:?}");
    assert!(j.iter().any(|(k, o)| k == "capture" && o == "ok"), "{j:?}");
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_epayment_push() {
    paid_on(ApiKind::Epayment, push(ApiKind::Epayment)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_epayment_qr_has_payload() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(2500, ApiKind::Epayment, PayMethod::Qr))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    let qr = w.qr_payload.clone().expect("QR payload for the UI");
    assert!(qr.starts_with("http"), "{qr}");
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_ecom_push() {
    paid_on(ApiKind::Ecom, push(ApiKind::Ecom)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_psp_push() {
    paid_on(ApiKind::Psp, push(ApiKind::Psp)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_rejects() {
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
    customer(&sim, &w.reference, "reject").await;
    let r = wait_state(&mut rx, id, PaymentState::Rejected).await;
    assert!(r.reason.is_some());
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.captured, 0);
    assert_eq!(p.state, "ABORTED");
    let row = run
        .engine_store()
        .run(move |s| s.payment(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, kasse::store::PayState::Rejected);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psp_declined_by_acquirer_fails() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    // Amounts ending in 51 øre are declined by the simulated acquirer (insufficient funds).
    let id = run
        .engine
        .start_payment(sale(4951, ApiKind::Psp, push(ApiKind::Psp)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Failed).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!(p.captured, 0);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_sale_gets_order_management_category_and_image() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&sim.base_url());
    s.engine.order_category = Some(kasse::engine::provider::CategorySpec {
        category: "RECEIPT".into(),
        order_details_url: "https://shop.example/orders".into(),
        image_id: Some("kasse-logo-test".into()),
    });
    // A 1x1 PNG.
    let png: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ];
    s.category_image = Some(("kasse-logo-test".into(), kasse::engine::vipps::base64(png)));
    let run = run_engine(
        s,
        open_store(dir.path()).await,
        std::sync::Arc::new(kasse::clock::SystemClock),
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
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&run.engine_store()).await;
    let p = ledger_payment(&sim.ledger(), &w.reference);
    let cat = p.category.clone().expect("category stored");
    assert_eq!(
        cat["orderDetailsUrl"], "https://shop.example/orders",
        "{cat}"
    );
    assert_eq!(cat["imageId"], "kasse-logo-test", "{cat}");
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_epayment_scanned_personal_qr() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let method = PayMethod::Push {
        customer: kasse::engine::provider::CustomerId::PersonalQr(
            "https://qr.vipps.no/p/AbCdEf123456".into(),
        ),
    };
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, method))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    assert_eq!(
        ops(&ledger_payment(&sim.ledger(), &w.reference), "CAPTURED"),
        1
    );
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_already_there_409_counts_as_done() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Ecom, push(ApiKind::Ecom)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&run.engine_store()).await;
    // A second receipt row for the same order (as after a lost answer with a new row): the
    // sim answers 409, which the worker treats as done.
    let store = run.engine_store();
    let payload = store
        .run(|s| s.list(kasse::store::OutboxFilter::All))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == kasse::store::OutboxKind::Receipt)
        .unwrap();
    let again = kasse::store::NewOutbox {
        kind: kasse::store::OutboxKind::Receipt,
        payment_id: payload.payment_id,
        reference: payload.reference.clone(),
        idempotency_key: "om-receipt-again".into(),
        payload_json: payload.payload_json.clone(),
    };
    let now = time::OffsetDateTime::now_utc();
    let row_id = store.run(move |s| s.enqueue(&again, now)).await.unwrap();
    run.engine.kick_worker();
    outbox_drained(&store).await;
    let row = store
        .run(move |s| s.outbox_row(row_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, kasse::store::OutboxStatus::Done, "{row:?}");
    let ops = store
        .run(move |s| s.operations_for_payment(id))
        .await
        .unwrap();
    assert!(ops.iter().filter(|o| o.op.kind == "receipt").count() >= 2);
    run.shutdown().await;
}
