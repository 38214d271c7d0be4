//! X/Z reports without the network: totals per tender and VAT rate, refunds, cancellations,
//! drawer opens, training kept apart; Z refused while the outbox is unresolved, numbered,
//! immutable, one per day; rendering snapshots (text, CSV, JSON).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kasse::domain::refund::{LineRefund, RefundMode, RefundRequest};
use kasse::domain::report::ReportKind;
use kasse::domain::staff::{HashCost, Session};
use kasse::lang::Lang;
use kasse::receipt::report::{Format, render};
use kasse::service::StaffDb;
use kasse::service::refund;
use kasse::store::{
    Api, AsyncStore, DB_FILE_NAME, Flow, NewPayment, NewSale, NewSaleLine, PayState,
    PaymentAmounts, SaleStatus, Store,
};
use time::macros::{date, datetime};
use time::{OffsetDateTime, UtcOffset};

fn line(name: &str, rate: i64, gross: i64, qty: i64) -> NewSaleLine {
    let vat = kasse::domain::refund::vat_of_gross(gross, rate);
    NewSaleLine {
        product_id: Some(name.to_lowercase()),
        name: name.into(),
        quantity: (qty / 1000).to_string(),
        quantity_milli: qty,
        unit: "pcs".into(),
        unit_price: gross * 1000 / qty,
        discount: 0,
        vat_rate: rate,
        gross,
        net: gross - vat,
        vat,
        is_return: false,
    }
}

/// Write a sale as the engine would, then bring it to `status` (captured if paid).
fn sale(
    s: &mut Store,
    at: OffsetDateTime,
    lines: Vec<NewSaleLine>,
    status: SaleStatus,
    training: bool,
    api: Api,
) -> (i64, String) {
    let gross: i64 = lines.iter().map(|l| l.gross).sum();
    let vat: i64 = lines.iter().map(|l| l.vat).sum();
    let ids = s
        .begin_sale(&NewSale {
            shop_id: "s1".into(),
            till_id: "t1".into(),
            staff_id: None,
            currency: "NOK".into(),
            gross_total: gross,
            vat_total: vat,
            net_total: gross - vat,
            training,
            tender: "vipps".into(),
            description: None,
            lines,
            payment: NewPayment {
                api,
                msn: "123456".into(),
                flow: Flow::Push,
                customer_phone: Some("4791234567".into()),
            },
            created_at: at,
        })
        .unwrap();
    let (state, amounts) = match status {
        SaleStatus::Paid => (
            PayState::Captured,
            PaymentAmounts {
                authorized: gross,
                captured: gross,
                refunded: 0,
                cancelled: 0,
            },
        ),
        _ => (
            PayState::Cancelled,
            PaymentAmounts {
                authorized: 0,
                captured: 0,
                refunded: 0,
                cancelled: gross,
            },
        ),
    };
    s.update_payment_state(ids.payment_id, state, None, Some(amounts), at)
        .unwrap();
    s.set_sale_status(ids.sale_id, status, None, at).unwrap();
    (ids.sale_id, ids.reference)
}

struct Day {
    store: AsyncStore,
    db: StaffDb,
    manager: Session,
    cashier: Session,
    refs: Vec<String>,
    _dir: tempfile::TempDir,
}

const T0: OffsetDateTime = datetime!(2026-11-21 09:00:00 UTC);

async fn day() -> Day {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in_dir(dir.path())
        .unwrap()
        .with_id_gen(std::sync::Arc::new(kasse::clock::FixedFirstIds::pinned(1)));
    let mins = |m: i64| T0 + time::Duration::minutes(m);
    let a = sale(
        &mut s,
        mins(0),
        vec![
            line("Kaffe", 2500, 4990, 1000),
            line("Bolle", 1500, 3500, 2000),
        ],
        SaleStatus::Paid,
        false,
        Api::Epayment,
    );
    let b = sale(
        &mut s,
        mins(10),
        vec![line("Avis", 0, 4000, 1000), line("Kaffe", 2500, 4990, 1000)],
        SaleStatus::Paid,
        false,
        Api::Ecom,
    );
    let c = sale(
        &mut s,
        mins(20),
        vec![line("Te", 2500, 2500, 1000)],
        SaleStatus::Cancelled,
        false,
        Api::Epayment,
    );
    let d = sale(
        &mut s,
        mins(30),
        vec![line("Øving", 2500, 10_000, 1000)],
        SaleStatus::Paid,
        true,
        Api::Epayment,
    );
    let refs = vec![a.1, b.1, c.1, d.1];
    // Another day: must not show up.
    sale(
        &mut s,
        T0 - time::Duration::days(1),
        vec![line("I går", 2500, 99_900, 1000)],
        SaleStatus::Paid,
        false,
        Api::Epayment,
    );
    let store = AsyncStore::new(s).unwrap();
    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    let manager = db.create_first_manager("Mona", "135790", T0).await.unwrap();
    db.create_staff(
        &manager,
        "Kari",
        "2468",
        kasse::domain::staff::Role::Cashier,
        T0,
    )
    .await
    .unwrap();
    let cashier = db.login("2468", T0).await.unwrap();
    Day {
        store,
        db,
        manager,
        cashier,
        refs,
        _dir: dir,
    }
}

/// Act as the engine's worker: send nothing, mark every open row done.
async fn complete_outbox(store: &AsyncStore, now: OffsetDateTime) {
    store
        .run(move |s| {
            for r in s.claim_due(now + time::Duration::hours(1), 100)? {
                s.complete(r.id, now)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn x_and_z_reports() {
    let d = day().await;
    let at = T0 + time::Duration::hours(2);
    // A line refund (1 of 2 buns) and an amount refund on the eCom sale.
    let r1 = refund::refund(
        &d.db,
        &d.manager,
        &RefundRequest {
            reference: d.refs[0].clone(),
            mode: RefundMode::Lines(vec![LineRefund {
                line_no: 2,
                quantity_milli: 1000,
            }]),
            reason: "bollen var tørr".into(),
        },
        at,
    )
    .await
    .unwrap();
    assert_eq!((r1.amount, r1.vat), (1750, 228));
    refund::refund(
        &d.db,
        &d.manager,
        &RefundRequest {
            reference: d.refs[1].clone(),
            mode: RefundMode::Amount(1000),
            reason: "prisfeil".into(),
        },
        at,
    )
    .await
    .unwrap();
    // The drawer: cashier refused (journaled, not counted), manager allowed (counted).
    assert!(
        d.db.open_drawer_no_sale(&d.cashier, "veksel", at)
            .await
            .is_err()
    );
    d.db.open_drawer_no_sale(&d.manager, "veksel", at)
        .await
        .unwrap();

    // Z refused while the refunds are unsent.
    let e =
        d.db.close_period(&d.manager, UtcOffset::UTC, None, at)
            .await
            .unwrap_err();
    assert!(
        e.message().en.contains("2 queued Vipps actions"),
        "{}",
        e.message().en
    );

    let x =
        d.db.x_report(
            Some(&d.cashier),
            Some(date!(2026 - 11 - 21)),
            UtcOffset::UTC,
            None,
            at,
        )
        .await
        .unwrap();
    assert_eq!(x.kind, ReportKind::X);
    assert_eq!(x.sections.len(), 2, "normal and training apart");
    let n = &x.sections[0];
    assert_eq!((n.sales.count, n.sales.gross), (2, 17_480));
    assert_eq!((n.refunds.count, n.refunds.gross), (2, 2_750));
    assert_eq!(n.refunds_pending, 2);
    assert_eq!((n.cancellations.count, n.cancellations.gross), (1, 2_500));
    assert_eq!(x.drawer_opens_no_sale, 1);
    assert_eq!(x.outbox_unresolved, 2);
    let tr = &x.sections[1];
    assert!(tr.training);
    assert_eq!((tr.sales.count, tr.sales.gross), (1, 10_000));
    // VAT per rate sums to the sales VAT; refunds per rate to the refunds.
    assert_eq!(n.vat_rates.iter().map(|v| v.vat).sum::<i64>(), n.sales.vat);
    assert_eq!(
        n.vat_rates.iter().map(|v| v.gross).sum::<i64>(),
        n.sales.gross
    );
    assert_eq!(
        n.refund_vat_rates.iter().map(|v| v.gross).sum::<i64>(),
        n.refunds.gross
    );

    insta::assert_snapshot!("x_report_text_nb", render(&x, Format::Text, Lang::Nb));
    insta::assert_snapshot!("x_report_csv", render(&x, Format::Csv, Lang::En));

    complete_outbox(&d.store, at).await;
    // The Z a minute later: its period ends (exclusive) at its own time.
    let z =
        d.db.close_period(
            &d.manager,
            UtcOffset::UTC,
            None,
            at + time::Duration::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(z.number, Some(1));
    assert_eq!(z.sections[0].refunds_pending, 0);
    // The Z closes the period since the till was taken into use: yesterday's sale (no Z
    // closed it) is in it, unlike in the X of one calendar day above.
    assert_eq!(
        (z.sections[0].sales.count, z.sections[0].sales.gross),
        (3, 17_480 + 99_900)
    );
    assert_eq!(z.fiscal.grand_totals[0].sales, 17_480 + 99_900);
    assert_eq!(z.fiscal.grand_totals[0].returns, 2_750, "{:#?}", z.fiscal);
    insta::assert_snapshot!("z_report_text_en", render(&z, Format::Text, Lang::En));
    insta::assert_snapshot!("z_report_json", render(&z, Format::Json, Lang::En));

    // Immutable: the database itself refuses to change or delete it.
    let conn = rusqlite::Connection::open(d._dir.path().join(DB_FILE_NAME)).unwrap();
    let e = conn
        .execute("UPDATE z_reports SET report_json = '{}'", [])
        .unwrap_err();
    assert!(e.to_string().contains("immutable"), "{e}");
    assert!(conn.execute("DELETE FROM z_reports", []).is_err());

    // The next Z gets number 2; nothing happened since no. 1: a zero Z, same grand totals.
    let z2 =
        d.db.close_period(
            &d.manager,
            UtcOffset::UTC,
            None,
            at + time::Duration::hours(20),
        )
        .await
        .unwrap();
    assert_eq!(z2.number, Some(2));
    assert!(z2.sections.is_empty());
    assert_eq!(z2.period_from, z.period_to);
    assert_eq!(z2.fiscal.grand_totals, z.fiscal.grand_totals);
}

#[tokio::test]
async fn find_sales_by_each_key() {
    let d = day().await;
    let q = |f: &dyn Fn(&mut kasse::store::SaleQuery)| {
        let mut q = kasse::store::SaleQuery::default();
        f(&mut q);
        let db = d.db.clone();
        async move { db.find_sales(&q).await.unwrap() }
    };
    assert_eq!(q(&|q| q.reference = Some(d.refs[1].clone())).await.len(), 1);
    assert_eq!(
        q(&|q| q.reference = Some("000002".into())).await[0].references,
        vec![d.refs[1].clone()]
    );
    assert_eq!(
        q(&|q| q.receipt_number = Some("s1-t1-000001".into()))
            .await
            .len(),
        1
    );
    assert_eq!(q(&|q| q.gross_total = Some(8_990)).await.len(), 1);
    assert_eq!(
        q(&|q| q.phone_last_digits = Some("4567".into()))
            .await
            .len(),
        5
    );
    let hits = q(&|q| {
        q.from = Some(T0 + time::Duration::minutes(5));
        q.to = Some(T0 + time::Duration::minutes(25));
    })
    .await;
    assert_eq!(hits.len(), 2);
    let e =
        d.db.find_sales(&kasse::store::SaleQuery {
            phone_last_digits: Some("12a".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(e.message().en.starts_with("Phone:"));
}

#[tokio::test]
async fn refund_rules_in_the_journal() {
    let d = day().await;
    let at = T0 + time::Duration::hours(1);
    // Not captured (cancelled sale): refused, says cancel instead.
    let e = refund::refund(
        &d.db,
        &d.manager,
        &RefundRequest {
            reference: d.refs[2].clone(),
            mode: RefundMode::Full,
            reason: "test".into(),
        },
        at,
    )
    .await
    .unwrap_err();
    assert!(
        e.message().en.contains("has not been captured"),
        "{}",
        e.message().en
    );
    // A reason is required.
    let e = refund::refund(
        &d.db,
        &d.manager,
        &RefundRequest {
            reference: d.refs[0].clone(),
            mode: RefundMode::Full,
            reason: "  ".into(),
        },
        at,
    )
    .await
    .unwrap_err();
    assert!(e.message().en.starts_with("Reason:"));
    // Older than 365 days: refused (Vipps 6220 / eCom 95).
    let late = T0 + time::Duration::days(366);
    let e = refund::refund(
        &d.db,
        &d.manager,
        &RefundRequest {
            reference: d.refs[0].clone(),
            mode: RefundMode::Full,
            reason: "for sent".into(),
        },
        late,
    )
    .await
    .unwrap_err();
    assert!(e.message().en.contains("365 days"));
    // Unknown reference.
    let e =
        d.db.refund_context("kasse-s1-t1-999999-a1")
            .await
            .unwrap_err();
    assert!(e.message().en.contains("was not found"));
    // A record whose outbox row is missing (an older kasse wrote the record and its row in two
    // transactions and crashed in between) is repaired with the same key. Today both are one
    // transaction: nothing is unsent after a refund.
    let rec = refund::refund(
        &d.db,
        &d.manager,
        &RefundRequest {
            reference: d.refs[0].clone(),
            mode: RefundMode::Amount(500),
            reason: "krasj-test".into(),
        },
        at,
    )
    .await
    .unwrap();
    assert_eq!(d.db.unsent_refunds().await.unwrap().len(), 0);
    let rows = d
        .store
        .run(|s| s.list(kasse::store::OutboxFilter::Open))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    {
        let conn = rusqlite::Connection::open(d._dir.path().join(DB_FILE_NAME)).unwrap();
        conn.execute(
            "DELETE FROM operations WHERE idempotency_key = ?1",
            [&rec.idempotency_key],
        )
        .unwrap();
        conn.execute(
            "DELETE FROM outbox WHERE idempotency_key = ?1",
            [&rec.idempotency_key],
        )
        .unwrap();
    }
    assert_eq!(d.db.unsent_refunds().await.unwrap().len(), 1);
    assert_eq!(refund::requeue_unsent(&d.db, at).await.unwrap(), 1);
    assert_eq!(refund::requeue_unsent(&d.db, at).await.unwrap(), 0);
    let rows = d
        .store
        .run(|s| s.list(kasse::store::OutboxFilter::Open))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].idempotency_key, rec.idempotency_key);
    assert!(rows[0].payload_json.contains("\"op\":\"refund\""));
    assert!(rows[0].payload_json.contains("\"amount\":500"));
}

mod fake {
    use kasse::engine::ApiKind;
    use kasse::engine::acquirer::BoxFuture;
    use kasse::engine::provider::{Amounts, ErrorClass, ProviderError, ReadResult, ReadState};
    use kasse::lang::Text;
    use kasse::service::reconcile::PaymentReader;
    use std::collections::HashMap;

    /// Answers reads from a table; a missing id is "Vipps unreachable".
    pub struct Reader(pub HashMap<String, Amounts>);

    impl PaymentReader for Reader {
        fn read<'a>(
            &'a self,
            _api: ApiKind,
            id: &'a str,
        ) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
            Box::pin(async move {
                match self.0.get(id) {
                    Some(a) => Ok(ReadResult {
                        state: ReadState::Authorized,
                        amounts: *a,
                        facts: Default::default(),
                    }),
                    None => Err(ProviderError::new(
                        ErrorClass::Offline,
                        Text::new("Vipps svarer ikke", "Vipps does not answer"),
                        "connect refused",
                    )),
                }
            })
        }
    }
}

#[tokio::test]
async fn reconciliation_lists_what_to_do() {
    use kasse::domain::reconcile::FindingKind;
    use kasse::domain::report::day_bounds;
    use kasse::engine::provider::Amounts;
    use kasse::service::reconcile::reconcile;
    let d = day().await;
    let at = T0 + time::Duration::hours(3);
    let mut table = std::collections::HashMap::new();
    // Sale 1: Vipps shows a refund the journal does not know (e.g. made in the portal).
    table.insert(
        d.refs[0].clone(),
        Amounts {
            authorized: 8490,
            captured: 8490,
            refunded: 1000,
            cancelled: 0,
        },
    );
    // Sale 2 cannot be read (missing from the table). Sale 3 (cancelled in the journal) is
    // still reserved at Vipps.
    table.insert(
        d.refs[2].clone(),
        Amounts {
            authorized: 2500,
            captured: 0,
            refunded: 0,
            cancelled: 0,
        },
    );
    let (from, to) = day_bounds(date!(2026 - 11 - 21), UtcOffset::UTC);
    let rec = reconcile(&d.db, std::sync::Arc::new(fake::Reader(table)), from, to)
        .await
        .unwrap();
    assert_eq!(rec.checked, 3, "training sales are not read back");
    assert_eq!(rec.matched, 0);
    let kinds: Vec<(FindingKind, &str)> = rec
        .findings
        .iter()
        .map(|f| (f.kind, f.reference.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (FindingKind::Mismatch, d.refs[0].as_str()),
            (FindingKind::ReadFailed, d.refs[1].as_str()),
            (FindingKind::AuthorizedNotCaptured, d.refs[2].as_str()),
        ]
    );
    assert!(
        rec.findings[2]
            .action
            .en
            .contains("If the goods were handed over: capture")
    );
    let x =
        d.db.x_report(
            None,
            Some(date!(2026 - 11 - 21)),
            UtcOffset::UTC,
            Some(rec),
            at,
        )
        .await
        .unwrap();
    insta::assert_snapshot!(
        "x_report_reconciliation_en",
        render(&x, Format::Text, Lang::En)
    );
    let csv = render(&x, Format::Csv, Lang::En);
    assert!(
        csv.contains(&format!("finding_mismatch,0,NOK,{},0,0,,", d.refs[0])),
        "{csv}"
    );
    assert!(csv.contains("finding_authorized_not_captured"), "{csv}");
}

/// In training (`--demo`) the reconciliation reads the training sales back — it used to read
/// none and always say all is well.
#[tokio::test]
async fn training_reconciles_the_training_sales() {
    use kasse::domain::reconcile::FindingKind;
    use kasse::domain::report::day_bounds;
    use kasse::engine::provider::Amounts;
    use kasse::service::reconcile::reconcile;
    let d = day().await;
    // The training sale (kr 100) is still only reserved at (simulated) Vipps.
    let mut table = std::collections::HashMap::new();
    table.insert(
        d.refs[3].clone(),
        Amounts {
            authorized: 10_000,
            captured: 0,
            refunded: 0,
            cancelled: 0,
        },
    );
    let (from, to) = day_bounds(date!(2026 - 11 - 21), UtcOffset::UTC);
    let training = d.db.clone().with_training(true);
    let rec = reconcile(
        &training,
        std::sync::Arc::new(fake::Reader(table)),
        from,
        to,
    )
    .await
    .unwrap();
    assert_eq!(rec.checked, 1, "only the training sale");
    assert_eq!(rec.matched, 0);
    let kinds: Vec<(FindingKind, &str)> = rec
        .findings
        .iter()
        .map(|f| (f.kind, f.reference.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (FindingKind::Mismatch, d.refs[3].as_str()),
            (FindingKind::AuthorizedNotCaptured, d.refs[3].as_str()),
        ]
    );
}

#[tokio::test]
async fn headless_report_refusals_and_text() {
    use kasse::cli::staff::{HeadlessCtx, ReportArgs, report};
    let d = day().await;
    let clock = kasse::clock::ManualClock::new(T0 + time::Duration::hours(5));
    let mut ctx = HeadlessCtx {
        db: d.db.clone(),
        store: d.store.clone(),
        engine: None,
        reader: None,
        clock: std::sync::Arc::new(clock),
        lang: Lang::En,
        utc_offset: UtcOffset::UTC,
        currency: kasse::domain::money::Currency::Nok,
        pin: None,
    };
    let args = |date: Option<&str>, z: bool| ReportArgs {
        date: date.map(str::to_owned),
        z,
        number: None,
        copy: false,
        format: Format::Text,
        no_reconcile: false,
        print: false,
        counted: None,
        pieces: None,
        operator_counted: Vec::new(),
    };
    let run = |ctx: HeadlessCtx, a: ReportArgs| async move {
        let mut out = Vec::new();
        let code = report(&ctx, &a, &mut out).await;
        (code, String::from_utf8(out).unwrap())
    };
    let (code, out) = run(ctx.clone(), args(Some("21.11.2026"), false)).await;
    assert_eq!(code, 1);
    assert!(out.starts_with("result: refused reason=--date:"), "{out}");
    let (code, out) = run(ctx.clone(), args(None, true)).await;
    assert_eq!(code, 1);
    assert!(out.contains("manager PIN is needed"), "{out}");
    // A cashier PIN is not enough for a Z.
    ctx.pin = Some(secrecy::SecretString::from("2468"));
    let (code, out) = run(ctx.clone(), args(None, true)).await;
    assert_eq!(code, 1);
    assert!(out.contains("needs a manager"), "{out}");
    // X report for today (the clock's date) with no reader: reconciliation not run.
    let (code, out) = run(ctx.clone(), args(None, false)).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("X REPORT") && out.contains("Date: 2026-11-21"),
        "{out}"
    );
    assert!(out.contains("Reconciliation with Vipps: not run."));
    ctx.pin = Some(secrecy::SecretString::from("135790"));
    let (code, out) = run(ctx.clone(), args(Some("2026-11-21"), true)).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Z REPORT no. 1"), "{out}");
}

/// A cash-only sale (no payment row) counts in the X report: sales, tender `cash`, VAT rates.
#[tokio::test]
async fn cash_sale_counts_in_the_x_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in_dir(dir.path())
        .unwrap()
        .with_id_gen(std::sync::Arc::new(kasse::clock::FixedFirstIds::pinned(1)));
    sale(
        &mut s,
        T0,
        vec![line("Kaffe", 2500, 4990, 1000)],
        SaleStatus::Paid,
        false,
        Api::Epayment,
    );
    let lines = vec![line("Bolle", 1500, 3500, 2000), line("Avis", 0, 4000, 1000)];
    let gross: i64 = lines.iter().map(|l| l.gross).sum();
    let vat: i64 = lines.iter().map(|l| l.vat).sum();
    let cash = s
        .record_cash_sale(
            &NewSale {
                shop_id: "s1".into(),
                till_id: "t1".into(),
                staff_id: None,
                currency: "NOK".into(),
                gross_total: gross,
                vat_total: vat,
                net_total: gross - vat,
                training: false,
                tender: "cash".into(),
                description: None,
                lines,
                payment: NewPayment {
                    api: Api::Epayment,
                    msn: "123456".into(),
                    flow: Flow::Push,
                    customer_phone: None,
                },
                created_at: T0 + time::Duration::minutes(5),
            },
            10_000,
        )
        .unwrap();
    assert_eq!(cash.change, 10_000 - 7_500);
    let rec = s.sale(cash.sale_id).unwrap().unwrap();
    assert_eq!(rec.sale.status, SaleStatus::Paid);
    assert_eq!(rec.sale.tender, "cash");
    assert!(rec.payments.is_empty());
    let store = AsyncStore::new(s).unwrap();
    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    let manager = db.create_first_manager("Mona", "135790", T0).await.unwrap();
    let x = db
        .x_report(
            Some(&manager),
            Some(date!(2026 - 11 - 21)),
            UtcOffset::UTC,
            None,
            T0 + time::Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(x.sections.len(), 1);
    let n = &x.sections[0];
    assert_eq!((n.sales.count, n.sales.gross), (2, 4_990 + 7_500));
    let tender = |t: &str| {
        n.tenders
            .iter()
            .find(|x| x.tender == t)
            .map(|x| (x.count, x.gross))
    };
    assert_eq!(tender("cash"), Some((1, 7_500)));
    assert_eq!(tender("vipps"), Some((1, 4_990)));
    assert_eq!(
        n.vat_rates.iter().map(|v| v.gross).sum::<i64>(),
        n.sales.gross
    );
    assert_eq!(n.vat_rates.iter().map(|v| v.vat).sum::<i64>(), n.sales.vat);
    let text = render(&x, Format::Text, Lang::En);
    assert!(text.contains("  Cash "), "{text}");
    // One language per report: no journal codes in the Norwegian text.
    let nb = render(&x, Format::Text, Lang::Nb);
    assert!(nb.contains("  Kontant "), "{nb}");
    for code in ["cash", "vipps ", "epayment", "ecom"] {
        assert!(
            !nb.contains(code),
            "{code:?} in the Norwegian report:\n{nb}"
        );
    }
}
