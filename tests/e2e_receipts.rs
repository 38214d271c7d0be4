#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end against the in-process simulator: the Vipps app receipt of an ePayment sale (inside
//! create) and of an eCom sale (Order Management, through the outbox) carries `posId`,
//! `receiptNumber` and a CODE 128 `barcode` of the receipt number; a second POST of the same
//! receipt (409) counts as done, both directly and through the outbox worker.

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::engine::acquirer::BoxFuture;
use kasse::engine::provider::{
    CategorySpec, ProviderError, ReceiptLineSpec, ReceiptSender, ReceiptSpec,
};
use kasse::engine::{ApiKind, PaymentState};
use kasse::store::{OutboxFilter, OutboxKind, OutboxStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn assert_bottom_line(receipt: &serde_json::Value, receipt_number: &str) {
    let bl = &receipt["bottomLine"];
    assert_eq!(bl["currency"], "NOK", "{receipt}");
    assert_eq!(bl["posId"], "s1-t1", "{receipt}");
    assert_eq!(bl["receiptNumber"], receipt_number, "{receipt}");
    assert_eq!(bl["barcode"]["format"], "CODE 128", "{receipt}");
    assert_eq!(bl["barcode"]["data"], receipt_number, "{receipt}");
    // Vipps only, no tip: neither field is sent.
    assert!(bl.get("paymentSources").is_none(), "{receipt}");
    assert!(bl.get("tipAmount").is_none(), "{receipt}");
    let lines = receipt["orderLines"].as_array().unwrap();
    assert!(!lines.is_empty());
    for l in lines {
        let (t, x, v) = (
            l["totalAmount"].as_i64().unwrap(),
            l["totalAmountExcludingTax"].as_i64().unwrap(),
            l["totalTaxAmount"].as_i64().unwrap(),
        );
        assert!(t >= 0 && x >= 0 && v >= 0, "{l}");
        assert_eq!(t - x, v, "{l}");
    }
}

/// Sends every receipt twice: the first answer is "lost", the second POST meets a 409.
struct AnswerLost {
    inner: Arc<dyn ReceiptSender>,
    sends: Arc<AtomicUsize>,
}

impl ReceiptSender for AnswerLost {
    fn send_receipt<'a>(
        &'a self,
        api: ApiKind,
        reference: &'a str,
        currency: kasse::domain::money::Currency,
        receipt: &'a ReceiptSpec,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            self.sends.fetch_add(1, Ordering::SeqCst);
            self.inner
                .send_receipt(api, reference, currency, receipt)
                .await?;
            // The answer never reached us; the worker's attempt now meets the stored receipt.
            self.inner
                .send_receipt(api, reference, currency, receipt)
                .await
        })
    }
    fn send_category<'a>(
        &'a self,
        reference: &'a str,
        category: &'a CategorySpec,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        self.inner.send_category(reference, category)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epayment_receipt_in_create_has_till_number_and_barcode() {
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
    customer(&sim, &w.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&run.engine_store()).await;
    let p = ledger_payment(&sim.ledger(), &paid.reference);
    let receipt = p
        .receipt
        .clone()
        .expect("receipt inside the ePayment create");
    assert!(!paid.receipt_number.is_empty());
    assert_bottom_line(&receipt, &paid.receipt_number);
    // No Order Management receipt row for ePayment: it went with create.
    let rows = run
        .engine_store()
        .run(|s| s.list(OutboxFilter::All))
        .await
        .unwrap();
    assert!(
        !rows.iter().any(|r| r.kind == OutboxKind::Receipt),
        "{rows:?}"
    );
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_receipt_through_the_outbox_and_409_is_done() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let sends = Arc::new(AtomicUsize::new(0));
    let counter = sends.clone();
    let run = run_engine(
        settings(&sim.base_url()),
        open_store(dir.path()).await,
        Arc::new(kasse::clock::SystemClock),
        |mut b| {
            b.receipts = Arc::new(AnswerLost {
                inner: b.receipts.clone(),
                sends: counter,
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
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&run.engine_store()).await;

    let p = ledger_payment(&sim.ledger(), &paid.reference);
    let receipt = p.receipt.clone().expect("Order Management receipt");
    assert_bottom_line(&receipt, &paid.receipt_number);

    // The receipt row is done (the 409 on the second POST counted as success), not dead.
    let rows = run
        .engine_store()
        .run(|s| s.list(OutboxFilter::All))
        .await
        .unwrap();
    let receipt_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.kind == OutboxKind::Receipt)
        .collect();
    assert_eq!(receipt_rows.len(), 1, "{rows:?}");
    assert_eq!(receipt_rows[0].status, OutboxStatus::Done, "{rows:?}");
    assert!(sends.load(Ordering::SeqCst) >= 1);
    let payload: serde_json::Value = serde_json::from_str(&receipt_rows[0].payload_json).unwrap();
    assert_eq!(payload["receipt"]["barcode"], true, "{payload}");

    // A third POST of the same receipt straight at Order Management: the API answers 409
    // (the client reports it as "already exists") ...
    let spec = ReceiptSpec::new(
        vec![ReceiptLineSpec {
            name: "Kaffe og bolle".into(),
            id: "line-1".into(),
            total_amount: 4990,
            total_amount_excluding_tax: 3992,
            total_tax_amount: 998,
            tax_rate: 2500,
            quantity: "1".into(),
            unit: "pcs".into(),
            unit_price: 4990,
            discount: 0,
            is_return: false,
        }],
        paid.receipt_number.clone(),
        "s1-t1",
        true,
    );
    let wire =
        kasse::engine::provider::wire_receipt(&spec, kasse::domain::money::Currency::Nok).unwrap();
    let stored = run
        .vipps
        .order_management()
        .add_receipt(
            &kasse::api::order_management::PaymentType::Ecom,
            &paid.reference,
            &wire,
        )
        .await
        .unwrap();
    assert!(stored.is_already_exists());
    // ... and the engine's sender counts it as done.
    let om = kasse::engine::vipps::OmReceipts {
        vipps: run.vipps.clone(),
        image: None,
    };
    om.send_receipt(
        ApiKind::Ecom,
        &paid.reference,
        kasse::domain::money::Currency::Nok,
        &spec,
    )
    .await
    .unwrap();
    // The stored receipt is still the first one.
    let again = ledger_payment(&sim.ledger(), &paid.reference);
    assert_eq!(again.receipt, Some(receipt));
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn barcode_can_be_switched_off() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&sim.base_url());
    s.engine.receipt_barcode = false;
    let run = run_engine(
        s,
        open_store(dir.path()).await,
        Arc::new(kasse::clock::SystemClock),
        |b| b,
    )
    .await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(2500, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    let p = ledger_payment(&sim.ledger(), &paid.reference);
    let receipt = p.receipt.clone().unwrap();
    assert!(receipt["bottomLine"].get("barcode").is_none(), "{receipt}");
    assert_eq!(receipt["bottomLine"]["receiptNumber"], paid.receipt_number);
    run.shutdown().await;
}

#[test]
fn category_logo_from_config_is_checked_and_barcode_follows_config() {
    use kasse::app::settings_from_config;
    use kasse::clock::RandomIds;
    let dir = tempfile::tempdir().unwrap();
    let cfg = |extra: &str| {
        kasse::config::Config::from_toml_str(
            &format!("[receipt]\norder_details_url = \"https://shop.example/r\"\n{extra}"),
            &|_| None,
        )
        .unwrap()
    };
    // A text file is not a logo: refused with the file named and what to do.
    let bad = dir.path().join("logo.txt");
    std::fs::write(&bad, "not an image").unwrap();
    let e = settings_from_config(
        &cfg(&format!("logo = {:?}\n", bad.display().to_string())),
        &RandomIds,
    )
    .unwrap_err();
    let m = e.message();
    assert!(
        m.en.contains("logo.txt") && m.en.contains("PNG or JPEG"),
        "{m:?}"
    );
    assert!(m.nb.contains("PNG eller JPEG"), "{m:?}");
    // The shipped logo (assets/logo.png, 256×256) is used when none is configured.
    let s = settings_from_config(&cfg("barcode = false\n"), &RandomIds).unwrap();
    let (id, src) = s.category_image.clone().expect("default logo");
    assert!(id.starts_with("kasse-logo-"), "{id}");
    assert!(!src.is_empty());
    let cat = s.engine.order_category.clone().unwrap();
    assert_eq!(cat.image_id.as_deref(), Some(id.as_str()));
    assert_eq!(cat.order_details_url, "https://shop.example/r");
    assert!(!s.engine.receipt_barcode);
    // Without order_details_url there is no category and no image.
    let s = settings_from_config(
        &kasse::config::Config::from_toml_str("", &|_| None).unwrap(),
        &RandomIds,
    )
    .unwrap();
    assert!(s.category_image.is_none() && s.engine.order_category.is_none());
    assert!(s.engine.receipt_barcode);
}
