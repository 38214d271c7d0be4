#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cash management on the staff screens (F10 → 6 opening float, 7 withdrawal, 8 deposit; the
//! count before the Z): pure update tests and snapshots at 80×24 and 120×40 with the fixed
//! clock. Regenerate with `INSTA_UPDATE=always cargo test --test tui_drawer`, then read every
//! changed `.snap` before committing.

mod common;
use common::tui as tui_support;
use kasse::domain::cash::CashKind;
use kasse::lang::Text;
use kasse::tui::app::{ManagerAction, Prompt, Screen};
use kasse::tui::msg::CashDone;
use kasse::tui::staff::CashField;
use kasse::tui::view::render_to_string;
use kasse::tui::{App, AppEvent, Command};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

fn snap_both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render_to_string(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render_to_string(app, 120, 40));
}

fn menu(app: &mut App, digit: char) {
    press(app, KeyCode::F(10));
    assert_eq!(app.screen, Screen::Staff);
    assert!(type_text(app, &digit.to_string()).is_empty());
    assert_eq!(app.screen, Screen::Cash);
}

fn error_text(app: &App) -> Text {
    app.toast.as_ref().expect("a message").text.clone()
}

fn recorded(cmds: &[Command]) -> (u64, CashKind, i64, String) {
    match cmds {
        [
            Command::RecordCash {
                request_id,
                pin,
                kind,
                amount,
                reason,
                currency,
                ..
            },
        ] => {
            assert_eq!(pin.expose(), MANAGER_PIN);
            assert_eq!(currency, "NOK");
            (*request_id, *kind, *amount, reason.clone())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_menu_lists_float_withdrawal_and_deposit() {
    let mut app = managed_app();
    press(&mut app, KeyCode::F(10));
    let screen = render_to_string(&app, 120, 40);
    for needle in [
        "6. Opening float",
        "7. Withdraw cash from the drawer",
        "8. Deposit cash into the drawer",
    ] {
        assert!(screen.contains(needle), "{needle} missing:\n{screen}");
    }
    snap_both("cash_menu", &app);
}

#[test]
fn opening_float_checks_the_amount_then_asks_the_pin_and_opens_the_drawer() {
    let mut app = managed_app();
    menu(&mut app, '6');
    snap_both("cash_float_empty", &app);
    // A bad amount: the message names the field, nothing is sent.
    assert!(enter_text(&mut app, "tusen").is_empty());
    let e = error_text(&app);
    assert!(e.en.starts_with("Opening float:"), "{e:?}");
    assert_eq!(app.prompt, None);
    // Zero is refused too.
    for _ in 0..5 {
        press(&mut app, KeyCode::Backspace);
    }
    assert!(enter_text(&mut app, "0").is_empty());
    assert!(error_text(&app).en.contains("more than 0"));
    press(&mut app, KeyCode::Backspace);
    assert!(enter_text(&mut app, "1 000").is_empty());
    assert_eq!(app.manager.asking, Some(ManagerAction::Cash));
    assert_eq!(app.prompt, Some(Prompt::ManagerPin));
    // Any staff member records the float: the prompt asks for "your PIN", not a manager's.
    let screen = render_to_string(&app, 120, 40);
    assert!(
        screen.contains("Your PIN for the opening float"),
        "{screen}"
    );
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let (id, kind, amount, reason) = recorded(&cmds);
    assert_eq!(
        (kind, amount, reason.as_str()),
        (CashKind::Float, 100_000, "")
    );
    snap_both("cash_float_sending", &app);
    // An answer to another request changes nothing.
    assert!(
        event(
            &mut app,
            AppEvent::CashRecorded {
                request_id: id + 100,
                result: Err(Text::new("nei", "no")),
            }
        )
        .is_empty()
    );
    let cmds = event(
        &mut app,
        AppEvent::CashRecorded {
            request_id: id,
            result: Ok(CashDone {
                kind: CashKind::Float,
                amount: 100_000,
                nr: Some(1),
            }),
        },
    );
    assert!(matches!(cmds.as_slice(), [Command::OpenDrawer]), "{cmds:?}");
    assert!(app.staff.cash.done.is_some());
    snap_both("cash_float_done", &app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Staff);
}

#[test]
fn a_withdrawal_needs_a_reason_and_the_manager_pin() {
    let mut app = managed_app();
    menu(&mut app, '7');
    // Enter on the amount moves on to the reason; no PIN yet.
    assert!(enter_text(&mut app, "500").is_empty());
    assert_eq!(app.staff.cash.field, CashField::Reason);
    assert_eq!(app.prompt, None);
    // An empty reason is refused, naming the field.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let e = error_text(&app);
    assert!(e.en.starts_with("Withdrawal – reason"), "{e:?}");
    assert_eq!(app.prompt, None);
    type_text(&mut app, "til banken");
    snap_both("cash_withdrawal_form", &app);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.manager.asking, Some(ManagerAction::Cash));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let (id, kind, amount, reason) = recorded(&cmds);
    assert_eq!(
        (kind, amount, reason.as_str()),
        (CashKind::Withdrawal, 50_000, "til banken")
    );
    // Refused by the journal (e.g. a cashier's PIN): the message shows, the form stays.
    let cmds = event(
        &mut app,
        AppEvent::CashRecorded {
            request_id: id,
            result: Err(Text::new(
                "Åpne kasseskuffen uten salg krever en leder.",
                "Open the cash drawer without a sale needs a manager.",
            )),
        },
    );
    assert!(cmds.is_empty(), "the drawer stays shut: {cmds:?}");
    assert!(error_text(&app).en.contains("needs a manager"));
    assert!(app.staff.cash.done.is_none());
    assert_eq!(app.screen, Screen::Cash);
}

#[test]
fn a_deposit_switches_fields_with_tab() {
    let mut app = managed_app();
    menu(&mut app, '8');
    type_text(&mut app, "200");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "veksel");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.staff.cash.field, CashField::Amount);
    assert_eq!(app.input.value(), "200");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let (id, kind, amount, reason) = recorded(&cmds);
    assert_eq!(
        (kind, amount, reason.as_str()),
        (CashKind::Deposit, 20_000, "veksel")
    );
    let cmds = event(
        &mut app,
        AppEvent::CashRecorded {
            request_id: id,
            result: Ok(CashDone {
                kind: CashKind::Deposit,
                amount: 20_000,
                nr: Some(5),
            }),
        },
    );
    assert!(matches!(cmds.as_slice(), [Command::OpenDrawer]));
    snap_both("cash_deposit_done", &app);
}

#[test]
fn the_z_asks_for_the_counted_cash_first() {
    let mut app = managed_app();
    menu(&mut app, '3');
    assert_eq!(app.staff.cash.kind, None);
    snap_both("cash_count_before_z", &app);
    assert!(enter_text(&mut app, "12x").is_empty());
    let e = error_text(&app);
    assert!(e.en.starts_with("Counted cash:"), "{e:?}");
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace);
    }
    assert!(enter_text(&mut app, "740").is_empty());
    assert_eq!(app.manager.asking, Some(ManagerAction::ZReport));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    assert!(
        matches!(
            cmds.as_slice(),
            [Command::CloseDay {
                counted: Some(74_000),
                ..
            }]
        ),
        "{cmds:?}"
    );
    assert_eq!(app.screen, Screen::Report);
}
