#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every screen state at 80×24 and 120×40 with a fixed clock (2026-11-21 12:00 UTC, shown as
//! 13:00 local). Regenerate with `INSTA_UPDATE=always cargo test --test tui_snapshots`, then
//! read every changed `.snap` before committing.

mod common;
use common::tui as tui_support;
use kasse::domain::basket::{OrderLine, Quantity};
use kasse::domain::money::Money;
use kasse::domain::vat::VatRate;
use kasse::lang::Text;
use kasse::tui::view::render_to_string;
use kasse::tui::{App, AppEvent, NetworkState, PaymentStatusView, RecoveredSale};
use ratatui::crossterm::event::KeyCode;
use std::time::Duration;
use tui_support::*;

fn snap_both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render_to_string(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render_to_string(app, 120, 40));
}

fn with_items(mut app: App, codes: &[&str]) -> App {
    for c in codes {
        enter_text(&mut app, c);
    }
    app
}

fn waiting(mut app: App, qr: bool, v: kasse::tui::PaymentView) -> App {
    press(&mut app, KeyCode::F(12));
    if qr {
        press(&mut app, KeyCode::F(2));
    } else {
        enter_text(&mut app, "91234567");
    }
    event(&mut app, AppEvent::Payment(v));
    event(&mut app, AppEvent::Network(NetworkState::Online));
    app
}

#[test]
fn sale_empty_basket() {
    snap_both("sale_empty_basket", &app());
}

#[test]
fn sale_long_names_are_truncated() {
    let mut app = app();
    for name in [
        "Økologisk kaldpresset eplejuice fra Hardanger, 1 liter glassflaske med pant",
        "Kort",
    ] {
        app.basket
            .add(OrderLine {
                product_id: "999".to_string(),
                name: name.to_string(),
                quantity: Quantity::pieces(12).unwrap(),
                unit_price: Money::nok(123_456),
                discount: Money::nok(0),
                vat: VatRate::FOOD,
                is_return: false,
            })
            .unwrap();
    }
    app.selected = Some(0);
    snap_both("sale_long_names_are_truncated", &app);
}

#[test]
fn sale_shows_vat_per_rate_with_discount_and_return() {
    let mut app = with_items(app(), &[KVIKK, KVIKK, AVIS, BILLETT, LADER, COLA]);
    press(&mut app, KeyCode::F(5));
    enter_text(&mut app, "10%");
    press(&mut app, KeyCode::F(6));
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    snap_both("sale_shows_vat_per_rate_with_discount_and_return", &app);
}

#[test]
fn sale_in_english() {
    let app = with_items(app_en(), &[KVIKK, AVIS, BILLETT, LADER]);
    snap_both("sale_in_english", &app);
}

#[test]
fn sale_weighed_item_and_weight_prompt() {
    let mut app = with_items(app(), &["1017"]);
    enter_text(&mut app, "0,450");
    enter_text(&mut app, "1017");
    type_text(&mut app, "0,2");
    snap_both("sale_weighed_item_and_weight_prompt", &app);
}

#[test]
fn sale_search_results() {
    let mut app = app();
    enter_text(&mut app, "0,5");
    snap_both("sale_search_results", &app);
}

#[test]
fn sale_prompt_and_error_toast() {
    let mut app = with_items(app(), &[KVIKK]);
    press(&mut app, KeyCode::F(4));
    enter_text(&mut app, "tjue");
    snap_both("sale_prompt_and_error_toast", &app);
}

#[test]
fn sale_parked_basket_count() {
    let mut app = with_items(app(), &[KVIKK]);
    park(&mut app, &mut FakeEngine::default(), "");
    let app = with_items(app, &[COLA]);
    snap_both("sale_parked_basket_count", &app);
}

#[test]
fn payment_choose_push_or_qr() {
    let mut app = with_items(app(), &[KVIKK, COLA]);
    press(&mut app, KeyCode::F(12));
    type_text(&mut app, "912 34");
    snap_both("payment_choose_push_or_qr", &app);
}

#[test]
fn push_waiting_for_customer_phase1() {
    let mut v = view(PaymentStatusView::WaitingForCustomer, 5780);
    v.open_left = Some(Duration::from_secs(272));
    let app = waiting(with_items(app(), &[KVIKK, COLA]), false, v);
    snap_both("push_waiting_for_customer_phase1", &app);
}

/// ePayment: the till cannot see when the customer opens the push, so the second gauge is the
/// latest possible end (created + 10 min), not an "approve" countdown.
#[test]
fn epayment_push_waiting_shows_time_to_open_and_latest_end() {
    let mut v = view(PaymentStatusView::WaitingForCustomer, 5780);
    v.open_signal = false;
    v.open_left = Some(Duration::from_secs(272));
    v.approve_left = Some(Duration::from_secs(572));
    let app = waiting(with_items(app(), &[KVIKK, COLA]), false, v);
    snap_both(
        "epayment_push_waiting_shows_time_to_open_and_latest_end",
        &app,
    );
}

#[test]
fn push_creating() {
    let mut app = with_items(app(), &[KVIKK]);
    press(&mut app, KeyCode::F(12));
    enter_text(&mut app, "91234567");
    snap_both("push_creating", &app);
}

#[test]
fn qr_waiting_in_training_mode() {
    let mut v = view(PaymentStatusView::WaitingForCustomer, 5780);
    v.open_left = Some(Duration::from_secs(299));
    v.qr_payload = Some(QR_URL.to_string());
    let app = waiting(with_items(demo_app(), &[KVIKK, COLA]), true, v);
    snap_both("qr_waiting_in_training_mode", &app);
}

#[test]
fn phase2_countdown_waiting_for_approval() {
    let mut v = view(PaymentStatusView::WaitingForApproval, 5780);
    v.approve_left = Some(Duration::from_secs(190));
    let app = waiting(with_items(app(), &[KVIKK, COLA]), false, v);
    snap_both("phase2_countdown_waiting_for_approval", &app);
}

#[test]
fn approved_after_cancel_asks_to_decide() {
    let mut v = view(PaymentStatusView::WaitingForApproval, 5780);
    v.approve_left = Some(Duration::from_secs(100));
    let mut app = waiting(with_items(app(), &[KVIKK, COLA]), false, v);
    press(&mut app, KeyCode::Esc);
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::AuthorizedAfterCancel, 5780)),
    );
    snap_both("approved_after_cancel_asks_to_decide", &app);
}

#[test]
fn capturing_after_approval() {
    let app = waiting(
        with_items(app(), &[KVIKK, COLA]),
        false,
        view(PaymentStatusView::Capturing, 5780),
    );
    snap_both("capturing_after_approval", &app);
}

#[test]
fn cancelling_in_progress() {
    let mut v = view(PaymentStatusView::WaitingForCustomer, 5780);
    v.open_left = Some(Duration::from_secs(120));
    let mut app = waiting(with_items(app(), &[KVIKK, COLA]), false, v);
    press(&mut app, KeyCode::Esc);
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Cancelling, 5780)),
    );
    snap_both("cancelling_in_progress", &app);
}

fn result(status: PaymentStatusView, reason: Option<Text>, receipt: Option<&str>) -> App {
    let mut app = waiting(
        with_items(app(), &[KVIKK, COLA, AVIS]),
        false,
        view(PaymentStatusView::WaitingForCustomer, 10280),
    );
    let mut v = view(status, 10280);
    v.reason = reason;
    v.receipt_number = receipt.map(str::to_string);
    event(&mut app, AppEvent::Payment(v));
    app
}

#[test]
fn result_paid_with_receipt() {
    snap_both(
        "result_paid_with_receipt",
        &result(PaymentStatusView::Paid, None, Some("000123")),
    );
}

#[test]
fn result_rejected_with_reason() {
    snap_both(
        "result_rejected_with_reason",
        &result(
            PaymentStatusView::Rejected,
            Some(Text::new(
                "Kunden avviste betalingen i appen.",
                "The customer rejected the payment in the app.",
            )),
            None,
        ),
    );
}

#[test]
fn result_expired() {
    snap_both(
        "result_expired",
        &result(
            PaymentStatusView::Expired,
            Some(Text::new(
                "Kunden svarte ikke innen 10 minutter.",
                "The customer did not answer within 10 minutes.",
            )),
            None,
        ),
    );
}

#[test]
fn result_failed_with_error_reason() {
    snap_both(
        "result_failed_with_error_reason",
        &result(
            PaymentStatusView::Failed,
            Some(Text::new(
                "Vipps svarte 400: beløpet er under minstebeløpet (feil 6010).",
                "Vipps answered 400: the amount is below the minimum (error 6010).",
            )),
            None,
        ),
    );
}

/// Vipps refused the push (7010: the number cannot pay shops): the result offers a QR code
/// for the same sale, on the screen and in the hint line.
#[test]
fn result_push_refused_offers_qr_for_the_same_sale() {
    let mut app = waiting(
        with_items(app(), &[KVIKK, COLA, AVIS]),
        false,
        view(PaymentStatusView::Creating, 10280),
    );
    let mut v = view(PaymentStatusView::Failed, 10280);
    v.reason = Some(Text::new(
        "Nummeret kan ikke betale butikker med Vipps (ikke Vipps-bruker, eller ikke tillatt). Vis QR-kode i stedet, eller velg annen betaling.",
        "The number cannot pay shops with Vipps (not a Vipps user, or not allowed). Show a QR code instead, or choose another payment method.",
    ));
    v.qr_fallback = true;
    event(&mut app, AppEvent::Payment(v));
    assert!(app.qr_fallback_offered());
    snap_both("result_push_refused_offers_qr_for_the_same_sale", &app);
}

#[test]
fn engine_error_toast_on_sale() {
    let mut app = with_items(app(), &[KVIKK]);
    event(
        &mut app,
        AppEvent::Error(Text::new(
            "Kunne ikke lagre salget: disken er full. Frigjør plass og prøv igjen.",
            "Could not save the sale: the disk is full. Free some space and try again.",
        )),
    );
    snap_both("engine_error_toast_on_sale", &app);
}

#[test]
fn offline_with_queued_and_dead_rows() {
    let mut app = with_items(app(), &[KVIKK]);
    event(&mut app, AppEvent::Network(NetworkState::Offline));
    event(
        &mut app,
        AppEvent::Outbox {
            pending: 4,
            dead: 1,
        },
    );
    snap_both("offline_with_queued_and_dead_rows", &app);
}

/// A create sent, no answer yet: the status bar says Vipps is not answering (not "online",
/// not "offline"), and the warning line tells the cashier not to charge again.
#[test]
fn creating_while_vipps_is_not_answering() {
    let v = view(PaymentStatusView::Creating, 2490);
    let mut app = waiting(with_items(app(), &[KVIKK]), false, v);
    event(&mut app, AppEvent::Network(NetworkState::NotAnswering));
    snap_both("creating_while_vipps_is_not_answering", &app);
}

#[test]
fn help_overlay_for_sale() {
    let mut app = app();
    press(&mut app, KeyCode::F(1));
    snap_both("help_overlay_for_sale", &app);
}

#[test]
fn help_overlay_in_training_while_waiting() {
    let mut v = view(PaymentStatusView::WaitingForCustomer, 2490);
    v.open_left = Some(Duration::from_secs(200));
    let mut app = waiting(with_items(demo_app(), &[KVIKK]), false, v);
    press(&mut app, KeyCode::F(1));
    snap_both("help_overlay_in_training_while_waiting", &app);
}

#[test]
fn kiosk_start_screen() {
    snap_both("kiosk_start_screen", &kiosk_app());
}

#[test]
fn kiosk_help_hides_staff_functions() {
    let mut app = kiosk_app();
    press(&mut app, KeyCode::F(1));
    snap_both("kiosk_help_hides_staff_functions", &app);
}

#[test]
fn kiosk_result_counts_down_to_start() {
    let mut app = waiting(
        with_items(kiosk_app(), &[KVIKK]),
        false,
        view(PaymentStatusView::WaitingForCustomer, 2490),
    );
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Paid, 2490)),
    );
    tick(&mut app, 3);
    snap_both("kiosk_result_counts_down_to_start", &app);
}

#[test]
fn kiosk_pin_prompt_is_masked() {
    let mut app = kiosk_app();
    kasse::tui::update(&mut app, ctrl('q'));
    type_text(&mut app, "246");
    snap_both("kiosk_pin_prompt_is_masked", &app);
}

#[test]
fn recovered_sales_notice() {
    let mut app = app();
    event(
        &mut app,
        AppEvent::Recovered(vec![
            RecoveredSale {
                reference: "kasse-s1-t1-000040-a1".to_string(),
                amount: Money::nok(4990),
                outcome: PaymentStatusView::Paid,
                note: Some(Text::new(
                    "Godkjent før stopp; trukket nå.",
                    "Approved before the stop; captured now.",
                )),
            },
            RecoveredSale {
                reference: "kasse-s1-t1-000041-a1".to_string(),
                amount: Money::nok(12900),
                outcome: PaymentStatusView::Expired,
                note: None,
            },
        ]),
    );
    snap_both("recovered_sales_notice", &app);
}

#[test]
fn terminal_too_small() {
    let app = app();
    insta::assert_snapshot!("terminal_too_small_79x24", render_to_string(&app, 79, 24));
    insta::assert_snapshot!("terminal_too_small_60x10", render_to_string(&app, 60, 10));
}

/// Colour carries meaning on these screens; `TestBackend`'s text does not show it, so check
/// the cells' styles directly.
mod styles {
    use super::*;
    use kasse::tui::view::render_to_buffer;
    use ratatui::style::Color;

    fn find(buf: &ratatui::buffer::Buffer, word: &str) -> (u16, u16) {
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            if let Some(byte) = line.find(word) {
                let col = line[..byte].chars().count();
                return (u16::try_from(col).unwrap(), y);
            }
        }
        panic!("{word} not on screen");
    }

    #[test]
    fn paid_is_green_and_rejected_is_red() {
        let app = result(PaymentStatusView::Paid, None, None);
        let buf = render_to_buffer(&app, 80, 24);
        assert_eq!(buf[find(&buf, "BETALT")].fg, Color::Green);
        let app = result(PaymentStatusView::Rejected, None, None);
        let buf = render_to_buffer(&app, 80, 24);
        assert_eq!(buf[find(&buf, "AVVIST")].fg, Color::Red);
    }

    #[test]
    fn qr_cells_are_dark_on_light_from_the_theme() {
        let mut v = view(PaymentStatusView::WaitingForCustomer, 2490);
        v.qr_payload = Some(QR_URL.to_string());
        let app = waiting(with_items(app(), &[KVIKK]), true, v);
        let buf = render_to_buffer(&app, 80, 24);
        let (x, y) = find(&buf, "█▀▀▀▀▀█");
        let cell = &buf[(x, y)];
        assert_eq!(cell.fg, Color::Rgb(0, 0, 0));
        assert_eq!(cell.bg, Color::Rgb(255, 255, 255));
        // Quiet zone: the four columns left of the finder pattern are light, not terminal bg.
        for dx in 1..=4 {
            assert_eq!(buf[(x - dx, y)].bg, Color::Rgb(255, 255, 255));
            assert_eq!(buf[(x - dx, y)].symbol(), " ");
        }
    }

    #[test]
    fn offline_is_red_in_the_status_bar_and_training_is_marked() {
        let mut app = demo_app();
        event(&mut app, AppEvent::Network(NetworkState::Offline));
        let buf = render_to_buffer(&app, 80, 24);
        assert_eq!(buf[find(&buf, "FRAKOBLET")].fg, Color::Red);
        // The training label sits at the start of the status bar on every screen.
        assert_eq!(buf[(1, 23)].symbol(), "Ø");
        assert_eq!(buf[(1, 23)].bg, Color::Yellow);
        assert_eq!(
            buf[(1, 0)].bg,
            Color::Yellow,
            "and the top banner is marked too"
        );
    }
}

#[test]
fn manager_pin_prompt_for_price_override() {
    let mut c = ctx(kasse::lang::Lang::En);
    c.manager_pins = true;
    let mut app = with_items(App::new(&c), &[KVIKK, COLA]);
    press(&mut app, KeyCode::F(4));
    type_text(&mut app, "975");
    let small = render_to_string(&app, 80, 24);
    assert!(!small.contains("975"), "typed PIN digits on screen");
    snap_both("manager_pin_prompt_for_price_override", &app);
}

/// Engine alerts (through `app::app_event`, as the till gets them) stay on the message line
/// until the engine clears them.
fn with_alert(kind: kasse::engine::AlertKind) -> App {
    let mut app = with_items(app(), &[KVIKK]);
    event(&mut app, AppEvent::Network(NetworkState::Online));
    let ev = kasse::app::app_event(kasse::engine::EngineEvent::Alert { kind, active: true })
        .expect("alerts reach the screen");
    event(&mut app, ev);
    app
}

#[test]
fn alert_keys_refused() {
    let app = with_alert(kasse::engine::AlertKind::KeysRefused);
    let screen = render_to_string(&app, 120, 40);
    assert!(
        screen.contains("Vipps avviste nøklene — sjekk konfigurasjonen"),
        "{screen}"
    );
    snap_both("alert_keys_refused", &app);
}

#[test]
fn alert_journal_unwritable() {
    let app = with_alert(kasse::engine::AlertKind::JournalUnwritable);
    let screen = render_to_string(&app, 120, 40);
    assert!(
        screen.contains("Kan ikke skrive til journalen — salg stoppet"),
        "{screen}"
    );
    snap_both("alert_journal_unwritable", &app);
}

#[test]
fn an_alert_goes_away_when_the_engine_clears_it() {
    let kind = kasse::engine::AlertKind::JournalUnwritable;
    let mut app = with_alert(kind);
    let cleared = kasse::app::app_event(kasse::engine::EngineEvent::Alert {
        kind,
        active: false,
    })
    .expect("cleared alerts reach the screen");
    event(&mut app, cleared);
    assert!(app.alerts.is_empty());
    let screen = render_to_string(&app, 120, 40);
    assert!(!screen.contains("journalen"), "{screen}");
}

#[test]
fn a_toast_shows_over_an_alert_and_the_status_bar_keeps_its_label() {
    let mut app = with_alert(kasse::engine::AlertKind::KeysRefused);
    event(
        &mut app,
        AppEvent::Error(Text::new(
            "Noe annet gikk galt.",
            "Something else went wrong.",
        )),
    );
    let screen = render_to_string(&app, 120, 40);
    assert!(screen.contains("Noe annet gikk galt."), "{screen}");
    assert!(screen.contains("NØKLER AVVIST"), "{screen}");
    assert!(!screen.contains("sjekk konfigurasjonen"), "{screen}");
}

#[test]
fn sale_hq_behind_in_the_status_bar() {
    // [hq] configured and lagging: "HQ: n bak" / "HQ: n behind"; caught up shows nothing.
    let mut app = with_items(app(), &[KVIKK]);
    event(&mut app, AppEvent::Network(NetworkState::Online));
    event(&mut app, AppEvent::Hq { behind: 42 });
    snap_both("sale_hq_behind", &app);
    let mut en = app_en();
    event(&mut en, AppEvent::Network(NetworkState::Online));
    event(&mut en, AppEvent::Hq { behind: 7 });
    snap_both("sale_hq_behind_en", &en);
    event(&mut en, AppEvent::Hq { behind: 0 });
    let mut plain = app_en();
    event(&mut plain, AppEvent::Network(NetworkState::Online));
    assert_eq!(
        render_to_string(&en, 120, 40),
        render_to_string(&plain, 120, 40),
        "caught up: the status bar is as without HQ"
    );
}

#[test]
fn sale_price_check_shows_the_price_not_added() {
    // One item in the basket; F2 on a typed PLU shows Coca-Cola's price and adds nothing.
    let mut app = with_items(app(), &["1001"]);
    type_text(&mut app, "1002");
    press(&mut app, KeyCode::F(2));
    snap_both("sale_price_check", &app);
}
