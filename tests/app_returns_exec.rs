#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end from the cashier's screen: a return started on the return screen (F10 → 5 →
//! scan the receipt → one line → reason → review → manager PIN) is run by
//! `app::execute_with_progress` against the till's journal: the cash is given back (the
//! return receipt with the drawer line is on the demo paper, `<data_dir>/receipts.txt`), the
//! return is signed and the chain verifies. Then a return without receipt from the same
//! screen: refused with a cashier's PIN, done with the manager's, and the paper says
//! "Retur uten kvittering".

mod common;
use common::staff as staff_support;
use common::tui as tui_support;
use kasse::app::{Paper, StaffAccess};
use kasse::config::Config;
use kasse::domain::basket::{Basket, OrderLine, Quantity};
use kasse::domain::money::{Currency, Money};
use kasse::domain::staff::Role;
use kasse::domain::vat::VatRate;
use kasse::engine::{ApiKind, NewSaleRequest};
use kasse::lang::Lang;
use kasse::receipt::printer::TEXT_DRAWER_LINE;
use kasse::tui::staff::ReturnStep;
use kasse::tui::{App, AppEvent, Command};
use ratatui::crossterm::event::KeyCode;
use staff_support::{MANAGER_PIN, till};
use tui_support::{ctx, enter_text, press, type_text};

const CASHIER_PIN: &str = "2468";

fn managed() -> App {
    let mut c = ctx(Lang::Nb);
    c.manager_pins = true;
    c.clock = std::sync::Arc::new(kasse::clock::SystemClock);
    App::new(&c)
}

/// Kaffe 49,90 (25 %) + 2 × Bolle 17,50 (15 %) = 84,90.
fn request() -> NewSaleRequest {
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
    NewSaleRequest::from_basket(
        &b,
        staff_support::push(ApiKind::Epayment),
        ApiKind::Epayment,
        None,
    )
    .unwrap()
}

fn open_return_screen(app: &mut App) {
    assert!(press(app, KeyCode::F(10)).is_empty());
    // The menu remembers its place: go to the top, then down to 5.
    for _ in 0..8 {
        press(app, KeyCode::Up);
    }
    for _ in 0..4 {
        press(app, KeyCode::Down);
    }
    assert!(press(app, KeyCode::Enter).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_from_the_screen_give_cash_back_and_are_signed() {
    let t = till().await;
    let now = time::OffsetDateTime::now_utc();
    let boss =
        t.db.create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap();
    t.db.create_staff(&boss, "Kari", CASHIER_PIN, Role::Cashier, now)
        .await
        .unwrap();
    let sale = t
        .run
        .engine
        .record_cash_sale(request(), Money::nok(10_000))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::from_toml_str("[shop]\nname = \"Bakeri Øst AS\"\n", &|_| None).unwrap();
    let paper = Paper::start(&cfg, dir.path(), true).unwrap().unwrap();
    let staff: StaffAccess = Ok(t.db.clone());

    // 1. With the receipt: one Kaffe back.
    let mut app = managed();
    open_return_screen(&mut app);
    let cmds = enter_text(&mut app, &sale.receipt_number);
    assert!(
        matches!(cmds.as_slice(), [Command::LoadReturn { .. }]),
        "{cmds:?}"
    );
    staff_support::drive(&t.run.engine, &mut app, Some(&paper), &staff, cmds).await;
    assert_eq!(app.staff.ret.step, ReturnStep::Lines);
    type_text(&mut app, "1");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "feil vare");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.ret.step, ReturnStep::Confirm);
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, MANAGER_PIN);
    assert!(
        matches!(cmds.as_slice(), [Command::Return { .. }]),
        "{cmds:?}"
    );
    let evs = staff_support::drive(&t.run.engine, &mut app, Some(&paper), &staff, cmds).await;
    assert!(
        evs.iter()
            .any(|e| matches!(e, AppEvent::StaffReturn { .. })),
        "{evs:?}"
    );
    let done = app.staff.ret.result.clone().unwrap().unwrap();
    assert_eq!(done.cash_out, Money::nok(5_000), "49,90 paid out as 50,00");
    assert_eq!(done.number, format!("R-{}-1", sale.receipt_number));
    let text = std::fs::read_to_string(dir.path().join("receipts.txt")).unwrap();
    // Demo paper: the training title, marked RETUR / REFUND.
    assert!(text.contains("RETUR / REFUND"), "{text}");
    assert!(text.contains(&done.number), "{text}");
    assert_eq!(text.matches(TEXT_DRAWER_LINE.trim()).count(), 1, "{text}");

    // 2. Without a receipt: a cashier's PIN is refused, nothing is given back.
    press(&mut app, KeyCode::Enter);
    open_return_screen(&mut app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.ret.step, ReturnStep::Free);
    enter_text(&mut app, "Genser=299,00@25");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "bytte");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.ret.step, ReturnStep::Confirm);
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, CASHIER_PIN);
    assert!(
        matches!(cmds.as_slice(), [Command::ReturnWithoutReceipt { .. }]),
        "{cmds:?}"
    );
    staff_support::drive(&t.run.engine, &mut app, Some(&paper), &staff, cmds).await;
    let refused = app.staff.ret.result.clone().unwrap().unwrap_err();
    assert!(!refused.nb.is_empty(), "{refused:?}");
    let text = std::fs::read_to_string(dir.path().join("receipts.txt")).unwrap();
    assert!(!text.contains("Retur uten kvittering"), "nothing printed");

    // …with the manager's: done, printed, the drawer opens, the receipt says so.
    press(&mut app, KeyCode::Enter);
    open_return_screen(&mut app);
    press(&mut app, KeyCode::Enter);
    enter_text(&mut app, "Genser=299,00@25");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "bytte");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, MANAGER_PIN);
    staff_support::drive(&t.run.engine, &mut app, Some(&paper), &staff, cmds).await;
    let done = app.staff.ret.result.clone().unwrap().unwrap();
    assert!(done.without_receipt);
    assert_eq!(done.cash_out, Money::nok(29_900));
    assert_eq!(done.number, "RU-s1-t1-000001");
    let text = std::fs::read_to_string(dir.path().join("receipts.txt")).unwrap();
    assert!(text.contains("Retur uten kvittering"), "{text}");
    assert_eq!(text.matches(TEXT_DRAWER_LINE.trim()).count(), 2, "{text}");

    // Both are signed returns; the chain verifies (`kasse journal verify`).
    let signed: Vec<i64> = t
        .store
        .run(|s| s.signed_transactions())
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.kind == kasse::store::fiscal::SignedKind::Return)
        .map(|s| s.amount_in)
        .collect();
    assert_eq!(signed, vec![-4_990, -29_900]);
    let check = t
        .store
        .run(|s| s.verify_fiscal_chain(None, None))
        .await
        .unwrap();
    assert!(check.is_ok(), "{check:?}");
}

/// A split sale returned from the screen with the till's refund receipt printer running: the
/// cash part's return receipt prints at once (drawer line), the Vipps part is refunded, and
/// the return number is printed once — the refund printer does not print it again when Vipps
/// confirms the Vipps part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_return_from_the_screen_prints_once() {
    let t = till().await;
    let now = time::OffsetDateTime::now_utc();
    t.db.create_first_manager("Mona", MANAGER_PIN, now)
        .await
        .unwrap();
    // 30,00 cash + 54,90 Vipps.
    let engine = t.run.engine.clone();
    let mut rx = engine.subscribe();
    let id = engine
        .start_split_payment(request(), Money::nok(3_000))
        .await
        .unwrap();
    let w =
        common::e2e::wait_state(&mut rx, id, kasse::engine::PaymentState::WaitingForCustomer).await;
    let r = reqwest::Client::new()
        .post(format!(
            "{}/sim/v1/customer/{}/approve",
            t.sim.base_url(),
            w.reference
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    common::e2e::wait_state(&mut rx, id, kasse::engine::PaymentState::Paid).await;
    staff_support::outbox_drained(&t.store).await;
    let receipt_number = {
        let s = t.store.clone();
        let p = s.run(move |s| s.payment(id)).await.unwrap().unwrap();
        let sale_id = p.sale_id;
        s.run(move |s| s.sale(sale_id))
            .await
            .unwrap()
            .unwrap()
            .sale
            .receipt_number
    };

    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::from_toml_str("[shop]\nname = \"Bakeri Øst AS\"\n", &|_| None).unwrap();
    let paper = Paper::start(&cfg, dir.path(), true).unwrap().unwrap();
    let printer = kasse::app::spawn_refund_receipts(paper.clone(), t.db.clone(), &engine);
    let staff: StaffAccess = Ok(t.db.clone());
    let mut app = managed();
    open_return_screen(&mut app);
    let cmds = enter_text(&mut app, &receipt_number);
    staff_support::drive(&engine, &mut app, Some(&paper), &staff, cmds).await;
    // Kaffe (49,90): 30,00 cash, 19,90 Vipps.
    type_text(&mut app, "1");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "feil vare");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, MANAGER_PIN);
    staff_support::drive(&engine, &mut app, Some(&paper), &staff, cmds).await;
    let done = app.staff.ret.result.clone().unwrap().unwrap();
    assert_eq!(done.cash_out, Money::nok(3_000));
    assert_eq!(done.vipps, Money::nok(1_990));
    assert_eq!(
        done.vipps_status,
        Some(kasse::domain::refund::RefundStatus::Done)
    );
    let p = reqwest::get(format!("{}/sim/v1/ledger", t.sim.base_url()))
        .await
        .unwrap()
        .json::<kasse::sim::Ledger>()
        .await
        .unwrap()
        .payments
        .into_iter()
        .find(|p| p.reference == w.reference)
        .unwrap();
    assert_eq!((p.captured, p.refunded), (5_490, 1_990));
    // Give the refund receipt printer time to (not) print the Vipps part again.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let text = std::fs::read_to_string(dir.path().join("receipts.txt")).unwrap();
    // One receipt (its code printed once) carrying both tenders.
    let code = format!("[QR {}]", done.number);
    assert_eq!(
        text.matches(code.as_str()).count(),
        1,
        "printed once: {text}"
    );
    assert!(text.contains("Kontant tilbake"), "{text}");
    assert!(text.contains("Vipps tilbake"), "{text}");
    assert_eq!(text.matches(TEXT_DRAWER_LINE.trim()).count(), 1, "{text}");
    assert!(
        text.contains("-49,90"),
        "the whole return on one receipt: {text}"
    );
    printer.abort();
}
