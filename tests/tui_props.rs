#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property tests: any basket the cashier can build renders at both sizes without panicking,
//! and no line of the screen is wider than the terminal.

mod common;
use common::tui as tui_support;
use kasse::domain::basket::{OrderLine, Quantity};
use kasse::domain::money::Money;
use kasse::domain::vat::VatRate;
use kasse::tui::view::render_to_string;
use kasse::tui::{App, AppEvent, Msg, PaymentStatusView, update};
use proptest::prelude::*;
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

fn line_strategy() -> impl Strategy<Value = (String, u32, i64, u8, bool)> {
    (
        "[A-Za-zÆØÅæøå0-9 ,.%-]{1,90}",
        1u32..500,
        0i64..10_000_000,
        0u8..4,
        any::<bool>(),
    )
}

fn build(lines: &[(String, u32, i64, u8, bool)]) -> App {
    let mut app = app();
    for (name, qty, price, vat, ret) in lines {
        let vat = [
            VatRate::STANDARD,
            VatRate::FOOD,
            VatRate::LOW,
            VatRate::ZERO,
        ][usize::from(*vat)];
        let name = if name.trim().is_empty() {
            "x".to_string()
        } else {
            name.clone()
        };
        let _ = app.basket.add(OrderLine {
            product_id: "1".to_string(),
            name,
            quantity: Quantity::pieces(*qty).unwrap(),
            unit_price: Money::nok(*price),
            discount: Money::nok(0),
            vat,
            is_return: *ret,
        });
    }
    app.selected = app.basket.len().checked_sub(1);
    app
}

fn check(app: &App) {
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let screen = render_to_string(app, w, h);
        assert_eq!(screen.lines().count(), usize::from(h));
        for line in screen.lines() {
            assert!(line.chars().count() <= usize::from(w), "too wide: {line}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_basket_renders_within_the_terminal(lines in prop::collection::vec(line_strategy(), 0..25)) {
        let app = build(&lines);
        check(&app);
    }

    #[test]
    fn any_basket_renders_on_every_payment_screen(lines in prop::collection::vec(line_strategy(), 1..6), secs in 0u64..700) {
        let mut app = build(&lines);
        press(&mut app, KeyCode::F(12));
        check(&app);
        if app.screen == kasse::tui::app::Screen::Payment {
            press(&mut app, KeyCode::F(2));
            let mut v = view(PaymentStatusView::WaitingForCustomer, 12_345_678);
            v.open_left = Some(std::time::Duration::from_secs(secs));
            v.approve_left = Some(std::time::Duration::from_secs(secs));
            v.qr_payload = Some(QR_URL.to_string());
            update(&mut app, Msg::App(AppEvent::Payment(v)));
            check(&app);
            update(&mut app, Msg::App(AppEvent::Payment(view(PaymentStatusView::Paid, 12_345_678))));
            check(&app);
        }
    }
}
