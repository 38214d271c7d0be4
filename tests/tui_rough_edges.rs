#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The rough edges of issue #16 on the cashier's screen, as pure `update()` / `view` tests:
//! the hint line's order and Ctrl-C, quantity bounds, result screens of failed sales, the QR
//! screen's header and hints, search without accents, staff menu digits, the manager PIN
//! window.

mod common;
use common::tui as tui_support;
use kasse::domain::staff::Role;
use kasse::lang::Lang;
use kasse::tui::app::{ManagerAction, PayKind, Prompt, Screen, ToastKind};
use kasse::tui::view::render_to_string;
use kasse::tui::{AppEvent, Cashier, Command, PaymentStatusView, ScreenRules, update};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

/// The hint line: the row above the status bar.
fn hint_line(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    lines[lines.len() - 2].to_string()
}

fn error_text(app: &kasse::tui::App) -> String {
    let t = app.toast.as_ref().expect("a message");
    assert_eq!(t.kind, ToastKind::Error, "{t:?}");
    t.text.get(app.lang).to_string()
}

// ---------------------------------------------------------------- item 2

#[test]
fn pay_and_help_come_first_in_the_hint_line_at_every_width() {
    let app = app();
    for (w, h) in [(80, 24), (100, 30), (120, 40)] {
        let hints = hint_line(&render_to_string(&app, w, h));
        let pay = hints.find("F12").expect(&hints);
        let help = hints.find("F1 ").expect(&hints);
        assert!(pay < help, "{hints}");
        assert!(
            hints.trim_start().starts_with("F12"),
            "{w}×{h}: pay is not first: {hints}"
        );
    }
}

#[test]
fn ctrl_c_says_which_key_quits() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    assert!(update(&mut app, ctrl('c')).is_empty(), "Ctrl-C never quits");
    let t = app.toast.as_ref().expect("a message");
    assert_eq!(t.kind, ToastKind::Info);
    assert_eq!(t.text.nb, "Ctrl-Q avslutter");
    assert_eq!(t.text.en, "Ctrl-Q quits");
    assert!(render_to_string(&app, 80, 24).contains("Ctrl-Q avslutter"));
    // A kiosk's customer is not told how to quit.
    let mut kiosk = kiosk_app();
    update(&mut kiosk, ctrl('c'));
    assert!(kiosk.toast.is_none());
}

// ---------------------------------------------------------------- item 3

#[test]
fn a_count_over_the_maximum_is_refused_naming_it() {
    let mut app = app();
    enter_text(&mut app, &format!("1000*{KVIKK}"));
    assert!(app.basket.is_empty());
    let e = error_text(&app);
    assert!(e.contains("999"), "{e}");
    assert!(e.contains("Antall"), "{e}");
    // The input is kept to be corrected; Esc clears it.
    assert_eq!(app.input.value(), format!("1000*{KVIKK}"));
    press(&mut app, KeyCode::Esc);
    // Within the maximum it is added, and shown whole.
    enter_text(&mut app, &format!("999*{KVIKK}"));
    assert_eq!(app.basket.lines()[0].quantity.milli(), 999_000);
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("999 stk"), "{screen}");
    // One more on the same line would pass the maximum.
    enter_text(&mut app, KVIKK);
    assert_eq!(app.basket.lines()[0].quantity.milli(), 999_000);
    assert!(error_text(&app).contains("999"));
}

#[test]
fn the_maximum_is_configurable() {
    let mut c = ctx(Lang::En);
    c.rules = ScreenRules {
        max_quantity: 20,
        ..ScreenRules::default()
    };
    let mut app = kasse::tui::App::new(&c);
    enter_text(&mut app, &format!("21*{KVIKK}"));
    assert!(app.basket.is_empty());
    assert!(error_text(&app).contains("1 to 20"));
    press(&mut app, KeyCode::Esc);
    enter_text(&mut app, &format!("20*{KVIKK}"));
    assert_eq!(app.basket.lines()[0].quantity.milli(), 20_000);
}

#[test]
fn a_typed_quantity_over_the_maximum_is_refused_not_cut() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(3));
    assert_eq!(app.prompt, Some(Prompt::Quantity));
    enter_text(&mut app, "12345");
    assert_eq!(app.basket.lines()[0].quantity.milli(), 1000);
    let e = error_text(&app);
    assert!(e.contains("12345") && e.contains("999"), "{e}");
    let screen = render_to_string(&app, 80, 24);
    assert!(!screen.contains("345 stk"), "{screen}");
    // Zero is the same quantity error.
    enter_text(&mut app, "0");
    assert!(error_text(&app).contains("fra 1 til 999"));
}

#[test]
fn zero_times_is_a_quantity_error_not_a_search() {
    let mut app = app();
    enter_text(&mut app, &format!("0*{KVIKK}"));
    assert!(app.search.is_none(), "became a name search");
    assert!(app.basket.is_empty());
    assert!(error_text(&app).contains("Antall «0»"));
}

#[test]
fn a_discount_over_100_percent_says_at_most_100() {
    let mut app = app_en();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(5));
    assert_eq!(app.prompt, Some(Prompt::Discount));
    enter_text(&mut app, "150%");
    assert!(error_text(&app).contains("at most 100 %"));
    let mut app = tui_support::app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(5));
    enter_text(&mut app, "150%");
    assert!(error_text(&app).contains("høyst 100 %"));
}

// ---------------------------------------------------------------- item 5

fn result_app(status: PaymentStatusView) -> kasse::tui::App {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    app.screen = Screen::Paying;
    app.pay_kind = Some(PayKind::Push {
        to: "91234567".into(),
    });
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::WaitingForCustomer, 2490)),
    );
    let mut v = view(status, 2490);
    v.receipt_number = Some("R-000777".into());
    event(&mut app, AppEvent::Payment(v));
    assert_eq!(app.screen, Screen::Result);
    app
}

#[test]
fn a_failed_sale_has_no_receipt_and_enter_goes_back_to_the_basket() {
    for status in [
        PaymentStatusView::Rejected,
        PaymentStatusView::Failed,
        PaymentStatusView::Expired,
        PaymentStatusView::Cancelled,
    ] {
        let mut app = result_app(status);
        for (w, h) in [(80, 24), (120, 40)] {
            let s = render_to_string(&app, w, h);
            assert!(!s.contains("R-000777"), "{status:?}: receipt number\n{s}");
            assert!(
                !s.contains("Kvitteringskopi"),
                "{status:?}: no copy to print\n{s}"
            );
            assert!(!s.contains("Kvittering"), "{status:?}: receipt panel\n{s}");
            assert!(s.contains("Enter: tilbake til kurven"), "{s}");
            assert!(hint_line(&s).contains("Tilbake til kurven"), "{s}");
            assert!(!s.contains("neste salg"), "{s}");
        }
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.screen, Screen::Sale);
        assert_eq!(app.basket.len(), 1, "the basket is kept");
    }
}

#[test]
fn a_paid_sale_shows_its_receipt_and_enter_starts_the_next_sale() {
    let mut app = result_app(PaymentStatusView::Paid);
    let s = render_to_string(&app, 80, 24);
    assert!(s.contains("R-000777"), "{s}");
    assert!(s.contains("Kvittering"), "{s}");
    assert!(s.contains("Enter: neste salg"), "{s}");
    assert!(hint_line(&s).contains("Neste salg"), "{s}");
    press(&mut app, KeyCode::Enter);
    assert!(app.basket.is_empty());
}

// ---------------------------------------------------------------- item 10

#[test]
fn the_qr_screen_header_and_every_key_fit() {
    let mut app = demo_app();
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, COLA);
    app.screen = Screen::Paying;
    app.pay_kind = Some(PayKind::Qr);
    let mut v = view(PaymentStatusView::WaitingForCustomer, 5780);
    v.qr_payload = Some(QR_URL.into());
    event(&mut app, AppEvent::Payment(v));
    for (w, h) in [(80, 24), (120, 40)] {
        let s = render_to_string(&app, w, h);
        assert!(s.contains('▀') || s.contains('▄'), "no QR at {w}×{h}:\n{s}");
        assert!(!s.contains("ingen ekte beta\n"), "header cut:\n{s}");
        assert!(s.contains("ØVING"), "{s}");
        for k in ["Esc ", "F1 ", "F5 ", "F6 ", "F7 "] {
            let in_hints = s
                .lines()
                .rev()
                .skip(1)
                .take(3)
                .any(|l| l.contains(&format!(" {k}")));
            assert!(in_hints, "{k} missing from the hints at {w}×{h}:\n{s}");
        }
    }
}

#[test]
fn big_change_digits_keep_their_columns() {
    let rows = kasse::tui::view::big_amount(
        kasse::domain::money::Money::new(4200, kasse::domain::money::Currency::Nok),
        80,
    )
    .unwrap();
    let widths: Vec<usize> = rows.iter().map(|r| r.chars().count()).collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "{rows:?}");
    // On screen: the rows start at the same column (a leading blank is kept).
    let mut app = app();
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, COLA);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(3));
    enter_text(&mut app, "100");
    event(
        &mut app,
        AppEvent::CashSale(Ok(kasse::tui::msg::CashSaleDone {
            receipt_number: "s1-t1-000001".into(),
            total: kasse::domain::money::Money::new(5780, kasse::domain::money::Currency::Nok),
            received: kasse::domain::money::Money::new(10000, kasse::domain::money::Currency::Nok),
            change: kasse::domain::money::Money::new(4200, kasse::domain::money::Currency::Nok),
        })),
    );
    let s = render_to_string(&app, 80, 24);
    let starts: Vec<usize> = s
        .lines()
        .filter(|l| l.contains('▀') || l.contains('█'))
        .map(|l| {
            let inner: String = l.chars().skip(1).take(46).collect();
            let trimmed = inner.trim_end();
            trimmed.chars().count()
        })
        .collect();
    assert_eq!(starts.len(), 3, "{s}");
    assert!(
        starts.iter().all(|e| *e == starts[0]),
        "big digits sheared: {starts:?}\n{s}"
    );
}

// ---------------------------------------------------------------- item 8

#[test]
fn search_ignores_accents_and_case() {
    for q in ["polse", "PØLSE", "pølse"] {
        let mut app = app();
        enter_text(&mut app, q);
        let s = app.search.as_ref().expect("a search");
        let names: Vec<&str> = s
            .hits
            .iter()
            .filter_map(|i| app.catalog.get(*i))
            .map(|p| p.name.as_str())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("Pølse")),
            "{q}: {names:?}"
        );
    }
    let mut app = app();
    enter_text(&mut app, "smagodt");
    assert!(!app.search.as_ref().unwrap().hits.is_empty());
}

#[test]
fn the_staff_menu_takes_digits() {
    let mut app = managed_app();
    press(&mut app, KeyCode::F(10));
    assert_eq!(app.screen, Screen::Staff);
    let cmds = type_text(&mut app, "2");
    assert_eq!(app.screen, Screen::Report, "2 = the X report");
    assert!(
        matches!(cmds.as_slice(), [Command::XReport { .. }]),
        "{cmds:?}"
    );
    // A digit with no entry does nothing.
    let mut app = managed_app();
    press(&mut app, KeyCode::F(10));
    type_text(&mut app, "9");
    assert_eq!(app.screen, Screen::Staff);
}

/// A till with staff: the manager logs in with `pin`.
fn manager_logged_in(window_secs: u64) -> kasse::tui::App {
    let mut c = ctx(Lang::En);
    c.manager_pins = true;
    c.login_required = true;
    c.rules = ScreenRules {
        manager_pin_window: std::time::Duration::from_secs(window_secs),
        ..ScreenRules::default()
    };
    let mut app = kasse::tui::App::new(&c);
    assert_eq!(app.screen, Screen::Login);
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let Some(Command::Login { request_id, .. }) = cmds.first() else {
        panic!("{cmds:?}");
    };
    let request_id = *request_id;
    event(
        &mut app,
        AppEvent::LoggedIn {
            request_id,
            result: Ok(Cashier {
                staff_id: "st001".into(),
                name: "Mona Leder".into(),
                role: Role::Manager,
            }),
        },
    );
    assert_eq!(app.screen, Screen::Sale);
    app
}

#[test]
fn a_logged_in_manager_is_not_asked_again_within_the_window() {
    let mut app = manager_logged_in(300);
    enter_text(&mut app, KVIKK);
    // F4 (price override) is manager-only: the PIN goes without a prompt.
    let cmds = press(&mut app, KeyCode::F(4));
    match cmds.as_slice() {
        [Command::VerifyManagerPin { pin, .. }] => {
            assert_eq!(pin.expose(), MANAGER_PIN);
        }
        other => panic!("expected the PIN to be given, got {other:?}"),
    }
    assert_ne!(app.prompt, Some(Prompt::ManagerPin));
    // Debug never shows it.
    assert!(!format!("{app:?}").contains(MANAGER_PIN));
    let request_id = app.manager.next_request_id;
    event(
        &mut app,
        AppEvent::ManagerPin {
            request_id,
            ok: true,
            reason: None,
        },
    );
    assert_eq!(app.prompt, Some(Prompt::Price));
    press(&mut app, KeyCode::Esc);

    // After the window (no use for 301 s) it asks again.
    tick(&mut app, 301);
    assert!(press(&mut app, KeyCode::F(4)).is_empty());
    assert_eq!(app.prompt, Some(Prompt::ManagerPin));
    assert_eq!(
        app.manager.asking,
        Some(ManagerAction::PriceOverride { line: 0 })
    );
}

#[test]
fn a_zero_window_always_asks() {
    let mut app = manager_logged_in(0);
    enter_text(&mut app, KVIKK);
    assert!(press(&mut app, KeyCode::F(4)).is_empty());
    assert_eq!(app.prompt, Some(Prompt::ManagerPin));
}

// ---------------------------------------------------------------- item 4

#[test]
fn ctrl_q_with_a_basket_asks_and_esc_goes_on_selling() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    assert!(
        update(&mut app, ctrl('q')).is_empty(),
        "quit without asking"
    );
    assert_eq!(app.mode(), kasse::tui::keymap::Mode::Ask);
    let s = render_to_string(&app, 80, 24);
    assert!(s.contains("Avslutte med varer i kurven?"), "{s}");
    assert!(s.contains("F8: parker kurven og avslutt"), "{s}");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), kasse::tui::keymap::Mode::Sale);
    assert_eq!(app.basket.len(), 1);
    // An empty basket quits at once.
    let mut empty = tui_support::app();
    assert_eq!(update(&mut empty, ctrl('q')), vec![Command::Quit]);
}

#[test]
fn ctrl_q_then_f8_parks_and_quits_once_the_journal_has_it() {
    let mut app = app();
    let mut engine = FakeEngine::default();
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, COLA);
    update(&mut app, ctrl('q'));
    let cmds = press(&mut app, KeyCode::F(8));
    assert!(
        matches!(cmds.as_slice(), [Command::ParkBasket { name, .. }] if name == "Kurv 13:00"),
        "{cmds:?}"
    );
    assert!(!app.quitting, "not before the journal answers");
    let sent = drive(&mut app, &mut engine, cmds);
    assert_eq!(sent.last(), Some(&Command::Quit));
    assert_eq!(engine.parked.len(), 1);
    assert_eq!(engine.parked[0].2.len(), 2);
}

#[test]
fn ctrl_q_then_delete_voids_journaled_and_quits() {
    let mut app = app();
    let mut engine = FakeEngine::default();
    enter_text(&mut app, KVIKK);
    update(&mut app, ctrl('q'));
    let cmds = press(&mut app, KeyCode::Delete);
    assert!(
        matches!(cmds.as_slice(), [Command::VoidBasket { basket, .. }] if basket.len() == 1),
        "{cmds:?}"
    );
    let sent = drive(&mut app, &mut engine, cmds);
    assert_eq!(sent.last(), Some(&Command::Quit));
}

#[test]
fn a_failed_journal_write_does_not_quit_and_keeps_the_basket() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    update(&mut app, ctrl('q'));
    press(&mut app, KeyCode::Delete);
    let cmds = event(
        &mut app,
        AppEvent::Voided(Err(kasse::lang::Text::new("disken er full", "disk full"))),
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(!app.quitting);
    assert_eq!(app.basket.len(), 1);
    assert!(error_text(&app).contains("disken er full"));
}

#[test]
fn ctrl_d_voids_the_whole_basket_after_asking() {
    let mut app = app();
    let mut engine = FakeEngine::default();
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, COLA);
    assert!(update(&mut app, ctrl('d')).is_empty());
    let s = render_to_string(&app, 120, 40);
    assert!(s.contains("Annullere hele kurven?"), "{s}");
    assert!(s.contains("Kurven har 2 linjer, kr 57,80."), "{s}");
    let cmds = press(&mut app, KeyCode::Delete);
    let sent = drive(&mut app, &mut engine, cmds);
    assert!(!sent.contains(&Command::Quit));
    assert!(app.basket.is_empty());
    assert_eq!(app.toast.as_ref().unwrap().kind, ToastKind::Info);
    // The kiosk's customer cannot void.
    let mut kiosk = kiosk_app();
    enter_text(&mut kiosk, KVIKK);
    assert!(update(&mut kiosk, ctrl('d')).is_empty());
    assert_eq!(kiosk.basket.len(), 1);
}

#[test]
fn several_named_baskets_are_listed_and_any_can_be_recalled() {
    let mut app = app();
    let mut engine = FakeEngine::default();
    for (code, name) in [(KVIKK, "Ola"), (COLA, ""), (AVIS, "Kari")] {
        enter_text(&mut app, code);
        press(&mut app, KeyCode::F(8));
        let cmds = enter_text(&mut app, name);
        drive(&mut app, &mut engine, cmds);
        assert!(app.basket.is_empty());
    }
    let names: Vec<&str> = app.park.list.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Ola", "Kurv 13:00", "Kari"]);
    press(&mut app, KeyCode::F(9));
    let s = render_to_string(&app, 80, 24);
    assert!(s.contains("Parkerte kurver"), "{s}");
    assert!(s.contains("Kari"), "{s}");
    press(&mut app, KeyCode::Down);
    let cmds = press(&mut app, KeyCode::Enter);
    drive(&mut app, &mut engine, cmds);
    assert_eq!(app.basket.lines()[0].name, "Coca-Cola 0,5 l");
    assert_eq!(app.park.list.len(), 2);
    assert!(render_to_string(&app, 80, 24).contains("Parkerte kurver: 2"));
}

#[test]
fn park_screens_at_both_sizes() {
    let mut app = app();
    let mut engine = FakeEngine::default();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(8));
    let cmds = enter_text(&mut app, "Ola");
    drive(&mut app, &mut engine, cmds);
    enter_text(&mut app, COLA);
    enter_text(&mut app, AVIS);
    press(&mut app, KeyCode::F(8));
    let cmds = enter_text(&mut app, "");
    drive(&mut app, &mut engine, cmds);
    app.toast = None;
    press(&mut app, KeyCode::F(9));
    insta::assert_snapshot!("parked_list_80x24", render_to_string(&app, 80, 24));
    insta::assert_snapshot!("parked_list_120x40", render_to_string(&app, 120, 40));
    press(&mut app, KeyCode::Enter);
    let cmds = press(&mut app, KeyCode::Esc);
    assert!(cmds.is_empty());
    let mut app = tui_support::app();
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, COLA);
    update(&mut app, ctrl('q'));
    insta::assert_snapshot!("ask_quit_80x24", render_to_string(&app, 80, 24));
    insta::assert_snapshot!("ask_quit_120x40", render_to_string(&app, 120, 40));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::F(8));
    insta::assert_snapshot!("park_name_prompt_80x24", render_to_string(&app, 80, 24));
    insta::assert_snapshot!("park_name_prompt_120x40", render_to_string(&app, 120, 40));
}

// ---------------------------------------------------------------- item 9

#[test]
fn the_phone_hint_names_the_countries_the_api_takes() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    enter_text(&mut app, "123");
    let e = error_text(&app);
    assert!(e.contains("8 siffer"), "{e}");
    assert!(
        e.contains("Danmark (+45") && e.contains("Finland (+358)"),
        "{e}"
    );
    let mut c = ctx(Lang::Nb);
    c.vipps_api = kasse::domain::money::VippsApi::Ecom;
    let mut app = kasse::tui::App::new(&c);
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    enter_text(&mut app, "123");
    let e = error_text(&app);
    assert!(e.contains("bare norske nummer"), "{e}");
    assert!(!e.contains("Danmark"), "{e}");
}

// ---------------------------------------------------------------- item 7

#[test]
fn the_kiosk_speaks_to_the_customer_and_shows_no_staff_keys() {
    let mut app = kiosk_app();
    enter_text(&mut app, KVIKK);
    for (w, h) in [(80, 24), (120, 40)] {
        let s = render_to_string(&app, w, h);
        assert!(!s.contains("Ctrl-Q"), "{s}");
        assert!(!s.contains("F8") && !s.contains("F10"), "{s}");
    }
    press(&mut app, KeyCode::F(12));
    assert_eq!(app.screen, Screen::Payment);
    let s = render_to_string(&app, 80, 24);
    assert!(s.contains("Skriv inn mobilnummeret ditt"), "{s}");
    assert!(s.contains("Mobilnummeret ditt"), "{s}");
    assert!(!s.contains("kunde"), "cashier's words on a kiosk:\n{s}");
    assert!(!s.contains("Kontant"), "{s}");
    assert!(!s.contains("Ctrl-Q"), "{s}");
    insta::assert_snapshot!("kiosk_payment_80x24", s);
    insta::assert_snapshot!("kiosk_payment_120x40", render_to_string(&app, 120, 40));
    enter_text(&mut app, "123");
    let e = error_text(&app);
    assert!(e.contains("mobilnummeret ditt"), "{e}");
    assert!(!e.contains("kunde"), "{e}");
}

#[test]
fn wrong_staff_pins_block_only_the_pin_and_say_so_the_same_way() {
    let mut app = kiosk_app();
    enter_text(&mut app, KVIKK);
    for _ in 0..3 {
        update(&mut app, ctrl('q'));
        assert_eq!(app.prompt, Some(Prompt::KioskPin));
        enter_text(&mut app, "0000");
    }
    let e = error_text(&app);
    assert!(e.contains("sperret i 60 s"), "{e}");
    assert!(e.contains("Salget går som vanlig"), "{e}");
    // The customer keeps shopping: the basket and the sale screen are untouched.
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.basket.len(), 1);
    enter_text(&mut app, COLA);
    assert_eq!(app.basket.len(), 2);
    // Ctrl-Q while blocked: no prompt, the same words with the time left.
    tick(&mut app, 20);
    update(&mut app, ctrl('q'));
    assert_eq!(app.prompt, None);
    let e = error_text(&app);
    assert!(e.contains("sperret i 40 s"), "{e}");
    // After the minute the staff PIN works again.
    tick(&mut app, 41);
    update(&mut app, ctrl('q'));
    assert_eq!(app.prompt, Some(Prompt::KioskPin));
    assert_eq!(enter_text(&mut app, PIN), vec![Command::Quit]);
}

#[test]
fn the_kiosk_idle_reset_is_configurable() {
    let mut c = ctx(Lang::Nb);
    c.kiosk = Some(kasse::tui::KioskSettings {
        pin: PIN.to_string().into(),
        return_after: std::time::Duration::from_secs(10),
        idle_reset: std::time::Duration::from_secs(30),
    });
    let mut app = kasse::tui::App::new(&c);
    enter_text(&mut app, KVIKK);
    tick(&mut app, 29);
    assert_eq!(app.basket.len(), 1);
    tick(&mut app, 2);
    assert!(app.basket.is_empty(), "cleared after the configured 30 s");
}

#[test]
fn the_manager_pin_window_covers_the_staff_menu_too() {
    let mut app = manager_logged_in(300);
    press(&mut app, KeyCode::F(10));
    // 3 = Z report (manager): after the count (Enter on an empty line: none) the close-day
    // command carries the manager's PIN at once.
    assert!(type_text(&mut app, "3").is_empty());
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Command::CloseDay { pin, .. }] if pin.expose() == MANAGER_PIN),
        "{cmds:?}"
    );
    assert_ne!(app.prompt, Some(Prompt::ManagerPin));
    // Logging out forgets the PIN.
    let mut app = manager_logged_in(300);
    update(&mut app, ctrl('l'));
    assert!(app.pin_window.open.is_none());
}
