#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cash tender on the payment screen (F3): cash-only with change, split tender (the rest by
//! Vipps), bad input, the split whose Vipps part failed ("give back the cash"), and the drawer
//! without a sale (Ctrl-O, manager PIN). Pure `update()` tests plus insta snapshots of every
//! new screen state at 80×24 and 120×40.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test tui_cash`, then read every `.snap`.

mod common;
use common::tui as tui_support;
use kasse::domain::money::Money;
use kasse::tui::app::{Prompt, Screen, ToastKind};
use kasse::tui::keymap::Mode;
use kasse::tui::view::render_to_string;
use kasse::tui::{App, AppEvent, Command, ManagerPermission, PayMethod, PaymentStatusView, update};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

fn snap_both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render_to_string(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render_to_string(app, 120, 40));
}

/// Kvikk Lunsj (24,90) + Coca-Cola (32,90) = kr 57,80, on the payment screen.
fn at_payment(mut app: App) -> App {
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, COLA);
    assert!(press(&mut app, KeyCode::F(12)).is_empty());
    assert_eq!(app.screen, Screen::Payment);
    app
}

fn toast_en(app: &App) -> String {
    app.toast
        .as_ref()
        .map(|t| t.text.en.clone())
        .unwrap_or_default()
}

fn toast_nb(app: &App) -> String {
    app.toast
        .as_ref()
        .map(|t| t.text.nb.clone())
        .unwrap_or_default()
}

/// F3 on the payment screen, then type `cash` (no Enter).
fn cash_typed(app: &mut App, cash: &str) {
    assert!(press(app, KeyCode::F(3)).is_empty());
    assert_eq!(app.prompt, Some(Prompt::CashReceived));
    assert_eq!(app.mode(), Mode::Prompt);
    type_text(app, cash);
}

#[test]
fn f3_asks_for_cash_received() {
    let mut app = at_payment(app());
    cash_typed(&mut app, "100");
    assert_eq!(app.screen, Screen::Payment);
    snap_both("cash_prompt", &app);
}

#[test]
fn cash_covering_the_total_is_a_cash_sale_with_change() {
    let mut app = at_payment(app());
    cash_typed(&mut app, "100");
    let cmds = press(&mut app, KeyCode::Enter);
    match cmds.as_slice() {
        [
            Command::CashSale {
                basket, received, ..
            },
        ] => {
            assert_eq!(*received, Money::nok(10_000));
            assert_eq!(basket.totals().unwrap().gross, Money::nok(5_780));
        }
        other => panic!("expected one CashSale, got {other:?}"),
    }
    // Waiting for the journal: still on the payment screen; F3, Esc, a QR or a push for the
    // same basket are all refused (it must never be paid twice).
    assert_eq!(app.screen, Screen::Payment);
    assert!(app.cash.as_ref().unwrap().pending);
    assert!(press(&mut app, KeyCode::F(3)).is_empty());
    assert_eq!(app.prompt, None);
    assert!(press(&mut app, KeyCode::F(2)).is_empty());
    assert!(enter_text(&mut app, "91234567").is_empty());
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.screen, Screen::Payment);
    assert!(toast_nb(&app).contains("registreres"), "{}", toast_nb(&app));

    let mut engine = FakeEngine::default();
    drive(&mut app, &mut engine, cmds);
    assert_eq!(app.screen, Screen::Result);
    let c = app.cash.clone().unwrap();
    // Øreavrunding: 57,80 is paid as 58,00 in cash, so 100 gives 42,00 back.
    assert_eq!(c.change(), Money::nok(4_200));
    assert_eq!(c.receipt_number.as_deref(), Some("s1-t1-000001"));
    assert!(app.payment.is_none());
    snap_both("cash_paid_with_change", &app);

    // F4 reprints the cash receipt by its receipt number.
    assert_eq!(
        press(&mut app, KeyCode::F(4)),
        vec![Command::ReprintReceipt {
            reference: "s1-t1-000001".into()
        }]
    );
    // Next sale: the basket is paid, so it is emptied.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Sale);
    assert!(app.basket.is_empty());
    assert!(app.cash.is_none());
}

#[test]
fn exact_cash_has_no_change() {
    // 57,80 rounds to 58,00 in cash (øreavrunding): 58 is the exact cash amount.
    let mut app = at_payment(app_en());
    cash_typed(&mut app, "58");
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Command::CashSale { received, .. }] if *received == Money::nok(5_800))
    );
    let mut engine = FakeEngine::default();
    drive(&mut app, &mut engine, cmds);
    assert!(app.cash.as_ref().unwrap().change().is_zero());
    assert!(render_to_string(&app, 80, 24).contains("No change"));
}

#[test]
fn a_refused_cash_sale_keeps_the_basket_and_says_why() {
    let mut app = at_payment(app_en());
    cash_typed(&mut app, "100");
    press(&mut app, KeyCode::Enter);
    event(
        &mut app,
        AppEvent::CashSale(Err(kasse::lang::Text::new(
            "Databasefeil",
            "Database error",
        ))),
    );
    assert_eq!(app.screen, Screen::Payment);
    assert!(app.cash.is_none());
    assert_eq!(toast_en(&app), "Database error");
    assert_eq!(app.basket.len(), 2);
}

#[test]
fn bad_cash_input_names_the_field_in_both_languages() {
    for (typed, en_part) in [
        ("abc", "contains 'a'"),
        ("12,345", "more than 2 decimals"),
        ("-5", "negative"),
        ("", "nothing entered"),
    ] {
        let mut app = at_payment(app());
        cash_typed(&mut app, typed);
        assert!(press(&mut app, KeyCode::Enter).is_empty(), "{typed}");
        let t = app.toast.clone().unwrap();
        assert_eq!(t.kind, ToastKind::Error);
        assert!(
            t.text.en.starts_with("Cash received"),
            "{typed}: {}",
            t.text.en
        );
        assert!(t.text.en.contains(en_part), "{typed}: {}", t.text.en);
        assert!(
            t.text.nb.starts_with("Mottatt kontant"),
            "{typed}: {}",
            t.text.nb
        );
        // The prompt stays open for a correction; nothing was taken.
        assert_eq!(app.prompt, Some(Prompt::CashReceived));
        assert!(app.cash.is_none());
    }
    let mut app = at_payment(app());
    cash_typed(&mut app, "0");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(toast_en(&app).contains("more than 0"));
    assert!(toast_nb(&app).contains("mer enn 0"));
}

#[test]
fn less_cash_than_the_total_asks_vipps_for_the_rest() {
    let mut app = at_payment(app());
    cash_typed(&mut app, "20");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "nothing is journaled yet"
    );
    assert_eq!(app.screen, Screen::Payment);
    assert_eq!(app.prompt, None);
    let c = app.cash.clone().unwrap();
    assert!(c.is_split());
    assert_eq!(c.remainder(), Money::nok(3_780));
    assert!(render_to_string(&app, 80, 24).contains("Rest å betale med Vipps: kr 37,80"));
    snap_both("split_remaining_by_vipps", &app);

    // F3 again: the cash part is already taken.
    assert!(press(&mut app, KeyCode::F(3)).is_empty());
    assert!(toast_en(&app).contains("already taken"));

    // QR for the rest: the Vipps payment is for the remainder only.
    let cmds = press(&mut app, KeyCode::F(2));
    match cmds.as_slice() {
        [
            Command::StartSplitPayment {
                basket,
                method,
                cash,
                ..
            },
        ] => {
            assert_eq!(*method, PayMethod::Qr);
            assert_eq!(*cash, Money::nok(2_000));
            assert_eq!(basket.len(), 2, "every line of the basket goes along");
        }
        other => panic!("expected StartSplitPayment, got {other:?}"),
    }
    let mut engine = FakeEngine::default();
    drive(&mut app, &mut engine, cmds);
    assert_eq!(app.screen, Screen::Paying);
    assert_eq!(app.payment.as_ref().unwrap().amount, Money::nok(3_780));
    assert!(
        render_to_string(&app, 120, 40).contains("Mottatt kontant: kr 20,00"),
        "the waiting screen shows the cash part"
    );
    let approve = vec![Command::Customer {
        reference: REF.into(),
        action: kasse::tui::SimCustomerAction::Approve,
    }];
    drive(&mut app, &mut engine, approve);
    assert_eq!(app.screen, Screen::Result);
    assert_eq!(
        app.payment.as_ref().unwrap().status,
        PaymentStatusView::Paid
    );
    let screen = render_to_string(&app, 120, 40);
    assert!(
        screen.contains("Kontant kr 20,00 + Vipps kr 37,80"),
        "{screen}"
    );
    snap_both("split_paid_both_tenders", &app);
    press(&mut app, KeyCode::Enter);
    assert!(app.basket.is_empty());
    assert!(app.cash.is_none());
}

#[test]
fn push_for_the_rest_of_a_split() {
    let mut app = at_payment(app());
    cash_typed(&mut app, "50");
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, "91234567");
    assert!(matches!(
        cmds.as_slice(),
        [Command::StartSplitPayment { method: PayMethod::Push { phone_or_personal_qr }, cash, .. }]
            if phone_or_personal_qr == "4791234567" && *cash == Money::nok(5_000)
    ));
}

#[test]
fn a_rest_below_the_vipps_minimum_is_refused() {
    let mut app = at_payment(app_en());
    cash_typed(&mut app, "57,30");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(
        toast_en(&app).contains("below the Vipps minimum"),
        "{}",
        toast_en(&app)
    );
    assert!(app.cash.is_none());
}

#[test]
fn esc_undoes_the_cash_part_and_says_to_give_it_back() {
    let mut app = at_payment(app_en());
    cash_typed(&mut app, "20");
    press(&mut app, KeyCode::Enter);
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(app.cash.is_none());
    assert_eq!(
        app.screen,
        Screen::Payment,
        "the first Esc only undoes the cash"
    );
    assert_eq!(
        toast_en(&app),
        "The cash part is undone: give back kr 20,00 cash to the customer."
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Sale);
}

fn split_rejected() -> App {
    let mut app = at_payment(app());
    cash_typed(&mut app, "20");
    press(&mut app, KeyCode::Enter);
    let cmds = press(&mut app, KeyCode::F(2));
    let mut engine = FakeEngine::default();
    drive(&mut app, &mut engine, cmds);
    let reject = vec![Command::Customer {
        reference: REF.into(),
        action: kasse::tui::SimCustomerAction::Reject,
    }];
    drive(&mut app, &mut engine, reject);
    app
}

#[test]
fn split_whose_vipps_part_failed_says_give_back_the_cash() {
    let mut app = split_rejected();
    assert_eq!(app.screen, Screen::Result);
    assert_eq!(
        app.payment.as_ref().unwrap().status,
        PaymentStatusView::Rejected
    );
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("Gi tilbake kr 20,00 kontant"), "{screen}");
    snap_both("split_failed_give_back_cash", &app);
    // Nothing to reprint for an unpaid sale.
    assert!(press(&mut app, KeyCode::F(4)).is_empty());
    // Enter: back to the basket (kept), the cash part is gone.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.basket.len(), 2);
    assert!(app.cash.is_none());
    // A new payment starts from scratch (e.g. all of it in cash).
    press(&mut app, KeyCode::F(12));
    cash_typed(&mut app, "60");
    assert!(matches!(
        press(&mut app, KeyCode::Enter).as_slice(),
        [Command::CashSale { received, .. }] if *received == Money::nok(6_000)
    ));
}

#[test]
fn split_failed_in_english() {
    let mut app = at_payment(app_en());
    cash_typed(&mut app, "20");
    press(&mut app, KeyCode::Enter);
    let cmds = enter_text(&mut app, "91234567");
    let mut engine = FakeEngine::default();
    drive(&mut app, &mut engine, cmds);
    drive(
        &mut app,
        &mut engine,
        vec![Command::CancelPayment {
            reference: REF.into(),
        }],
    );
    assert_eq!(app.screen, Screen::Result);
    assert!(render_to_string(&app, 80, 24).contains("Give back kr 20,00 cash"));
}

#[test]
fn ctrl_o_opens_the_drawer_after_a_manager_pin() {
    let mut app = managed_app();
    assert!(update(&mut app, ctrl('o')).is_empty());
    assert_eq!(app.prompt, Some(Prompt::ManagerPin));
    assert!(render_to_string(&app, 80, 24).contains("Manager PIN to open the drawer"));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    assert!(matches!(
        cmds.as_slice(),
        [Command::VerifyManagerPin {
            permission: ManagerPermission::OpenDrawer,
            ..
        }]
    ));
    let mut engine = FakeEngine::default();
    drive(&mut app, &mut engine, cmds);
    assert!(engine.log.contains(&Command::OpenDrawer));
    assert_eq!(toast_en(&app), "The cash drawer is open");

    // A wrong PIN opens nothing.
    let mut app = managed_app();
    update(&mut app, ctrl('o'));
    let cmds = enter_text(&mut app, "1111");
    let mut engine = FakeEngine::default();
    drive(&mut app, &mut engine, cmds);
    assert!(!engine.log.contains(&Command::OpenDrawer));
    assert_eq!(toast_en(&app), "PIN: wrong PIN.");
}

#[test]
fn ctrl_o_needs_a_manager_and_is_not_for_kiosks() {
    let mut app = app_en();
    assert!(update(&mut app, ctrl('o')).is_empty());
    assert_eq!(app.prompt, None);
    assert!(toast_en(&app).contains("needs a manager"));

    let mut kiosk = managed_kiosk_app();
    assert!(update(&mut kiosk, ctrl('o')).is_empty());
    assert_eq!(kiosk.prompt, None);
    assert!(toast_en(&kiosk).contains("self-service"));
}

#[test]
fn cash_is_not_offered_in_kiosk_mode() {
    let mut app = kiosk_app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    assert!(press(&mut app, KeyCode::F(3)).is_empty());
    assert_eq!(app.prompt, None);
    assert!(!render_to_string(&app, 80, 24).contains("Kontant"));
}

#[test]
fn printer_queue_is_shown_until_it_drains() {
    let mut app = app_en();
    event(&mut app, AppEvent::PrintQueue { queued: 2 });
    assert!(render_to_string(&app, 80, 24).contains("2 receipts queued for printing"));
    event(&mut app, AppEvent::PrintQueue { queued: 0 });
    assert!(!render_to_string(&app, 80, 24).contains("queued for printing"));
}

#[test]
fn cash_works_offline_vipps_does_not() {
    let mut app = app();
    event(
        &mut app,
        AppEvent::Network(kasse::tui::NetworkState::Offline),
    );
    let mut app = at_payment(app);
    cash_typed(&mut app, "100");
    assert!(matches!(
        press(&mut app, KeyCode::Enter).as_slice(),
        [Command::CashSale { .. }]
    ));
}

#[test]
fn a_sale_below_the_vipps_minimum_can_still_be_paid_in_cash() {
    let mut app = app_en();
    enter_text(&mut app, "1016"); // Pose, kr 2,00 …
    app.basket.set_price(0, Money::nok(50)).unwrap(); // … at 0,50
    assert!(press(&mut app, KeyCode::F(12)).is_empty());
    assert_eq!(app.screen, Screen::Payment);
    // Vipps refuses 0,50 …
    assert!(press(&mut app, KeyCode::F(2)).is_empty());
    assert!(
        toast_en(&app).contains("below the Vipps minimum"),
        "{}",
        toast_en(&app)
    );
    assert_eq!(app.screen, Screen::Payment);
    // … cash does not.
    cash_typed(&mut app, "1");
    assert!(matches!(
        press(&mut app, KeyCode::Enter).as_slice(),
        [Command::CashSale { received, .. }] if *received == Money::nok(100)
    ));
}
