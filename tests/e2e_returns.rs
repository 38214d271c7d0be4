//! Returns at the counter, end to end against the in-process simulator (issue #16): the money
//! goes back the way it came. A Vipps sale returned in two parts then refused when more is
//! asked; a cash sale returned with the network down (drawer job, signed return, nothing
//! queued to Vipps); a split sale returned cash first, the simulator's ledger showing only
//! the Vipps part refunded; a return without receipt only in cash and only by a manager. The
//! signed journal verifies after every one of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::app::Paper;
use kasse::clock::SystemClock;
use kasse::config::Config;
use kasse::domain::basket::{Basket, OrderLine, Quantity};
use kasse::domain::money::{Currency, Money};
use kasse::domain::refund::{LineRefund, RefundStatus};
use kasse::domain::returns::{FreeLine, FreeReturnRequest, FreeTender, ReturnRequest};
use kasse::domain::staff::{HashCost, Role, Session, StaffError};
use kasse::domain::vat::VatRate;
use kasse::engine::{ApiKind, NewSaleRequest, PaymentState};
use kasse::service::StaffDb;
use kasse::service::refund::WaitLimits;
use kasse::service::returns;
use kasse::sim::Ledger;
use kasse::store::AsyncStore;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

const MANAGER_PIN: &str = "135790";
const CASHIER_PIN: &str = "2468";

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

fn staff_db(store: &AsyncStore) -> StaffDb {
    StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast)
}

async fn manager(db: &StaffDb) -> Session {
    let now = OffsetDateTime::now_utc();
    if db.needs_first_manager().await.unwrap() {
        db.create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap()
    } else {
        db.login(MANAGER_PIN, now).await.unwrap()
    }
}

async fn ledger(base: &str) -> Ledger {
    reqwest::get(format!("{base}/sim/v1/ledger"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn req(receipt: &str, lines: &[(i64, i64)]) -> ReturnRequest {
    ReturnRequest {
        receipt: receipt.to_owned(),
        lines: lines
            .iter()
            .map(|&(line_no, q)| LineRefund {
                line_no,
                quantity_milli: q * 1000,
            })
            .collect(),
        reason: "feil vare".into(),
    }
}

fn limits() -> WaitLimits {
    WaitLimits::timeout(WAIT)
}

fn paper_config(file: &Path) -> Config {
    Config::from_toml_str(
        &format!(
            "[receipt.printer]\nkind = \"file\"\npath = \"{}\"\n",
            file.display()
        ),
        &|_| None,
    )
    .unwrap()
}

async fn start_paper(file: &Path, dir: &Path, store: &AsyncStore) -> Paper {
    let (cfg, dir, store) = (paper_config(file), dir.to_owned(), store.clone());
    tokio::task::spawn_blocking(move || Paper::start_durable(&cfg, &dir, false, store))
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .0
}

fn printed(file: &Path) -> Vec<u8> {
    std::fs::read(file).unwrap_or_default()
}

fn drawer_kicks(file: &Path) -> usize {
    let kick = kasse::receipt::escpos::DRAWER_KICK;
    printed(file)
        .windows(kick.len())
        .filter(|w| *w == kick)
        .count()
}

/// The signed rows of kind return: (amount_in, receipt number).
async fn signed_returns(store: &AsyncStore) -> Vec<(i64, Option<String>)> {
    store
        .run(|s| s.signed_transactions())
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == kasse::store::fiscal::SignedKind::Return)
        .map(|t| (t.amount_in, t.receipt_number))
        .collect()
}

async fn journal_verifies(store: &AsyncStore) {
    let check = store
        .run(|s| s.verify_fiscal_chain(None, None))
        .await
        .unwrap();
    assert!(check.is_ok(), "journal verify: {check:?}");
}

/// A paid Vipps (or split) sale of [`basket`]: its receipt number.
async fn paid(
    run: &kasse::engine::build::Running,
    sim: &kasse::sim::SimHandle,
    cash: i64,
) -> (String, String) {
    let store = run.engine_store();
    let mut rx = run.engine.subscribe();
    let id = if cash > 0 {
        run.engine
            .start_split_payment(request(ApiKind::Epayment), Money::nok(cash))
            .await
            .unwrap()
    } else {
        run.engine
            .start_payment(request(ApiKind::Epayment))
            .await
            .unwrap()
    };
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&store).await;
    let p = store.run(move |s| s.payment(id)).await.unwrap().unwrap();
    let sale_id = p.sale_id;
    let rec = store.run(move |s| s.sale(sale_id)).await.unwrap().unwrap();
    (rec.sale.receipt_number, w.reference)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vipps_sale_returned_twice_then_over_return_refused() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let store = run.engine_store();
    let db = staff_db(&store);
    let session = manager(&db).await;
    let (receipt, reference) = paid(&run, &sim, 0).await;

    // One Bolle, then the other: two Vipps refunds of 17,50, no cash.
    for n in 1..=2 {
        let (out, status) = returns::run_return(
            &db,
            Some(&run.engine),
            &SystemClock,
            &session,
            &req(&receipt, &[(2, 1)]),
            limits(),
            |_| {},
        )
        .await
        .unwrap();
        assert!(out.cash.is_none(), "a Vipps sale gives no cash back");
        assert_eq!(out.vipps.as_ref().unwrap().amount, 1_750);
        assert_eq!(status.unwrap().unwrap(), RefundStatus::Done, "return {n}");
    }
    let p = ledger_payment(&ledger(&sim.base_url()).await, &reference);
    assert_eq!((p.captured, p.refunded), (8_490, 3_500));

    // A third Bolle was never sold: refused, naming the line and what is left.
    let e = returns::run_return(
        &db,
        Some(&run.engine),
        &SystemClock,
        &session,
        &req(&receipt, &[(2, 1)]),
        limits(),
        |_| {},
    )
    .await
    .unwrap_err();
    let t = e.message();
    assert!(t.en.contains("Line 2 \"Bolle\""), "{}", t.en);
    assert!(
        t.en.contains("at most 0 (2 of 2 already refunded)"),
        "{}",
        t.en
    );
    assert!(t.nb.contains("Linje 2 «Bolle»"), "{}", t.nb);
    // Nothing more reached Vipps.
    let p = ledger_payment(&ledger(&sim.base_url()).await, &reference);
    assert_eq!(p.refunded, 3_500);
    // Both refunds are signed returns; the chain verifies.
    let signed = signed_returns(&store).await;
    assert_eq!(
        signed.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![-1_750, -1_750]
    );
    journal_verifies(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_sale_returned_offline_opens_the_drawer_and_is_signed() {
    let sim = start_sim(sim_config()).await;
    let proxy = Proxy::start(sim.addr()).await;
    // Vipps is unreachable for the whole test.
    proxy.down();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.bin");
    let store = open_store(dir.path()).await;
    let run = run_engine(
        settings(&proxy.base_url()),
        store.clone(),
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let db = staff_db(&store);
    let session = manager(&db).await;
    let paper = start_paper(&file, dir.path(), &store).await;

    let sale = run
        .engine
        .record_cash_sale(request(ApiKind::Epayment), Money::nok(10_000))
        .await
        .unwrap();
    assert_eq!(drawer_kicks(&file), 0);

    // Kaffe back: 49,90 exact, 50,00 out of the drawer (øreavrunding), at once.
    let started = std::time::Instant::now();
    let (out, status) = returns::run_return(
        &db,
        Some(&run.engine),
        &SystemClock,
        &session,
        &req(&sale.receipt_number, &[(1, 1)]),
        limits(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no network wait"
    );
    assert!(status.is_none() && out.vipps.is_none(), "nothing for Vipps");
    let cash = out.cash.unwrap();
    assert_eq!((cash.cash, cash.cash_paid_out()), (4_990, 5_000));
    assert_eq!(cash.number, format!("R-{}-1", sale.receipt_number));
    // Nothing was queued to Vipps, nothing reached it.
    assert_eq!(store.run(|s| s.pending_count()).await.unwrap(), 0);
    assert!(ledger(&sim.base_url()).await.payments.is_empty());

    // The return receipt opens the drawer (one ESC/POS kick) and says what it is.
    let number = paper.print_cash_return(&db, cash.id).await.unwrap();
    assert_eq!(number, cash.number);
    assert_eq!(drawer_kicks(&file), 1, "the drawer opens for the cash back");
    let text = String::from_utf8_lossy(&printed(&file)).into_owned();
    assert!(text.contains("Returkvittering"), "{text}");
    assert!(text.contains(&cash.number), "{text}");
    // Printed once: a second call does not print (nor kick) again.
    paper.print_cash_return(&db, cash.id).await.unwrap();
    assert_eq!(drawer_kicks(&file), 1);
    // `kasse reprint R-…`: a COPY of the return receipt, without opening the drawer.
    let count = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .matches(cash.number.as_str())
            .count()
    };
    let once = count(&printed(&file));
    assert!(once > 0);
    let what = paper
        .reprint_from_journal(&store, Some(&db), &cash.number)
        .await
        .unwrap();
    assert_eq!(what, format!("return {}", cash.number));
    assert_eq!(drawer_kicks(&file), 1, "a copy never opens the drawer");
    assert_eq!(count(&printed(&file)), 2 * once, "original and copy");

    // Signed as a return of the exact amount; the chain verifies.
    assert_eq!(
        signed_returns(&store).await,
        vec![(-4_990, Some(cash.number.clone()))]
    );
    journal_verifies(&store).await;

    // The Vipps refund of a cash sale points to the return instead.
    let e = kasse::service::refund::refund(
        &db,
        &session,
        &kasse::domain::refund::RefundRequest {
            reference: sale.receipt_number.clone(),
            mode: kasse::domain::refund::RefundMode::Full,
            reason: "feil vare".into(),
        },
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap_err();
    assert!(
        e.message().en.contains("kasse return"),
        "{}",
        e.message().en
    );

    // The rest of the cash sale can still come back, never more.
    let e = returns::record(
        &db,
        &session,
        &req(&sale.receipt_number, &[(1, 1)]),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap_err();
    assert!(
        e.message().en.contains("Line 1 \"Kaffe\""),
        "{}",
        e.message().en
    );
    let (out, _) = returns::run_return(
        &db,
        None,
        &SystemClock,
        &session,
        &req(&sale.receipt_number, &[(2, 2)]),
        limits(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(out.cash.unwrap().cash, 3_500);
    // Everything came back: the sale is refunded (journaled with the staff member).
    let sale_id = sale.sale_id;
    let status = store
        .run(move |s| s.sale(sale_id))
        .await
        .unwrap()
        .unwrap()
        .sale
        .status;
    assert_eq!(status, kasse::store::SaleStatus::Refunded);
    // The return rows are append-only: a correction is a new row.
    let conn = rusqlite::Connection::open(dir.path().join(kasse::store::DB_FILE_NAME)).unwrap();
    let e = conn
        .execute("UPDATE cash_returns SET cash_amount = 1", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = conn
        .execute("DELETE FROM cash_return_lines", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    drop(conn);

    // X report: both under returns, the cash that left the drawer counted apart.
    let x = db
        .x_report(
            Some(&session),
            None,
            time::UtcOffset::UTC,
            None,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let s = x
        .sections
        .iter()
        .find(|s| !s.training && s.currency == "NOK")
        .unwrap();
    assert_eq!((s.refunds.count, s.refunds.gross), (2, 8_490));
    assert_eq!(s.cash_returns, 5_000 + 3_500);
    assert_eq!(s.net_turnover, 0);
    journal_verifies(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_sale_returned_cash_first_then_vipps() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let store = run.engine_store();
    let db = staff_db(&store);
    let session = manager(&db).await;
    // 30,00 cash + 54,90 Vipps.
    let (receipt, reference) = paid(&run, &sim, 3_000).await;
    let p = ledger_payment(&ledger(&sim.base_url()).await, &reference);
    assert_eq!((p.captured, p.refunded), (5_490, 0));

    // Kaffe back (49,90): the 30,00 cash first, 19,90 through Vipps.
    let (out, status) = returns::run_return(
        &db,
        Some(&run.engine),
        &SystemClock,
        &session,
        &req(&receipt, &[(1, 1)]),
        limits(),
        |_| {},
    )
    .await
    .unwrap();
    let cash = out.cash.unwrap();
    assert_eq!((cash.cash, cash.vipps), (3_000, 1_990));
    assert_eq!(out.vipps.as_ref().unwrap().amount, 1_990);
    assert_eq!(status.unwrap().unwrap(), RefundStatus::Done);
    // The ledger shows only the Vipps part refunded.
    let p = ledger_payment(&ledger(&sim.base_url()).await, &reference);
    assert_eq!(p.refunded, 1_990);

    // Both Bolle: the cash is all given back, so all through Vipps.
    let (out, status) = returns::run_return(
        &db,
        Some(&run.engine),
        &SystemClock,
        &session,
        &req(&receipt, &[(2, 2)]),
        limits(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(out.cash.is_none());
    assert_eq!(out.vipps.as_ref().unwrap().amount, 3_500);
    assert_eq!(status.unwrap().unwrap(), RefundStatus::Done);
    let p = ledger_payment(&ledger(&sim.base_url()).await, &reference);
    assert_eq!(p.refunded, 5_490, "Vipps refunded exactly what it captured");

    // Nothing is left of the sale.
    let e = returns::record(
        &db,
        &session,
        &req(&receipt, &[(1, 1)]),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap_err();
    assert!(e.message().en.contains("at most 0"), "{}", e.message().en);
    // Signed: the cash part at once, the Vipps parts when Vipps confirmed them.
    let mut amounts: Vec<i64> = signed_returns(&store).await.iter().map(|s| s.0).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, vec![-3_500, -3_000, -1_990]);
    journal_verifies(&store).await;

    // SAF-T: the sale (cash + Vipps) and three returns — the cash part paid in cash, the two
    // Vipps parts by Vipps.
    let today = OffsetDateTime::now_utc().date();
    let export = kasse::service::saft::ExportRequest {
        from: today,
        to: today,
        company: kasse::fiscal::saft::Company {
            org_number: kasse::fiscal::saft::OrgNumber::parse(Some("974760673")).unwrap(),
            name: "Bakeri Øst AS".into(),
            vat_registered: true,
            street_address: None,
        },
        currency: "NOK".into(),
        created: time::PrimitiveDateTime::new(today, time::Time::MIDNIGHT),
        offset: time::UtcOffset::UTC,
        user_id: None,
    };
    let xml = store
        .run(move |s| {
            Ok(
                kasse::service::saft::write_saft(s, &export, None, Vec::new())
                    .map(|(v, _)| v)
                    .map_err(|e| format!("{e:?}")),
            )
        })
        .await
        .unwrap()
        .unwrap();
    let xml = String::from_utf8(xml).unwrap();
    assert_eq!(
        xml.matches("<transType>RETURN</transType>").count(),
        3,
        "{xml}"
    );
    assert_eq!(
        xml.matches("<paymentType>CASH</paymentType>").count(),
        2,
        "{xml}"
    );
    assert_eq!(
        xml.matches("<paymentType>VIPPS</paymentType>").count(),
        3,
        "{xml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_without_receipt_needs_manager_and_cash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.bin");
    // No simulator, no engine: a return without receipt never needs Vipps.
    let store = open_store(dir.path()).await;
    let db = staff_db(&store);
    let boss = manager(&db).await;
    let now = OffsetDateTime::now_utc();
    db.create_staff(&boss, "Kari", CASHIER_PIN, Role::Cashier, now)
        .await
        .unwrap();
    let cashier = db.login(CASHIER_PIN, now).await.unwrap();
    let genser = |tender| FreeReturnRequest {
        lines: vec![FreeLine {
            name: "Genser".into(),
            quantity_milli: 1000,
            gross: 29_900,
            vat_rate: 2500,
        }],
        tender,
        reason: "byttet".into(),
        currency: "NOK".into(),
    };

    // A cashier alone: refused (and journaled as refused).
    let e = returns::without_receipt(&db, &cashier, &genser(FreeTender::Cash), now)
        .await
        .unwrap_err();
    assert!(matches!(e, StaffError::Forbidden(_)), "{e:?}");
    // Vipps: refused even for a manager.
    let e = returns::without_receipt(&db, &boss, &genser(FreeTender::Vipps), now)
        .await
        .unwrap_err();
    assert!(e.message().nb.contains("Retur uten kvittering"), "{e:?}");
    assert!(
        e.message().en.contains("only be paid back in cash"),
        "{e:?}"
    );
    assert!(signed_returns(&store).await.is_empty(), "nothing recorded");

    // The manager, in cash: recorded, signed, printed with the drawer kick, and it says so.
    let r = returns::without_receipt(&db, &boss, &genser(FreeTender::Cash), now)
        .await
        .unwrap();
    assert!(r.without_receipt());
    assert_eq!(r.number, "RU-s1-t1-000001");
    assert_eq!(r.approved_by.as_deref(), Some(boss.staff_id()));
    assert_eq!(
        signed_returns(&store).await,
        vec![(-29_900, Some(r.number.clone()))]
    );
    let paper = start_paper(&file, dir.path(), &store).await;
    paper.print_cash_return(&db, r.id).await.unwrap();
    assert_eq!(drawer_kicks(&file), 1);
    let text = String::from_utf8_lossy(&printed(&file)).into_owned();
    assert!(text.contains("Retur uten kvittering"), "{text}");
    assert!(text.contains("Returkvittering"), "{text}");
    journal_verifies(&store).await;

    // The refused attempt is in the staff journal.
    let actions = db
        .run(move |db| {
            db.actions_between(now - time::Duration::minutes(1), OffsetDateTime::now_utc())
        })
        .await
        .unwrap();
    assert!(
        actions.iter().any(|a| a.action == "refund" && !a.allowed),
        "{actions:?}"
    );
    assert!(actions.iter().any(|a| a.action == "return_without_receipt"));
}
