//! Cash management (issue #15 item 5): a day at the till with an opening float, a cash sale, a
//! Vipps sale, a withdrawal (reason + manager PIN), a deposit and the drawer counted at Z with
//! a 10 kr difference. The Z shows expected / counted / difference, every movement is signed in
//! the till's one chain (which still verifies), an 11008 is journaled only when the count
//! differs, and the SAF-T export of the day validates against Skatteetaten's XSD.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;

use e2e_support::*;
use kasse::domain::basket::{Basket, OrderLine, Quantity};
use kasse::domain::cash::{CashKind, DrawerCount};
use kasse::domain::money::{Currency, Money};
use kasse::domain::staff::{HashCost, Permission, Role, StaffError};
use kasse::domain::vat::VatRate;
use kasse::engine::{ApiKind, NewSaleRequest, PaymentState};
use kasse::fiscal::saft::{Company, OrgNumber};
use kasse::service::saft::{ExportRequest, write_saft};
use kasse::store::Store;
use kasse::store::fiscal::SignedKind;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime, UtcOffset};

use common::saft::{xmllint, xsd};

fn request() -> NewSaleRequest {
    let mut b = Basket::new(Currency::Nok);
    b.add(OrderLine {
        product_id: "1001".into(),
        name: "Kaffe".into(),
        quantity: Quantity::pieces(1).unwrap(),
        unit_price: Money::nok(4_990),
        discount: Money::nok(0),
        vat: VatRate::STANDARD,
        is_return: false,
    })
    .unwrap();
    NewSaleRequest::from_basket(&b, push(ApiKind::Epayment), ApiKind::Epayment, None).unwrap()
}

const MANAGER_PIN: &str = "135790";
const CASHIER_PIN: &str = "2468";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_with_float_withdrawal_deposit_and_a_counted_z() {
    let sim = start_sim(sim_config()).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let run = simple(&sim, &dir).await;
    let store = run.engine_store();
    let mut rx = run.engine.subscribe();
    let (shop, till) = ("s1", "t1");
    let db = kasse::service::StaffDb::new(store.clone(), shop, till)
        .unwrap()
        .with_hash_cost(HashCost::Fast)
        .with_company(Some("999999999"), Some("Kiosken AS"));
    let t0 = OffsetDateTime::now_utc();
    let manager = db
        .create_first_manager("Mona", MANAGER_PIN, t0)
        .await
        .unwrap();
    db.create_staff(&manager, "Kari", CASHIER_PIN, Role::Cashier, t0)
        .await
        .unwrap();
    let cashier = db.login(CASHIER_PIN, t0).await.unwrap();

    // 1. The opening float, 1000 kr, by the cashier (nr 1). A second one is refused.
    let float = db
        .record_cash(&cashier, None, CashKind::Float, 100_000, "", "NOK", t0)
        .await
        .unwrap();
    assert_eq!((float.amount, float.fiscal_nr), (100_000, Some(1)));
    let again = db
        .record_cash(&cashier, None, CashKind::Float, 100, "", "NOK", t0)
        .await
        .unwrap_err();
    assert!(
        again.message().en.starts_with("Opening float:"),
        "{again:?}"
    );

    // 2. A cash sale 49,90 paid with 100 kr (→ 50,00 in the drawer after øreavrunding), nr 2.
    run.engine
        .record_cash_sale(request(), Money::nok(10_000))
        .await
        .unwrap();
    // 3. A Vipps sale 49,90 (nr 3): not in the drawer.
    let id = run.engine.start_payment(request()).await.unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&store).await;

    // 4. Withdrawal 500 kr: a cashier's session is refused (journaled), the manager PIN
    // allows it; a reason is required.
    let t1 = OffsetDateTime::now_utc();
    let refused = db
        .record_cash(
            &cashier,
            None,
            CashKind::Withdrawal,
            50_000,
            "til banken",
            "NOK",
            t1,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, StaffError::Forbidden(_)), "{refused:?}");
    let gate =
        kasse::service::auth::manager_session(&db, MANAGER_PIN, Permission::OpenDrawerNoSale, t1)
            .await
            .unwrap();
    let no_reason = db
        .record_cash(
            &gate,
            Some(cashier.staff_id()),
            CashKind::Withdrawal,
            50_000,
            " ",
            "NOK",
            t1,
        )
        .await
        .unwrap_err();
    assert!(no_reason.message().en.contains("reason"), "{no_reason:?}");
    let out = db
        .record_cash(
            &gate,
            Some(cashier.staff_id()),
            CashKind::Withdrawal,
            50_000,
            "til banken",
            "NOK",
            t1,
        )
        .await
        .unwrap();
    assert_eq!((out.amount, out.fiscal_nr), (-50_000, Some(4)));
    assert_eq!(out.approved_by.as_deref(), Some(manager.staff_id()));
    assert_eq!(out.staff_id.as_deref(), Some(cashier.staff_id()));
    // 5. Deposit 200 kr of change (nr 5).
    let inn = db
        .record_cash(
            &gate,
            Some(cashier.staff_id()),
            CashKind::Deposit,
            20_000,
            "veksel",
            "NOK",
            t1,
        )
        .await
        .unwrap();
    assert_eq!((inn.amount, inn.fiscal_nr), (20_000, Some(5)));
    db.logout(gate, t1).await.unwrap();

    // The X shows the drawer: 1000 + 50 − 500 + 200 = 750 kr expected.
    let drawer = db.drawer_now(OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(
        (
            drawer.opening_float,
            drawer.cash_sales,
            drawer.withdrawals,
            drawer.deposits
        ),
        (100_000, 5_000, 50_000, 20_000)
    );
    assert_eq!(drawer.expected, 75_000);
    let x = db
        .x_report(None, None, UtcOffset::UTC, None, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(x.fiscal.opening_float, 100_000);
    assert_eq!(x.fiscal.cash.as_ref().unwrap().expected, 75_000);
    assert_eq!(x.fiscal.cash.as_ref().unwrap().counted, None);

    // 6. Z counted per denomination: 500 + 200 + 2×20 = 740 kr → 10 kr short, journaled as
    // an 11008 (nr 6) in the Z's transaction.
    let count = DrawerCount::parse_pieces("500:1,200:1,20:2").unwrap();
    assert_eq!(count.total, 74_000);
    let z_at = OffsetDateTime::now_utc();
    let z = db
        .close_period_counted(
            &manager,
            UtcOffset::UTC,
            None,
            Some(count),
            Vec::new(),
            z_at,
        )
        .await
        .unwrap();
    let d = z.fiscal.cash.clone().unwrap();
    assert_eq!(d.expected, 75_000);
    assert_eq!(d.counted.as_ref().unwrap().total, 74_000);
    assert_eq!(d.difference, Some(-1_000));
    assert_eq!(z.fiscal.opening_float, 100_000);
    // The printed Z and the JSON carry them.
    let text = kasse::receipt::report::render(
        &z,
        kasse::receipt::report::Format::Text,
        kasse::lang::Lang::En,
    );
    for needle in ["Expected cash", "Counted cash", "Difference", "Withdrawals"] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
    let json = serde_json::to_value(&z).unwrap();
    assert_eq!(json["fiscal"]["cash"]["expected"], 75_000);
    assert_eq!(json["fiscal"]["cash"]["counted"]["total"], 74_000);
    assert_eq!(json["fiscal"]["cash"]["difference"], -1_000);
    // The stored Z is the same.
    let stored = db.stored_z_by_number(1).await.unwrap().unwrap();
    assert_eq!(stored.fiscal.cash, z.fiscal.cash);

    // 7. Next period: a float of 500 kr, counted exactly at Z 2 → no new 11008.
    let t2 = z_at + Duration::seconds(2);
    db.record_cash(&cashier, None, CashKind::Float, 50_000, "", "NOK", t2)
        .await
        .unwrap();
    let z2 = db
        .close_period_counted(
            &manager,
            UtcOffset::UTC,
            None,
            Some(DrawerCount::total(50_000)),
            Vec::new(),
            t2 + Duration::seconds(2),
        )
        .await
        .unwrap();
    assert_eq!(z2.fiscal.cash.as_ref().unwrap().difference, Some(0));

    let signed = store.run(|s| s.signed_transactions()).await.unwrap();
    let kinds: Vec<(i64, SignedKind, i64)> =
        signed.iter().map(|t| (t.nr, t.kind, t.amount_in)).collect();
    assert_eq!(
        kinds,
        [
            (1, SignedKind::Float, 100_000),
            (2, SignedKind::Sale, 4_990),
            (3, SignedKind::Sale, 4_990),
            (4, SignedKind::Withdrawal, -50_000),
            (5, SignedKind::Deposit, 20_000),
            (6, SignedKind::CashDifference, -1_000),
            (7, SignedKind::Float, 50_000),
        ],
        "one chain, an 11008 only when the count differs"
    );
    drop(db);
    drop(store);
    run.shutdown().await;

    // The chain with the cash movements in it verifies.
    let check = Store::open_read_only(&dir)
        .unwrap()
        .verify_fiscal_chain(None, None)
        .unwrap();
    assert!(check.is_ok(), "{check:#?}");
    assert_eq!(check.verified(), 7);

    // The SAF-T export of the day: the movements as cash transactions with their transType,
    // the float in the Z; valid against the XSD.
    let file = tmp.path().join("export.xml");
    {
        let s = Store::open_read_only(&dir).unwrap();
        let req = ExportRequest {
            from: date!(2000 - 01 - 01),
            to: date!(2100 - 12 - 31),
            company: Company {
                org_number: OrgNumber::parse(Some("999999999")).unwrap(),
                name: "Kiosken AS".into(),
                vat_registered: true,
                street_address: None,
            },
            currency: "NOK".into(),
            created: datetime!(2026-03-03 09:15:00),
            offset: UtcOffset::UTC,
            user_id: None,
        };
        let out = std::fs::File::create(&file).unwrap();
        let (_, summary) = write_saft(&s, &req, None, std::io::BufWriter::new(out)).unwrap();
        assert_eq!(summary.transactions, 7);
    }
    let xml = std::fs::read_to_string(&file).unwrap();
    for needle in [
        "<transType>FLOAT</transType>",
        "<transType>WITHDRAWAL</transType>",
        "<transType>DEPOSIT</transType>",
        "<transType>CASHDIFF</transType>",
        "<predefinedBasicID>11007</predefinedBasicID>",
        "<predefinedBasicID>11008</predefinedBasicID>",
        "<predefinedBasicID>11010</predefinedBasicID>",
        "<predefinedBasicID>11011</predefinedBasicID>",
        "<transAmntIn>-500.00</transAmntIn>",
        "<desc>til banken</desc>",
        "<desc>Z 1</desc>",
        "<transAmntIn>-10.00</transAmntIn>",
        "<reportOpeningChangeFloat>1000.00</reportOpeningChangeFloat>",
        "<reportOpeningChangeFloat>500.00</reportOpeningChangeFloat>",
        "<payInType>DEPOSIT</payInType>",
        "<payInAmnt>200.00</payInAmnt>",
        "<payOutType>WITHDRAWAL</payOutType>",
        "<payOutAmnt>500.00</payOutAmnt>",
    ] {
        assert!(xml.contains(needle), "{needle} missing");
    }
    if let Some(x) = xsd()
        && let Some(r) = xmllint(&x, &file)
    {
        r.unwrap();
    }
}

/// `[till] drawer_per_operator = true`: a float per operator, expected cash per operator, the Z
/// counted per operator, and an 11008 only for the operator whose drawer is off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drawer_per_operator() {
    let sim = start_sim(sim_config()).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let run = simple(&sim, &dir).await;
    let store = run.engine_store();
    let db = kasse::service::StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast)
        .with_drawer_per_operator(true);
    let t0 = OffsetDateTime::now_utc();
    let manager = db
        .create_first_manager("Mona", MANAGER_PIN, t0)
        .await
        .unwrap();
    db.create_staff(&manager, "Kari", CASHIER_PIN, Role::Cashier, t0)
        .await
        .unwrap();
    db.create_staff(&manager, "Per", "1357", Role::Cashier, t0)
        .await
        .unwrap();
    let kari = db.login(CASHIER_PIN, t0).await.unwrap();
    let per = db.login("1357", t0).await.unwrap();

    // A float each (one per operator and period).
    db.record_cash(&kari, None, CashKind::Float, 50_000, "", "NOK", t0)
        .await
        .unwrap();
    db.record_cash(&per, None, CashKind::Float, 30_000, "", "NOK", t0)
        .await
        .unwrap();
    assert!(
        db.record_cash(&kari, None, CashKind::Float, 100, "", "NOK", t0)
            .await
            .is_err()
    );
    // Kari sells 49,90 for cash (50,00 in her drawer); Per's drawer gives 100 kr to the bank.
    let mut sale = request();
    sale.staff_id = Some(kari.staff_id().to_owned());
    run.engine
        .record_cash_sale(sale, Money::nok(5_000))
        .await
        .unwrap();
    let gate =
        kasse::service::auth::manager_session(&db, MANAGER_PIN, Permission::OpenDrawerNoSale, t0)
            .await
            .unwrap();
    db.record_cash(
        &gate,
        Some(per.staff_id()),
        CashKind::Withdrawal,
        10_000,
        "til banken",
        "NOK",
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();

    let x = db
        .x_report(None, None, UtcOffset::UTC, None, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let expected: Vec<(String, i64)> = x
        .fiscal
        .cash_operators
        .iter()
        .map(|o| (o.name.clone(), o.drawer.expected))
        .collect();
    assert_eq!(
        expected,
        [("Kari".to_owned(), 55_000), ("Per".to_owned(), 20_000)]
    );

    // A count of the whole till and per operator at once is refused.
    let both = db
        .close_period_counted(
            &manager,
            UtcOffset::UTC,
            None,
            Some(DrawerCount::total(1)),
            vec![(per.staff_id().to_owned(), DrawerCount::total(1))],
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(
        both.message().en.starts_with("Count per operator"),
        "{both:?}"
    );

    // Kari's drawer is right, Per's is 10 kr short.
    let z = db
        .close_period_counted(
            &manager,
            UtcOffset::UTC,
            None,
            None,
            vec![
                (kari.staff_id().to_owned(), DrawerCount::total(55_000)),
                (per.staff_id().to_owned(), DrawerCount::total(19_000)),
            ],
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let diffs: Vec<Option<i64>> = z
        .fiscal
        .cash_operators
        .iter()
        .map(|o| o.drawer.difference)
        .collect();
    assert_eq!(diffs, [Some(0), Some(-1_000)]);
    let csv = kasse::receipt::report::render(
        &z,
        kasse::receipt::report::Format::Csv,
        kasse::lang::Lang::En,
    );
    assert!(
        csv.contains(&format!(
            "operator_cash_difference,0,NOK,{},0,-1000",
            per.staff_id()
        )),
        "{csv}"
    );
    let signed = store.run(|s| s.signed_transactions()).await.unwrap();
    let last = signed.last().unwrap();
    assert_eq!(
        (last.kind, last.amount_in, last.staff_id.as_deref()),
        (SignedKind::CashDifference, -1_000, Some(per.staff_id()))
    );
    assert_eq!(
        signed
            .iter()
            .filter(|t| t.kind == SignedKind::CashDifference)
            .count(),
        1,
        "no 11008 for Kari's exact count"
    );
    drop(db);
    drop(store);
    run.shutdown().await;

    // SAF-T: each operator's float in the Z (`reportEmpOpeningChangeFloat`), valid.
    let file = tmp.path().join("export.xml");
    {
        let s = Store::open_read_only(&dir).unwrap();
        let req = ExportRequest {
            from: date!(2000 - 01 - 01),
            to: date!(2100 - 12 - 31),
            company: Company {
                org_number: OrgNumber::parse(Some("999999999")).unwrap(),
                name: "Kiosken AS".into(),
                vat_registered: true,
                street_address: None,
            },
            currency: "NOK".into(),
            created: datetime!(2026-03-03 09:15:00),
            offset: UtcOffset::UTC,
            user_id: None,
        };
        let out = std::fs::File::create(&file).unwrap();
        write_saft(&s, &req, None, std::io::BufWriter::new(out)).unwrap();
    }
    let xml = std::fs::read_to_string(&file).unwrap();
    for needle in [
        "<reportEmpOpeningChangeFloat>",
        "<openingChangeFloatAmnt>500.00</openingChangeFloatAmnt>",
        "<openingChangeFloatAmnt>300.00</openingChangeFloatAmnt>",
    ] {
        assert!(xml.contains(needle), "{needle} missing");
    }
    if let Some(x) = xsd()
        && let Some(r) = xmllint(&x, &file)
    {
        r.unwrap();
    }
}
