#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end against the in-process simulator: a split tender (cash part + Vipps for the
//! rest). Vipps is charged exactly the remainder (sim ledger, `GET /sim/v1/ledger`), the
//! receipt sent with create lists every basket line with `bottomLine.paymentSources.cash` =
//! the cash part (validated against the OM and ePayment specs), the journal holds both
//! tenders, and the X report counts cash and Vipps per tender — without the cash of a split
//! whose Vipps part was rejected (handed back).

mod common;
use common::api as api_support;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::domain::basket::{Basket, OrderLine, Quantity};
use kasse::domain::money::{Currency, Money};
use kasse::domain::staff::HashCost;
use kasse::domain::vat::VatRate;
use kasse::engine::{ApiKind, NewSaleRequest, PaymentState};
use kasse::service::StaffDb;
use kasse::sim::Ledger;
use kasse::store::{SPLIT_TENDER, SaleStatus};
use serde_json::json;

/// Kaffe 49,90 (25 %) + 2 × Bolle 17,50 (15 %) = 84,90.
fn basket() -> Basket {
    let mut b = Basket::new(Currency::Nok);
    for (id, name, qty, price, vat) in [
        ("1001", "Kaffe", 1, 4990, VatRate::STANDARD),
        ("2002", "Bolle", 2, 1750, VatRate::FOOD),
    ] {
        b.add(OrderLine {
            product_id: id.into(),
            name: name.into(),
            quantity: Quantity::pieces(qty).unwrap(),
            unit_price: Money::nok(price),
            discount: Money::nok(0),
            vat,
            is_return: false,
        })
        .unwrap();
    }
    b
}

fn request(api: ApiKind) -> NewSaleRequest {
    NewSaleRequest::from_basket(&basket(), push(api), api, None).unwrap()
}

async fn ledger(base: &str) -> Ledger {
    reqwest::get(format!("{base}/sim/v1/ledger"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_sale_charges_vipps_the_remainder_and_reports_per_tender() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let store = run.engine_store();
    let mut rx = run.engine.subscribe();
    assert_eq!(basket().totals().unwrap().gross, Money::nok(8_490));

    // 1. Split: 30,00 cash, Vipps for 54,90; the customer approves.
    let id = run
        .engine
        .start_split_payment(request(ApiKind::Epayment), Money::nok(3_000))
        .await
        .unwrap();
    // Both tenders are in the journal before Vipps answered anything.
    let rec = {
        let (pid, s) = (id, store.clone());
        let p = s.run(move |s| s.payment(pid)).await.unwrap().unwrap();
        s.run(move |s| s.sale(p.sale_id)).await.unwrap().unwrap()
    };
    assert_eq!(rec.sale.tender, SPLIT_TENDER);
    assert_eq!(rec.sale.gross_total, 8_490);
    assert_eq!(rec.payments[0].amount, 5_490);
    assert_eq!(rec.cash_part(), 3_000);
    let kinds: Vec<String> = store
        .run({
            let sid = rec.sale.id;
            move |s| s.operations_for_sale(sid)
        })
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.op.kind)
        .collect();
    let pos = |k: &str| kinds.iter().position(|x| x == k).unwrap();
    assert!(
        pos("sale_opened") < pos("cash_tender") && pos("cash_tender") < pos("payment_written"),
        "{kinds:?}"
    );

    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    assert_eq!(w.amount, Money::nok(5_490));
    customer(&sim, &w.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&store).await;

    // Vipps charged exactly the remainder, once.
    let l = ledger(&sim.base_url()).await;
    let p = ledger_payment(&l, &paid.reference);
    assert_eq!((p.amount, p.captured, p.refunded), (5_490, 5_490, 0));
    assert_eq!(ops(&p, "CAPTURED"), 1, "{:?}", p.operations);

    // The receipt lists every line of the whole basket and the cash part as a payment source.
    let receipt = p
        .receipt
        .clone()
        .expect("receipt inside the ePayment create");
    let lines = receipt["orderLines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{receipt}");
    let sum: i64 = lines
        .iter()
        .map(|l| l["totalAmount"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 8_490);
    assert_eq!(receipt["bottomLine"]["paymentSources"]["cash"], 3_000);
    assert_eq!(receipt["bottomLine"]["receiptNumber"], paid.receipt_number);
    api_support::assert_schema("order-management.yaml", "Receipt", &receipt);
    let create = json!({
        "amount": {"currency": "NOK", "value": 5490},
        "paymentMethod": {"type": "WALLET"},
        "reference": paid.reference,
        "userFlow": "PUSH_MESSAGE",
        "customer": {"phoneNumber": "4791234567"},
        "receipt": receipt,
    });
    api_support::assert_schema("epayment-v1.yaml", "CreatePaymentRequest", &create);

    // 2. A split whose Vipps part is rejected: the cashier hands the 20,00 back.
    let id2 = run
        .engine
        .start_split_payment(request(ApiKind::Epayment), Money::nok(2_000))
        .await
        .unwrap();
    let w2 = wait_state(&mut rx, id2, PaymentState::WaitingForCustomer).await;
    assert_eq!(w2.amount, Money::nok(6_490));
    customer(&sim, &w2.reference, "reject").await;
    wait_state(&mut rx, id2, PaymentState::Rejected).await;
    let l = ledger(&sim.base_url()).await;
    let p2 = ledger_payment(&l, &w2.reference);
    assert_eq!((p2.amount, p2.captured), (6_490, 0));

    // 3. A cash-only sale with change.
    let cash = run
        .engine
        .record_cash_sale(request(ApiKind::Epayment), Money::nok(10_000))
        .await
        .unwrap();
    // Øreavrunding: 84,90 is paid as 85,00 in cash.
    assert_eq!(cash.change, 10_000 - 8_500);
    assert_eq!(cash.cash_rounding, 10);

    let failed = store
        .run(move |s| {
            let p = s.payment(id2)?.unwrap();
            Ok(s.sale(p.sale_id)?.unwrap())
        })
        .await
        .unwrap();
    assert_eq!(failed.sale.status, SaleStatus::Failed);
    let returned: Vec<String> = store
        .run({
            let sid = failed.sale.id;
            move |s| s.operations_for_sale(sid)
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.op.kind == "cash_returned")
        .filter_map(|o| o.op.detail)
        .collect();
    assert_eq!(returned.len(), 1, "{returned:?}");
    assert!(returned[0].contains("cash part 2000"), "{returned:?}");

    // The X report: cash = 30,00 (split) + 85,00 (cash sale 84,90, rounded); Vipps = 54,90; the rejected
    // split's cash is not counted; the sales total is the two completed sales.
    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    let now = time::OffsetDateTime::now_utc();
    let manager = db
        .create_first_manager("Mona", "135790", now)
        .await
        .unwrap();
    let x = db
        .x_report(
            Some(&manager),
            Some(now.date()),
            time::UtcOffset::UTC,
            None,
            now,
        )
        .await
        .unwrap();
    let n = x
        .sections
        .iter()
        .find(|s| !s.training && s.currency == "NOK")
        .unwrap();
    assert_eq!((n.sales.count, n.sales.gross), (2, 8_490 * 2));
    let tender = |t: &str| {
        n.tenders
            .iter()
            .find(|x| x.tender == t)
            .map(|x| (x.count, x.gross))
    };
    // The drawer holds the rounded cash (the split's cash part is never rounded).
    assert_eq!(tender("cash"), Some((2, 3_000 + 8_500)));
    assert_eq!(n.cash_rounding, 10);
    assert_eq!(tender("vipps"), Some((1, 5_490)));
    assert_eq!(tender(SPLIT_TENDER), None);
    let tender_sum: i64 = n.tenders.iter().map(|t| t.gross).sum();
    assert_eq!(
        tender_sum,
        n.sales.gross + n.cash_rounding,
        "tenders add up to the sales plus the øreavrunding"
    );
    assert_eq!(n.failed, 1);
    let captured: i64 = n.vipps.iter().map(|a| a.captured).sum();
    assert_eq!(captured, 5_490);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_refuses_cash_covering_the_total_and_a_rest_below_the_minimum() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    for cash in [8_490, 9_000, 8_440, 0] {
        let err = run
            .engine
            .start_split_payment(request(ApiKind::Epayment), Money::nok(cash))
            .await
            .unwrap_err();
        assert!(!err.message().en.is_empty(), "{cash}");
    }
    let sales = run
        .engine_store()
        .run(|s| s.find_sales(&kasse::store::SaleQuery::default()))
        .await
        .unwrap();
    assert!(sales.is_empty(), "nothing journaled: {sales:?}");
    assert!(ledger(&sim.base_url()).await.payments.is_empty());
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_split_sends_payment_sources_to_order_management() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_split_payment(request(ApiKind::Ecom), Money::nok(4_000))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&run.engine_store()).await;
    let l = ledger(&sim.base_url()).await;
    let p = ledger_payment(&l, &paid.reference);
    assert_eq!((p.amount, p.captured), (4_490, 4_490));
    let receipt = p.receipt.clone().expect("Order Management receipt");
    assert_eq!(receipt["orderLines"].as_array().unwrap().len(), 2);
    assert_eq!(receipt["bottomLine"]["paymentSources"]["cash"], 4_000);
    api_support::assert_schema("order-management.yaml", "Receipt", &receipt);
    run.shutdown().await;
}
