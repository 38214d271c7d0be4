#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The return screen (F10 → 5, issue #16): pure update tests (scan the receipt, pick lines,
//! the library's per-line limit, the cash-first split shown before the manager PIN, the PIN
//! sent with the command and never shown) and snapshots of every step at 80×24 and 120×40.
//! Regenerate with `INSTA_UPDATE=always cargo test --test tui_returns`, then read every
//! changed `.snap` before committing.

mod common;
use common::tui as tui_support;
use kasse::domain::money::Money;
use kasse::domain::refund::{LineRefund, RefundStatus, RefundableLine, vat_of_gross};
use kasse::domain::returns::{ReturnContext, SaleTender};
use kasse::lang::{Lang, Text};
use kasse::tui::app::{ManagerAction, Prompt, Screen};
use kasse::tui::msg::{ReceiptNote, ReturnDone};
use kasse::tui::staff::ReturnStep;
use kasse::tui::view::render_to_string;
use kasse::tui::{App, AppEvent, Command};
use ratatui::crossterm::event::KeyCode;
use time::macros::datetime;
use tui_support::*;

fn snap_both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render_to_string(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render_to_string(app, 120, 40));
}

/// A Norwegian till with a manager in the staff journal.
fn nb_app() -> App {
    let mut c = ctx(Lang::Nb);
    c.manager_pins = true;
    App::new(&c)
}

fn line(no: i64, name: &str, q: i64, rate: i64, gross: i64, returned: i64) -> RefundableLine {
    let vat = vat_of_gross(gross, rate);
    RefundableLine {
        line_no: no,
        name: name.into(),
        quantity: (q / 1000).to_string(),
        quantity_milli: q,
        unit: "pcs".into(),
        vat_rate: rate,
        gross,
        net: gross - vat,
        vat,
        is_return: false,
        refunded_milli: returned,
        refunded_gross: gross * returned / q.max(1),
    }
}

/// A split sale: 30,00 cash + 54,90 Vipps; one Bolle already returned through Vipps.
fn split_context() -> ReturnContext {
    ReturnContext {
        sale_id: 7,
        receipt_number: "s1-t1-000007".into(),
        training: false,
        currency: "NOK".into(),
        sold_at: datetime!(2026-11-21 11:42:10 UTC),
        tender: SaleTender::Split,
        cash_paid: 3_000,
        cash_returned: 0,
        vipps_refundable: 5_490 - 1_750,
        lines: vec![
            line(1, "Kaffe", 1000, 2500, 4_990, 0),
            line(2, "Bolle", 2000, 1500, 3_500, 1000),
        ],
    }
}

fn request_id(cmds: &[Command]) -> u64 {
    match cmds {
        [Command::LoadReturn { request_id, .. }] | [Command::Return { request_id, .. }] => {
            *request_id
        }
        other => panic!("no return command: {other:?}"),
    }
}

/// F10 → the last entry (Goods returned).
fn opened(mut app: App) -> App {
    press(&mut app, KeyCode::F(10));
    for _ in 0..4 {
        press(&mut app, KeyCode::Down);
    }
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.screen, Screen::Return);
    app
}

/// …scan the receipt, the sale loads.
fn loaded(app: App) -> App {
    let mut app = opened(app);
    let cmds = enter_text(&mut app, "s1-t1-000007");
    match cmds.as_slice() {
        [Command::LoadReturn { receipt, .. }] => assert_eq!(receipt, "s1-t1-000007"),
        other => panic!("{other:?}"),
    }
    assert_eq!(app.staff.ret.step, ReturnStep::Loading);
    event(
        &mut app,
        AppEvent::StaffReturnContext {
            request_id: request_id(&cmds),
            result: Ok(Box::new(split_context())),
        },
    );
    assert_eq!(app.staff.ret.step, ReturnStep::Lines);
    app
}

/// …one Kaffe back, a reason, Enter: the review.
fn reviewed(app: App) -> App {
    let mut app = loaded(app);
    type_text(&mut app, "1");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "feil vare");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    app
}

#[test]
fn scan_screen_and_empty_receipt_starts_a_return_without_receipt() {
    let mut app = opened(nb_app());
    snap_both("return_scan", &app);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "nothing to load"
    );
    assert_eq!(app.staff.ret.step, ReturnStep::Free);
    assert!(app.staff.ret.without_receipt());
}

#[test]
fn a_return_without_receipt_is_cash_only_with_the_manager_pin() {
    let mut app = opened(nb_app());
    press(&mut app, KeyCode::Enter);
    // A line the parser refuses names the item.
    enter_text(&mut app, "Genser");
    assert!(format!("{:?}", app.toast).contains("Vare «Genser»"));
    assert!(app.staff.ret.free_lines.is_empty());
    // The typed text stays to be corrected.
    enter_text(&mut app, "=299,00@25");
    enter_text(&mut app, "Lue=99");
    assert_eq!(app.staff.ret.free_lines.len(), 2);
    snap_both("return_free", &app);
    // Empty Enter without a reason: asked for.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.ret.step, ReturnStep::Free);
    assert!(format!("{:?}", app.toast).contains("Årsak"));
    type_text(&mut app, "bytte uten kvittering");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.ret.step, ReturnStep::Confirm);
    let plan = app.staff.ret.plan.clone().unwrap();
    assert_eq!(
        (plan.cash, plan.vipps, plan.cash_paid_out()),
        (39_800, 0, 39_800)
    );
    snap_both("return_free_confirm", &app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.manager.asking, Some(ManagerAction::Return));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let id = match cmds.as_slice() {
        [
            Command::ReturnWithoutReceipt {
                request_id,
                pin,
                request,
            },
        ] => {
            assert_eq!(pin.expose(), MANAGER_PIN);
            assert_eq!(request.tender, kasse::domain::returns::FreeTender::Cash);
            assert_eq!(request.lines.len(), 2);
            assert_eq!(request.reason, "bytte uten kvittering");
            *request_id
        }
        other => panic!("{other:?}"),
    };
    event(
        &mut app,
        AppEvent::StaffReturn {
            request_id: id,
            result: Ok(ReturnDone {
                number: "RU-s1-t1-000001".into(),
                cash_out: Money::nok(39_800),
                vipps: Money::nok(0),
                vipps_status: None,
                receipt: Some(ReceiptNote::Printed),
                without_receipt: true,
            }),
        },
    );
    assert!(!format!("{app:?}").contains(MANAGER_PIN));
    snap_both("return_free_done", &app);
}

#[test]
fn lines_screen_shows_what_is_left() {
    let mut app = loaded(nb_app());
    type_text(&mut app, "1");
    snap_both("return_lines", &app);
}

#[test]
fn a_split_return_is_reviewed_cash_first() {
    let app = reviewed(nb_app());
    assert_eq!(app.staff.ret.step, ReturnStep::Confirm);
    let plan = app.staff.ret.plan.clone().unwrap();
    assert_eq!((plan.cash, plan.vipps), (3_000, 1_990));
    snap_both("return_confirm", &app);
    snap_both("return_confirm_en", &reviewed(managed_app()));
}

#[test]
fn over_return_is_refused_naming_the_line() {
    let mut app = loaded(nb_app());
    press(&mut app, KeyCode::Down);
    type_text(&mut app, "2");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "feil vare");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.ret.step, ReturnStep::Lines, "not to the review");
    let toast = format!("{:?}", app.toast);
    assert!(toast.contains("Linje 2 «Bolle»"), "{toast}");
    assert!(toast.contains("mellom 0 og 1"), "{toast}");
}

#[test]
fn a_missing_reason_is_asked_for() {
    let mut app = loaded(nb_app());
    type_text(&mut app, "1");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.ret.step, ReturnStep::Lines);
    assert!(format!("{:?}", app.toast).contains("Årsak"));
}

#[test]
fn confirm_sends_the_return_with_the_manager_pin() {
    let mut app = reviewed(nb_app());
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.prompt, Some(Prompt::ManagerPin));
    assert_eq!(app.manager.asking, Some(ManagerAction::Return));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let id = match cmds.as_slice() {
        [
            Command::Return {
                request_id,
                pin,
                request,
            },
        ] => {
            assert_eq!(pin.expose(), MANAGER_PIN);
            assert!(!format!("{cmds:?}").contains(MANAGER_PIN), "PIN redacted");
            assert_eq!(request.receipt, "s1-t1-000007");
            assert_eq!(
                request.lines,
                vec![LineRefund {
                    line_no: 1,
                    quantity_milli: 1000
                }]
            );
            assert_eq!(request.reason, "feil vare");
            *request_id
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(app.staff.ret.step, ReturnStep::Sending);
    snap_both("return_sending", &app);
    event(
        &mut app,
        AppEvent::StaffReturn {
            request_id: id,
            result: Ok(ReturnDone {
                number: "R-s1-t1-000007-2".into(),
                cash_out: Money::nok(3_000),
                vipps: Money::nok(1_990),
                vipps_status: Some(RefundStatus::Done),
                receipt: Some(ReceiptNote::Printed),
                without_receipt: false,
            }),
        },
    );
    assert_eq!(app.staff.ret.step, ReturnStep::Done);
    assert!(!format!("{app:?}").contains(MANAGER_PIN));
    snap_both("return_done", &app);
    // Enter goes back to the menu, the screen starts fresh next time.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Staff);
    assert_eq!(app.staff.ret.step, ReturnStep::Scan);
}

#[test]
fn a_refused_return_says_why() {
    let mut app = reviewed(nb_app());
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, MANAGER_PIN);
    event(
        &mut app,
        AppEvent::StaffReturn {
            request_id: request_id(&cmds),
            result: Err(Text::new("PIN: ikke en leder.", "PIN: not a manager.")),
        },
    );
    snap_both("return_refused", &app);
}

#[test]
fn an_unknown_receipt_stays_on_the_scan_step() {
    let mut app = opened(nb_app());
    let cmds = enter_text(&mut app, "s1-t1-999999");
    event(
        &mut app,
        AppEvent::StaffReturnContext {
            request_id: request_id(&cmds),
            result: Err(Text::new(
                "Fant ikke salget «s1-t1-999999».",
                "Sale \"s1-t1-999999\" was not found.",
            )),
        },
    );
    assert_eq!(app.staff.ret.step, ReturnStep::Scan);
    assert!(format!("{:?}", app.toast).contains("s1-t1-999999"));
}
