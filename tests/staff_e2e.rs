//! End-to-end against the in-process simulator: sale, partial refund, full refund, over-refund
//! refused with a clear message, manager PIN required where listed, Z report totals equal the
//! simulator's ledger, headless `kasse refund` / `kasse report`, batch refunds with progress.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::staff as staff_support;
use std::sync::Arc;
use std::time::Duration;

use kasse::cli::staff::{self as headless, HeadlessCtx, RefundArgs, ReportArgs};
use kasse::clock::SystemClock;
use kasse::domain::batch::BatchOp;
use kasse::domain::money::Currency;
use kasse::domain::refund::{RefundMode, RefundRequest, RefundStatus, refund_key};
use kasse::domain::report::day_bounds;
use kasse::domain::staff::{Role, StaffError};
use kasse::engine::ApiKind;
use kasse::lang::Lang;
use kasse::receipt::report::Format;
use kasse::service::batch::BatchRunner;
use kasse::service::reconcile::{PaymentReader, VippsReader, reconcile};
use kasse::service::refund;
use kasse::store::SaleStatus;
use secrecy::SecretString;
use staff_support::*;
use time::{OffsetDateTime, UtcOffset};

fn req(reference: &str, mode: RefundMode) -> RefundRequest {
    RefundRequest {
        reference: reference.into(),
        mode,
        reason: "varen var skadet".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epayment_partial_full_over_refund_and_z_equals_ledger() {
    let t = till().await;
    let now = OffsetDateTime::now_utc();
    assert!(t.db.needs_first_manager().await.unwrap());
    let manager =
        t.db.create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap();
    assert!(!t.db.needs_first_manager().await.unwrap());
    t.db.create_staff(&manager, "Kari", CASHIER_PIN, Role::Cashier, now)
        .await
        .unwrap();
    let cashier = t.db.login(CASHIER_PIN, now).await.unwrap();
    assert_eq!(cashier.role(), Role::Cashier);

    let reference = paid_sale(&t, 10_000, ApiKind::Epayment).await;

    // A cashier may not refund: refused, journaled, nothing queued.
    let e = refund::refund(
        &t.db,
        &cashier,
        &req(&reference, RefundMode::Amount(3_000)),
        now,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, StaffError::Forbidden(_)), "{e:?}");
    assert!(
        e.message().en.contains("needs a manager"),
        "{}",
        e.message().en
    );
    assert_eq!(t.store.run(|s| s.pending_count()).await.unwrap(), 0);

    // Partial refund by a manager.
    let rec = refund::refund(
        &t.db,
        &manager,
        &req(&reference, RefundMode::Amount(3_000)),
        now,
    )
    .await
    .unwrap();
    assert_eq!(
        rec.idempotency_key,
        refund_key(&reference, ApiKind::Epayment, 1).unwrap()
    );
    t.run.engine.kick_worker();
    let st = refund::wait_for(
        &t.db,
        &t.run.engine,
        &rec.idempotency_key,
        refund::WaitLimits::timeout(WAIT),
    )
    .await
    .unwrap();
    assert_eq!(st, RefundStatus::Done);
    let p = t.sim.ledger().payment(&reference).cloned().unwrap();
    assert_eq!((p.captured, p.refunded), (10_000, 3_000));
    assert_eq!(
        refund::settle_sale_status(&t.db, &rec, now).await.unwrap(),
        Some(SaleStatus::PartiallyRefunded)
    );
    let op = p.operations.iter().find(|o| o.name == "REFUNDED").unwrap();
    assert_eq!(
        op.idempotency_key.as_deref(),
        Some(rec.idempotency_key.as_str())
    );

    // Over-refund: refused with the numbers and what to do; nothing reaches Vipps.
    let e = refund::refund(
        &t.db,
        &manager,
        &req(&reference, RefundMode::Amount(8_000)),
        now,
    )
    .await
    .unwrap_err();
    let msg = e.message().en;
    assert!(matches!(e, StaffError::Refused(_)));
    assert!(
        msg.contains("kr 80,00 is more than can be refunded")
            && msg.contains("at most kr 70,00")
            && msg.contains("captured kr 100,00")
            && msg.contains("already refunded kr 30,00"),
        "{msg}"
    );
    assert!(
        e.message().nb.contains("høyst kr 70,00"),
        "{}",
        e.message().nb
    );

    // Full refund of the rest.
    let rec2 = refund::refund(&t.db, &manager, &req(&reference, RefundMode::Full), now)
        .await
        .unwrap();
    assert_eq!(rec2.amount, 7_000);
    assert_eq!(rec2.n, 2);
    t.run.engine.kick_worker();
    assert_eq!(
        refund::wait_for(
            &t.db,
            &t.run.engine,
            &rec2.idempotency_key,
            refund::WaitLimits::timeout(WAIT)
        )
        .await
        .unwrap(),
        RefundStatus::Done
    );
    let p = t.sim.ledger().payment(&reference).cloned().unwrap();
    assert_eq!(p.refunded, 10_000);
    assert_eq!(p.count("REFUNDED"), 2, "{p:?}");
    assert_eq!(
        refund::settle_sale_status(&t.db, &rec2, now).await.unwrap(),
        Some(SaleStatus::Refunded)
    );
    let sale = t
        .store
        .run(move |s| s.sale(rec2.sale_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sale.sale.status, SaleStatus::Refunded);

    // Nothing left.
    let e = refund::refund(&t.db, &manager, &req(&reference, RefundMode::Full), now)
        .await
        .unwrap_err();
    assert!(
        e.message().en.contains("already fully refunded"),
        "{}",
        e.message().en
    );

    // Refund receipt data.
    let receipt = t.db.refund_receipt(rec2.id).await.unwrap();
    assert_eq!(receipt.refund_number, "R-s1-t1-000001-2");
    assert_eq!(receipt.total, 7_000);
    assert_eq!(receipt.total_vat, 1_400);
    assert_eq!(receipt.staff_name.as_deref(), Some("Mona"));
    assert_eq!(receipt.status, RefundStatus::Done);
    assert_eq!(receipt.vat_breakdown, vec![(2500, 7_000, 5_600, 1_400)]);

    // A second sale, captured, untouched: for the report totals.
    let second = paid_sale(&t, 4_990, ApiKind::Epayment).await;

    // Z report: cashier refused; manager gets totals equal to the simulator's ledger.
    let today = now.date();
    let reader: Arc<dyn PaymentReader> = Arc::new(VippsReader::new(t.run.vipps.clone()));
    let (from, to) = day_bounds(today, UtcOffset::UTC);
    let rec = reconcile(&t.db, reader, from, to).await.unwrap();
    assert_eq!(rec.checked, 2);
    assert!(rec.is_clean(), "{rec:?}");
    let e =
        t.db.close_period(
            &cashier,
            UtcOffset::UTC,
            Some(rec.clone()),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(e.message().en.contains("needs a manager"));
    let z =
        t.db.close_period(
            &manager,
            UtcOffset::UTC,
            Some(rec),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(z.number, Some(1));
    let ledger = t.sim.ledger();
    let ledger_captured: i64 = ledger.payments.iter().map(|p| p.captured).sum();
    let ledger_refunded: i64 = ledger.payments.iter().map(|p| p.refunded).sum();
    assert_eq!((ledger_captured, ledger_refunded), (14_990, 10_000));
    let s = &z.sections[0];
    assert!(!s.training);
    assert_eq!(s.sales.count, 2);
    assert_eq!(s.sales.gross, ledger_captured);
    assert_eq!(
        s.vipps.iter().map(|a| a.captured).sum::<i64>(),
        ledger_captured
    );
    assert_eq!(s.refunds.gross, ledger_refunded);
    assert_eq!(s.refunds.count, 2);
    assert_eq!(s.net_turnover, ledger_captured - ledger_refunded);
    let r = z.reconciliation.as_ref().unwrap();
    assert_eq!(
        (r.vipps_captured, r.vipps_refunded),
        (ledger_captured, ledger_refunded)
    );
    assert!(ledger.payment(&second).is_some());

    // A second Z the same day closes only what came after the first: here nothing (a zero Z),
    // numbered 2. The stored Z no. 1 reads back by number; by date the day is ambiguous now.
    let z2 =
        t.db.close_period(&manager, UtcOffset::UTC, None, OffsetDateTime::now_utc())
            .await
            .unwrap();
    assert_eq!(z2.number, Some(2));
    assert!(z2.sections.is_empty(), "{:?}", z2.sections);
    assert_eq!(z2.fiscal.grand_totals, z.fiscal.grand_totals);
    assert_eq!(t.db.stored_z_by_number(1).await.unwrap().unwrap(), z);
    let e = t.db.stored_z_report(today).await.unwrap_err();
    assert!(e.message().en.contains("no. 1, 2"), "{}", e.message().en);

    // Every action journaled with who.
    let acts =
        t.db.actions_between(
            now - time::Duration::minutes(1),
            now + time::Duration::minutes(1),
        )
        .await
        .unwrap();
    let has = |action: &str, who: &str, allowed: bool| {
        acts.iter().any(|a| {
            a.action == action && a.staff_id.as_deref() == Some(who) && a.allowed == allowed
        })
    };
    assert!(has("refund", cashier.staff_id(), false), "{acts:?}");
    assert!(has("refund", manager.staff_id(), true));
    assert!(has("refund_recorded", manager.staff_id(), true));
    assert!(has("z_report", cashier.staff_id(), false));
    assert!(has("z_report_closed", manager.staff_id(), true));
    t.run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecom_headless_refund_and_report_and_batch() {
    let t = till().await;
    let now = OffsetDateTime::now_utc();
    let manager =
        t.db.create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap();
    let reference = paid_sale(&t, 5_000, ApiKind::Ecom).await;

    let reader: Arc<dyn PaymentReader> = Arc::new(VippsReader::new(t.run.vipps.clone()));
    let mut ctx = HeadlessCtx {
        db: t.db.clone(),
        store: t.store.clone(),
        engine: Some(t.run.engine.clone()),
        reader: Some(reader.clone()),
        clock: Arc::new(SystemClock),
        lang: Lang::En,
        utc_offset: UtcOffset::UTC,
        currency: Currency::Nok,
        pin: None,
    };
    let args = |amount: Option<&str>| RefundArgs {
        reference: reference.clone(),
        amount: amount.map(str::to_owned),
        reason: Some("wrong item".into()),
        wait_secs: 20,
    };

    // No PIN: refused, exit 1, says what to do.
    let mut out = Vec::new();
    assert_eq!(
        headless::refund(&ctx, &args(Some("20,00")), &mut out).await,
        1
    );
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("result: refused") && text.contains("KASSE_PIN"),
        "{text}"
    );

    ctx.pin = Some(SecretString::from(MANAGER_PIN));
    let mut out = Vec::new();
    assert_eq!(
        headless::refund(&ctx, &args(Some("20,00")), &mut out).await,
        0
    );
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.lines().last().unwrap(),
        format!("result: refunded reference={reference} amount=20.00")
    );
    let p = t.sim.ledger().payment(&reference).cloned().unwrap();
    assert_eq!((p.captured, p.refunded), (5_000, 2_000), "{p:?}");
    assert_eq!(p.count("REFUND"), 1, "{p:?}");
    let r2 = reference.clone();
    let hits =
        t.db.find_sales(&kasse::store::SaleQuery {
            reference: Some(r2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hits[0].status, "partially_refunded");

    // Over-refund through the CLI: exit 1 with the reason on the result line.
    let mut out = Vec::new();
    assert_eq!(headless::refund(&ctx, &args(Some("40")), &mut out).await, 1);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with(&format!("result: refused reference={reference} reason=Refund: kr 40,00 is more than can be refunded")),
        "{text}"
    );
    // Bad amount input names the field.
    let mut out = Vec::new();
    assert_eq!(
        headless::refund(&ctx, &args(Some("tjue")), &mut out).await,
        1
    );
    assert!(String::from_utf8(out).unwrap().contains("reason=--amount:"));

    // Batch: refund the rest of this sale and all of a second one, with progress.
    let second = paid_sale(&t, 3_000, ApiKind::Epayment).await;
    let mut runner = BatchRunner::new(t.db.clone(), t.run.engine.clone(), Arc::new(SystemClock));
    runner.wait = WAIT;
    let mut seen = Vec::new();
    let outcomes = runner
        .run(
            &manager,
            vec![
                BatchOp::Refund(req(&reference, RefundMode::Full)),
                BatchOp::Refund(req(&second, RefundMode::Full)),
                BatchOp::Refund(req(&second, RefundMode::Full)),
            ],
            |p| seen.push((p.done, p.total)),
        )
        .await
        .unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen.last(), Some(&(3, 3)));
    assert_eq!(outcomes[0].status, RefundStatus::Done, "{outcomes:?}");
    assert_eq!(outcomes[0].amount, 3_000);
    // The same sale twice: one refunds the rest, the other is refused (nothing left).
    let done: Vec<_> = outcomes[1..]
        .iter()
        .filter(|o| o.status == RefundStatus::Done)
        .collect();
    let refused: Vec<_> = outcomes[1..]
        .iter()
        .filter(|o| o.refused.is_some())
        .collect();
    assert_eq!((done.len(), refused.len()), (1, 1), "{outcomes:?}");
    assert_eq!(done[0].amount, 3_000);
    assert!(
        refused[0]
            .refused
            .as_ref()
            .unwrap()
            .en
            .contains("already fully refunded")
    );
    let ledger = t.sim.ledger();
    assert_eq!(ledger.payment(&reference).unwrap().refunded, 5_000);
    assert_eq!(ledger.payment(&second).unwrap().refunded, 3_000);

    // X report as CSV through the CLI: reconciliation against the simulator is clean.
    let mut out = Vec::new();
    let code = headless::report(
        &ctx,
        &ReportArgs {
            date: None,
            z: false,
            number: None,
            copy: false,
            format: Format::Csv,
            no_reconcile: false,
            print: false,
            counted: None,
            pieces: None,
            operator_counted: Vec::new(),
        },
        &mut out,
    )
    .await;
    let csv = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{csv}");
    assert!(csv.contains("sales,0,NOK,,2,8000,"), "{csv}");
    assert!(csv.contains("refunds,0,NOK,,3,8000,"), "{csv}");
    assert!(csv.contains("vipps_captured_total,0,,,0,8000,"), "{csv}");
    assert!(csv.contains("vipps_refunded_total,0,,,0,8000,"), "{csv}");
    assert!(!csv.contains("finding_"), "{csv}");

    // Z through the CLI (manager PIN in the context). A sale after it lands in the next Z
    // (the same day: a period, not a calendar day), and Z no. 1 prints again by number.
    let z = ReportArgs {
        date: None,
        z: true,
        number: None,
        copy: false,
        format: Format::Json,
        no_reconcile: false,
        print: false,
        counted: None,
        pieces: None,
        operator_counted: Vec::new(),
    };
    let mut out = Vec::new();
    assert_eq!(headless::report(&ctx, &z, &mut out).await, 0);
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["kind"], "z");
    assert_eq!(json["number"], 1);
    let sales_before = json["sections"][0]["sales"]["count"].as_i64().unwrap();
    assert_eq!(sales_before, 2);
    let grand_before = json["fiscal"]["grand_totals"][0]["sales"].as_i64().unwrap();

    let after = paid_sale(&t, 2_500, ApiKind::Epayment).await;
    let mut out = Vec::new();
    assert_eq!(headless::report(&ctx, &z, &mut out).await, 0);
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["number"], 2);
    assert_eq!(json["sections"][0]["sales"]["count"], 1, "{json}");
    assert_eq!(json["sections"][0]["sales"]["gross"], 2_500);
    assert_eq!(
        json["fiscal"]["grand_totals"][0]["sales"].as_i64().unwrap(),
        grand_before + 2_500
    );
    assert!(t.sim.ledger().payment(&after).is_some());

    let copy = ReportArgs {
        number: Some(1),
        z: false,
        format: Format::Json,
        ..z.clone()
    };
    let mut out = Vec::new();
    assert_eq!(headless::report(&ctx, &copy, &mut out).await, 0);
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["number"], 1);
    let mut out = Vec::new();
    let missing = ReportArgs {
        number: Some(9),
        ..copy
    };
    assert_eq!(headless::report(&ctx, &missing, &mut out).await, 1);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("No stored Z report")
    );
    let _ = Duration::ZERO;
    t.run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psp_refund_and_async_login() {
    let t = till().await;
    let now = OffsetDateTime::now_utc();
    t.db.create_first_manager("Mona", MANAGER_PIN, now)
        .await
        .unwrap();
    // The UI path: PIN hashing and SQLite off the async threads.
    let manager =
        t.db.run(move |db| db.login(MANAGER_PIN, now))
            .await
            .unwrap();
    let reference = paid_sale(&t, 6_000, ApiKind::Psp).await;
    let rec = refund::refund(
        &t.db,
        &manager,
        &req(&reference, RefundMode::Amount(2_500)),
        now,
    )
    .await
    .unwrap();
    assert_eq!(rec.api, ApiKind::Psp);
    t.run.engine.kick_worker();
    assert_eq!(
        refund::wait_for(
            &t.db,
            &t.run.engine,
            &rec.idempotency_key,
            refund::WaitLimits::timeout(WAIT)
        )
        .await
        .unwrap(),
        RefundStatus::Done
    );
    outbox_drained(&t.store).await;
    let p = t.sim.ledger().payment(&reference).cloned().unwrap();
    assert_eq!((p.captured, p.refunded), (6_000, 2_500), "{p:?}");
    t.run.shutdown().await;
}

mod fail_capture {
    use crate::common::e2e::Around;
    use kasse::domain::money::Money;

    use kasse::engine::acquirer::BoxFuture;
    use kasse::engine::provider::{ErrorClass, ModificationResult, Provider, ProviderError};
    use kasse::lang::Text;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Refuses the first capture for good (as Vipps would for a bad request); the rest pass.
    pub struct FailFirstCapture {
        pub inner: Arc<dyn Provider>,
        pub fired: AtomicBool,
    }

    impl Around for FailFirstCapture {
        fn inner(&self) -> &dyn Provider {
            &*self.inner
        }
        fn capture<'a>(
            &'a self,
            id: &'a str,
            amount: Money,
            key: &'a str,
        ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
            if self.fired.swap(true, Ordering::SeqCst) {
                return self.inner.capture(id, amount, key);
            }
            Box::pin(async {
                Err(ProviderError::new(
                    ErrorClass::Rejected,
                    Text::new("test: trekk avvist", "test: capture refused"),
                    "injected by the test",
                ))
            })
        }
    }
}

/// A capture that failed for good leaves money reserved: reconciliation lists it with what to
/// do, the dead row blocks the Z until acknowledged, and a batch correction captures it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_capture_found_and_corrected_in_batch() {
    use kasse::domain::reconcile::FindingKind;
    let t = till_with(|mut b| {
        b.epayment = Arc::new(crate::common::e2e::Wrap(fail_capture::FailFirstCapture {
            inner: b.epayment.clone(),
            fired: std::sync::atomic::AtomicBool::new(false),
        }));
        b
    })
    .await;
    let now = OffsetDateTime::now_utc();
    let manager =
        t.db.create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap();
    let (pid, reference) = approved_sale(&t, 7_000, ApiKind::Epayment).await;
    journal_state(&t.store, pid, kasse::store::PayState::Failed).await;
    assert_eq!(t.sim.ledger().payment(&reference).unwrap().captured, 0);

    let reader: Arc<dyn PaymentReader> = Arc::new(VippsReader::new(t.run.vipps.clone()));
    let (from, to) = day_bounds(now.date(), UtcOffset::UTC);
    let rec = reconcile(&t.db, reader.clone(), from, to).await.unwrap();
    let f: Vec<_> = rec.findings.iter().map(|f| f.kind).collect();
    assert_eq!(f, vec![FindingKind::AuthorizedNotCaptured], "{rec:?}");
    assert!(
        rec.findings[0]
            .action
            .en
            .contains("kr 70,00 is reserved but not captured")
    );

    // The dead capture row blocks the Z until a manager acknowledges it.
    let e =
        t.db.close_period(&manager, UtcOffset::UTC, None, OffsetDateTime::now_utc())
            .await
            .unwrap_err();
    assert!(
        e.message().en.contains("1 queued Vipps actions"),
        "{}",
        e.message().en
    );

    let mut runner = BatchRunner::new(t.db.clone(), t.run.engine.clone(), Arc::new(SystemClock));
    runner.wait = WAIT;
    let mut progress = Vec::new();
    let out = runner
        .run(
            &manager,
            vec![BatchOp::Capture {
                reference: reference.clone(),
            }],
            |p| progress.push((p.done, p.total, p.ok)),
        )
        .await
        .unwrap();
    assert_eq!(out[0].status, RefundStatus::Done, "{out:?}");
    assert_eq!(progress, vec![(1, 1, true)]);
    let p = t.sim.ledger().payment(&reference).cloned().unwrap();
    assert_eq!(p.captured, 7_000);
    assert_eq!(p.count("CAPTURED"), 1, "{p:?}");
    let key = p
        .operations
        .iter()
        .find(|o| o.name == "CAPTURED")
        .and_then(|o| o.idempotency_key.clone())
        .unwrap();
    assert_eq!(key, format!("{reference}-capture-2"));

    // Acknowledge the dead row; now the day reconciles and closes.
    let dead = t
        .store
        .run(|s| s.list(kasse::store::OutboxFilter::DeadUnacknowledged))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    let (id, who) = (dead[0].id, manager.staff_id().to_owned());
    t.store
        .run(move |s| s.acknowledge_dead(id, &who, now))
        .await
        .unwrap();
    let rec = reconcile(&t.db, reader, from, to).await.unwrap();
    assert!(rec.is_clean(), "{rec:?}");
    let z =
        t.db.close_period(
            &manager,
            UtcOffset::UTC,
            Some(rec),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(z.number, Some(1));
    t.run.shutdown().await;
}
