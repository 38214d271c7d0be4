//! A push Vipps refuses for a reason a QR code avoids becomes a QR payment of the *same sale*.
//!
//! The simulator refuses a push to a number that cannot pay shops (ePayment 7010, eCom 81 — its
//! default set is any number ending in six zeros) and, with `no_push`, any push at all (5080,
//! eCom 38). The till shows why, and `Engine::retry_as_qr` makes a new attempt of the sale by QR:
//! the ledger holds one refused push and one captured QR payment, both of the same sale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::engine::provider::CustomerId;
use kasse::engine::{ApiKind, PayMethod, PaymentState};

fn push_to(phone: &str) -> PayMethod {
    PayMethod::Push {
        customer: CustomerId::Phone(phone.into()),
    }
}

/// The sale part of a reference (`…-<sequence>-a<attempt>` → everything before `-a<attempt>`).
fn sale_part(reference: &str) -> &str {
    reference
        .rsplit_once("-a")
        .map(|(s, _)| s)
        .unwrap_or(reference)
}

async fn refused_push_then_qr(api: ApiKind, phone: &str, no_push: bool, code: &str) {
    let sim = start_sim(sim_config()).await;
    if no_push {
        set_faults(&sim.base_url(), serde_json::json!({ "no_push": true })).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let first = run
        .engine
        .start_payment(sale(4990, api, push_to(phone)))
        .await
        .unwrap();
    let failed = wait_state(&mut rx, first, PaymentState::Failed).await;
    assert!(failed.qr_fallback, "{failed:?}");
    let reason = failed.reason.clone().unwrap();
    assert!(reason.en.contains("QR"), "{}", reason.en);
    // The simulator answered the push with the expected error (the fault fired).
    let journal = journal(&run.engine_store(), first).await;
    assert!(
        journal.iter().any(|(k, o)| k == "create" && o != "ok"),
        "{journal:?}"
    );
    let ops = run
        .engine_store()
        .run(move |s| s.operations_for_payment(first))
        .await
        .unwrap();
    assert!(
        ops.iter()
            .any(|o| o.op.kind == "create" && o.op.error_code.as_deref() == Some(code)),
        "expected error {code}: {ops:?}"
    );
    if no_push {
        set_faults(&sim.base_url(), serde_json::Value::Null).await;
    }

    // One key later: the same sale by QR.
    let second = run.engine.retry_as_qr(first).await.unwrap();
    assert_ne!(second, first);
    let w = wait_state(&mut rx, second, PaymentState::WaitingForCustomer).await;
    assert!(w.qr_payload.is_some(), "a QR to show");
    assert_eq!(w.sale_id, failed.sale_id, "the same sale");
    assert_ne!(w.reference, failed.reference, "a fresh reference");
    assert_eq!(sale_part(&w.reference), sale_part(&failed.reference));
    customer(&sim, &w.reference, "approve").await;
    let paid = wait_state(&mut rx, second, PaymentState::Paid).await;
    assert_eq!(paid.captured.minor(), 4990);
    outbox_drained(&run.engine_store()).await;

    // The ledger: the refused push (nothing authorized) and one captured QR payment.
    let ledger = sim.ledger();
    let p = ledger_payment(&ledger, &paid.reference);
    assert_eq!(p.captured, 4990, "{p:?}");
    // One refused create and one captured payment, both of the same sale.
    let refused: Vec<_> = ledger
        .refused
        .iter()
        .filter(|r| sale_part(&r.reference) == sale_part(&paid.reference))
        .collect();
    assert_eq!(refused.len(), 1, "{:?}", ledger.refused);
    assert_eq!(refused[0].reference, failed.reference);
    assert_eq!(refused[0].code, code);
    assert!(
        ledger
            .payments
            .iter()
            .all(|x| x.reference != failed.reference),
        "no payment exists for the refused push"
    );
    let captured_for_sale: i64 = ledger
        .payments
        .iter()
        .filter(|x| sale_part(&x.reference) == sale_part(&paid.reference))
        .map(|x| x.captured)
        .sum();
    assert_eq!(captured_for_sale, 4990, "the sale is paid once");
    let rec = run
        .engine_store()
        .run(move |s| s.sale(failed.sale_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.payments.len(), 2, "two attempts of one sale");
    assert_eq!(rec.sale.status.to_string(), "paid");
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epayment_not_a_user_then_qr_for_the_same_sale() {
    refused_push_then_qr(ApiKind::Epayment, "4790000000", false, "7010").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epayment_push_not_enabled_then_qr_for_the_same_sale() {
    refused_push_then_qr(ApiKind::Epayment, "4791234567", true, "5080").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_not_a_user_then_qr_for_the_same_sale() {
    refused_push_then_qr(ApiKind::Ecom, "90000000", false, "81").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_push_not_enabled_then_qr_for_the_same_sale() {
    refused_push_then_qr(ApiKind::Ecom, "91234567", true, "38").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_sale_cannot_be_paid_again_by_qr() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, PayMethod::Qr))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    assert!(run.engine.retry_as_qr(id).await.is_err());
    assert_eq!(sim.ledger().payments.len(), 1);
    run.shutdown().await;
}
