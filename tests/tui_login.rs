#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Staff login at the till (issue #7): the login screen, the staff journal's answers (wrong
//! PIN, lockout), logout from the sale screen, kiosk and demo, and the help overlay that
//! scrolls at 80×24. Pure `update` tests plus snapshots at 80×24 and 120×40. Regenerate with
//! `INSTA_UPDATE=always cargo test --test tui_login`, then read every changed `.snap`.

mod common;
use common::tui as tui_support;
use kasse::domain::staff::{Role, StaffError};
use kasse::lang::Lang;
use kasse::tui::app::{KioskSettings, Prompt, Screen};
use kasse::tui::view::render_to_string;
use kasse::tui::{App, AppEvent, Cashier, Command, ManagerPin, NetworkState, PayMethod};
use ratatui::crossterm::event::KeyCode;
use std::time::Duration;
use tui_support::*;

fn snap_both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render_to_string(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render_to_string(app, 120, 40));
}

fn kari() -> Cashier {
    Cashier {
        staff_id: "st002".into(),
        name: "Kari Nordmann".into(),
        role: Role::Cashier,
    }
}

/// A till whose staff journal has staff: the screen starts on the login screen.
fn login_app(lang: Lang) -> App {
    let mut c = ctx(lang);
    c.manager_pins = true;
    c.login_required = true;
    let mut app = App::new(&c);
    event(&mut app, AppEvent::Network(NetworkState::Online));
    app
}

fn toast_en(app: &App) -> String {
    app.toast
        .as_ref()
        .map(|t| t.text.en.clone())
        .unwrap_or_default()
}

/// The reason shown in the login box.
fn login_error(app: &App) -> kasse::lang::Text {
    app.login.error.clone().expect("a login problem is shown")
}

/// Type a PIN on the login screen and press Enter; returns the request id sent.
fn send_pin(app: &mut App, pin: &str) -> u64 {
    let cmds = enter_text(app, pin);
    match cmds.as_slice() {
        [Command::Login { request_id, pin: p }] => {
            assert_eq!(*p, ManagerPin::new(pin));
            *request_id
        }
        other => panic!("expected one Login command, got {other:?}"),
    }
}

fn logged_in(lang: Lang) -> App {
    let mut app = login_app(lang);
    let id = send_pin(&mut app, "2468");
    event(
        &mut app,
        AppEvent::LoggedIn {
            request_id: id,
            result: Ok(kari()),
        },
    );
    app
}

// ------------------------------------------------------------------ update

#[test]
fn with_staff_the_till_starts_on_the_login_screen_and_the_pin_is_masked() {
    let mut app = login_app(Lang::En);
    assert_eq!(app.screen, Screen::Login);
    assert_eq!(app.prompt, Some(Prompt::LoginPin));
    // Scanning is not selling: the scanner's digits go into the PIN line, nothing is added.
    type_text(&mut app, KVIKK);
    assert!(app.basket.is_empty());
    let dbg = format!("{app:?}");
    assert!(!dbg.contains(KVIKK), "PIN in Debug: {dbg}");
    let screen = render_to_string(&app, 80, 24);
    assert!(!screen.contains(KVIKK), "PIN on screen");
    // F12 (pay) and F10 (staff) do nothing before login.
    assert!(press(&mut app, KeyCode::F(12)).is_empty());
    press(&mut app, KeyCode::F(10));
    assert_eq!(app.screen, Screen::Login);
    // Esc clears the PIN but stays on the login screen.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.input.value(), "");
    assert_eq!(app.screen, Screen::Login);
    assert_eq!(app.prompt, Some(Prompt::LoginPin));
}

#[test]
fn no_staff_means_no_login_screen() {
    let app = app();
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.prompt, None);
}

#[test]
fn login_ok_opens_the_sale_screen_and_every_sale_carries_the_cashier() {
    let mut app = logged_in(Lang::En);
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.prompt, None);
    assert_eq!(app.input.value(), "");
    assert_eq!(app.login.cashier, Some(kari()));
    assert!(toast_en(&app).contains("Kari Nordmann"));
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    let cmds = enter_text(&mut app, "91234567");
    match cmds.as_slice() {
        [Command::StartPayment { staff_id, .. }] => {
            assert_eq!(staff_id.as_deref(), Some("st002"))
        }
        other => panic!("expected StartPayment, got {other:?}"),
    }
}

#[test]
fn a_cash_sale_and_a_split_carry_the_cashier_too() {
    let mut app = logged_in(Lang::En);
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(3));
    let cmds = enter_text(&mut app, "100");
    assert!(
        matches!(cmds.as_slice(), [Command::CashSale { staff_id: Some(s), .. }] if s == "st002"),
        "{cmds:?}"
    );

    let mut app = logged_in(Lang::En);
    enter_text(&mut app, LADER);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(3));
    enter_text(&mut app, "50");
    let cmds = press(&mut app, KeyCode::F(2));
    assert!(
        matches!(
            cmds.as_slice(),
            [Command::StartSplitPayment { staff_id: Some(s), method: PayMethod::Qr, .. }] if s == "st002"
        ),
        "{cmds:?}"
    );
}

#[test]
fn a_wrong_pin_keeps_the_login_screen_with_the_reason() {
    let mut app = login_app(Lang::En);
    let id = send_pin(&mut app, "1111");
    assert!(toast_en(&app).contains("Checking"));
    event(
        &mut app,
        AppEvent::LoggedIn {
            request_id: id,
            result: Err(StaffError::WrongPin { attempts_left: 2 }.message()),
        },
    );
    assert_eq!(app.screen, Screen::Login);
    assert_eq!(app.prompt, Some(Prompt::LoginPin));
    assert_eq!(app.login.cashier, None);
    assert!(login_error(&app).en.contains("2 attempts left"));
    assert!(render_to_string(&app, 80, 24).contains("2 attempts left"));
    // The next try is a new request.
    let next = send_pin(&mut app, "2468");
    assert_ne!(next, id);
}

#[test]
fn a_lockout_is_shown_as_the_library_says_it() {
    let mut app = login_app(Lang::Nb);
    let id = send_pin(&mut app, "0000");
    event(
        &mut app,
        AppEvent::LoggedIn {
            request_id: id,
            result: Err(StaffError::LockedOut { seconds: 30 }.message()),
        },
    );
    assert_eq!(app.screen, Screen::Login);
    let t = login_error(&app);
    assert!(t.nb.contains("Vent 30 sekunder"), "{}", t.nb);
    assert!(t.en.contains("Wait 30 seconds"), "{}", t.en);
}

#[test]
fn a_second_enter_while_checking_sends_nothing_and_a_stale_answer_is_ignored() {
    let mut app = login_app(Lang::En);
    let id = send_pin(&mut app, "2468");
    assert!(enter_text(&mut app, "1357").is_empty());
    assert!(login_error(&app).en.contains("still being checked"));
    event(
        &mut app,
        AppEvent::LoggedIn {
            request_id: id + 7,
            result: Ok(kari()),
        },
    );
    assert_eq!(app.screen, Screen::Login, "an answer to another request");
    event(
        &mut app,
        AppEvent::LoggedIn {
            request_id: id,
            result: Ok(kari()),
        },
    );
    assert_eq!(app.screen, Screen::Sale);
}

#[test]
fn an_empty_pin_is_refused_on_the_screen() {
    let mut app = login_app(Lang::En);
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(login_error(&app).en.contains("type your PIN"));
}

#[test]
fn logout_is_refused_while_the_basket_has_lines() {
    let mut app = logged_in(Lang::En);
    enter_text(&mut app, KVIKK);
    let cmds = update_ctrl(&mut app, 'l');
    assert!(cmds.is_empty());
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.login.cashier, Some(kari()));
    assert!(
        toast_en(&app).contains("basket has items"),
        "{}",
        toast_en(&app)
    );
}

#[test]
fn logout_is_refused_while_a_cash_sale_is_being_recorded() {
    let mut app = logged_in(Lang::En);
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(3));
    enter_text(&mut app, "100");
    // The payment screen has no Ctrl-L; the library call refuses too.
    assert!(kasse::tui::login::logout(&mut app).is_empty());
    assert_eq!(app.login.cashier, Some(kari()));
}

#[test]
fn logout_is_refused_with_a_reason_on_the_payment_waiting_and_result_screens() {
    let mut app = logged_in(Lang::En);
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    assert_eq!(app.screen, Screen::Payment);
    assert!(update_ctrl(&mut app, 'l').is_empty());
    assert!(
        toast_en(&app).contains("basket has items"),
        "{}",
        toast_en(&app)
    );
    assert_eq!(app.input.value(), "", "Ctrl-L typed nothing");
    press(&mut app, KeyCode::F(2));
    assert_eq!(app.screen, Screen::Paying);
    assert!(update_ctrl(&mut app, 'l').is_empty());
    assert!(
        toast_en(&app).contains("payment is in progress"),
        "{}",
        toast_en(&app)
    );
    event(
        &mut app,
        AppEvent::Payment(view(kasse::tui::PaymentStatusView::Paid, 2490)),
    );
    assert_eq!(app.screen, Screen::Result);
    assert!(update_ctrl(&mut app, 'l').is_empty());
    assert!(
        toast_en(&app).contains("next sale first"),
        "{}",
        toast_en(&app)
    );
    assert_eq!(app.login.cashier, Some(kari()));
    // Next sale, empty basket: now it logs out.
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        update_ctrl(&mut app, 'l'),
        vec![Command::Logout {
            staff_id: "st002".into()
        }]
    );
}

#[test]
fn logout_journals_and_returns_to_the_login_screen() {
    let mut app = logged_in(Lang::En);
    let cmds = update_ctrl(&mut app, 'l');
    assert_eq!(
        cmds,
        vec![Command::Logout {
            staff_id: "st002".into()
        }]
    );
    assert_eq!(app.screen, Screen::Login);
    assert_eq!(app.prompt, Some(Prompt::LoginPin));
    assert_eq!(app.login.cashier, None);
    assert!(toast_en(&app).contains("Logged out"));
}

#[test]
fn logout_with_nobody_logged_in_says_so() {
    let mut app = app_en();
    assert!(update_ctrl(&mut app, 'l').is_empty());
    assert!(toast_en(&app).contains("nobody is logged in"));
}

#[test]
fn kiosk_mode_has_no_login_and_sales_stay_unattributed() {
    let mut c = ctx(Lang::En);
    c.manager_pins = true;
    c.login_required = true;
    c.cashier = Some(kari());
    c.kiosk = Some(KioskSettings {
        pin: PIN.to_string().into(),
        return_after: Duration::from_secs(10),
        idle_reset: Duration::from_secs(120),
    });
    let mut app = App::new(&c);
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.login.cashier, None);
    assert!(update_ctrl(&mut app, 'l').is_empty());
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    let cmds = enter_text(&mut app, "91234567");
    assert!(
        matches!(
            cmds.as_slice(),
            [Command::StartPayment { staff_id: None, .. }]
        ),
        "{cmds:?}"
    );
}

fn demo_logged_in() -> App {
    let mut c = ctx(Lang::Nb);
    c.demo = true;
    c.environment = kasse::tui::EnvLabel::Training;
    c.manager_pins = true;
    c.login_required = true;
    c.cashier = Some(Cashier {
        staff_id: "st001".into(),
        name: "Øvingsleder".into(),
        role: Role::Manager,
    });
    let mut app = App::new(&c);
    event(&mut app, AppEvent::Network(NetworkState::Online));
    app
}

#[test]
fn demo_logs_in_the_training_manager_automatically() {
    let mut app = demo_logged_in();
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.prompt, None);
    assert!(render_to_string(&app, 80, 24).contains("Øvingsleder (leder)"));
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    let cmds = press(&mut app, KeyCode::F(2));
    assert!(
        matches!(cmds.as_slice(), [Command::StartPayment { staff_id: Some(s), .. }] if s == "st001"),
        "{cmds:?}"
    );
}

#[test]
fn help_scrolls_at_80x24_so_every_binding_is_reachable() {
    let mut app = logged_in(Lang::Nb);
    press(&mut app, KeyCode::F(1));
    let top = render_to_string(&app, 80, 24);
    assert!(top.contains("Enter  Legg til"), "{top}");
    assert!(top.contains("mer (linje 1–"), "{top}");
    assert!(
        !top.contains("Ctrl-Q  Avslutt"),
        "the last row is below the fold"
    );
    press(&mut app, KeyCode::PageDown);
    let bottom = render_to_string(&app, 80, 24);
    assert!(bottom.contains("Ctrl-Q  Avslutt"), "{bottom}");
    assert!(bottom.contains("Ctrl-L  Logg ut"), "{bottom}");
    // Scrolling past the end stays on the last page; ↑ goes back one row.
    for _ in 0..5 {
        press(&mut app, KeyCode::PageDown);
    }
    assert_eq!(render_to_string(&app, 80, 24), bottom);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    assert!(!render_to_string(&app, 80, 24).contains("Ctrl-Q  Avslutt"));
    // At 120×40 everything fits: no scroll line.
    let big = render_to_string(&app, 120, 40);
    assert!(big.contains("Ctrl-Q  Avslutt") && big.contains("Enter  Legg til"));
    assert!(!big.contains("PgUp/PgDn: mer"));
    // Closing and reopening starts at the top again.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::F(1));
    assert_eq!(render_to_string(&app, 80, 24), top);
}

fn update_ctrl(app: &mut App, c: char) -> Vec<Command> {
    kasse::tui::update(app, ctrl(c))
}

// ------------------------------------------------------------------ snapshots

#[test]
fn snapshot_login_screen() {
    let mut app = login_app(Lang::Nb);
    type_text(&mut app, "24");
    snap_both("login_screen_nb", &app);
    let app = login_app(Lang::En);
    snap_both("login_screen_en", &app);
}

#[test]
fn snapshot_login_wrong_pin() {
    let mut app = login_app(Lang::En);
    let id = send_pin(&mut app, "1111");
    event(
        &mut app,
        AppEvent::LoggedIn {
            request_id: id,
            result: Err(StaffError::WrongPin { attempts_left: 2 }.message()),
        },
    );
    snap_both("login_wrong_pin", &app);
}

#[test]
fn snapshot_login_locked() {
    let mut app = login_app(Lang::Nb);
    let id = send_pin(&mut app, "1111");
    event(
        &mut app,
        AppEvent::LoggedIn {
            request_id: id,
            result: Err(StaffError::LockedOut { seconds: 60 }.message()),
        },
    );
    snap_both("login_locked", &app);
}

#[test]
fn snapshot_sale_with_the_cashier_in_the_status_bar() {
    let mut app = logged_in(Lang::Nb);
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, COLA);
    // Past the "logged in" toast.
    tick(&mut app, 5);
    snap_both("sale_with_cashier", &app);
}

#[test]
fn snapshot_demo_sale_and_login_after_logout() {
    let mut app = demo_logged_in();
    tick(&mut app, 5);
    snap_both("demo_sale_logged_in", &app);
    update_ctrl(&mut app, 'l');
    tick(&mut app, 5);
    snap_both("demo_login_screen", &app);
}

#[test]
fn snapshot_demo_staff_menu_shows_the_training_pin() {
    let mut app = demo_logged_in();
    press(&mut app, KeyCode::F(10));
    snap_both("demo_staff_menu", &app);
}

#[test]
fn snapshot_help_overlay_scrolled() {
    let mut app = logged_in(Lang::Nb);
    tick(&mut app, 5);
    press(&mut app, KeyCode::F(1));
    snap_both("help_sale_top", &app);
    press(&mut app, KeyCode::PageDown);
    snap_both("help_sale_scrolled", &app);
}
