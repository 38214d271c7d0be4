#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Whole sales driven headless through `update`, with a small fake engine built on the domain
//! payment state machine answering the `Command`s with `AppEvent`s — the same boundary the
//! real engine plugs into. Ends with a snapshot of the final screen.

mod common;
use common::tui as tui_support;
use kasse::tui::app::Screen;
use kasse::tui::view::render_to_string;
use kasse::tui::{App, Command, Msg, PayMethod, PaymentStatusView, SimCustomerAction, update};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

/// Deliver a message, run the commands through the engine, feed its events back.
fn drive(app: &mut App, engine: &mut FakeEngine, msg: Msg) -> bool {
    let mut queue = vec![msg];
    let mut quit = false;
    while let Some(m) = queue.pop() {
        for cmd in update(app, m) {
            quit |= cmd == Command::Quit;
            for ev in engine.handle(app.now, cmd).into_iter().rev() {
                queue.push(Msg::App(ev));
            }
        }
    }
    quit
}

fn keys(app: &mut App, engine: &mut FakeEngine, text: &str) {
    for c in text.chars() {
        drive(app, engine, key(KeyCode::Char(c)));
    }
    drive(app, engine, key(KeyCode::Enter));
}

#[test]
fn demo_sale_scan_two_pay_by_qr_customer_approves_paid_then_quit() {
    let mut app = demo_app();
    let mut engine = FakeEngine::default();
    keys(&mut app, &mut engine, KVIKK);
    keys(&mut app, &mut engine, COLA);
    drive(&mut app, &mut engine, key(KeyCode::F(12)));
    drive(&mut app, &mut engine, key(KeyCode::F(2)));
    assert_eq!(app.screen, Screen::Paying);
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("█▀▀▀▀▀█"), "QR drawn:\n{screen}");
    drive(&mut app, &mut engine, key(KeyCode::F(5)));
    assert_eq!(
        app.payment.as_ref().unwrap().status,
        PaymentStatusView::WaitingForApproval
    );
    drive(&mut app, &mut engine, key(KeyCode::F(6)));
    assert_eq!(app.screen, Screen::Result);
    assert_eq!(
        app.payment.as_ref().unwrap().status,
        PaymentStatusView::Paid
    );
    insta::assert_snapshot!(
        "flow_demo_qr_sale_paid_80x24",
        render_to_string(&app, 80, 24)
    );
    drive(&mut app, &mut engine, key(KeyCode::Enter));
    assert!(app.basket.is_empty());
    assert!(drive(&mut app, &mut engine, ctrl('q')));
    assert!(matches!(
        &engine.log[..],
        [
            Command::StartPayment {
                method: PayMethod::Qr,
                ..
            },
            Command::Customer {
                action: SimCustomerAction::Open,
                ..
            },
            Command::Customer {
                action: SimCustomerAction::Approve,
                ..
            },
            Command::Quit,
        ]
    ));
}

#[test]
fn push_sale_customer_rejects_then_cashier_retries_by_qr() {
    let mut app = demo_app();
    let mut engine = FakeEngine::default();
    keys(&mut app, &mut engine, LADER);
    drive(&mut app, &mut engine, key(KeyCode::F(12)));
    keys(&mut app, &mut engine, "91234567");
    drive(&mut app, &mut engine, key(KeyCode::F(7)));
    assert_eq!(
        app.payment.as_ref().unwrap().status,
        PaymentStatusView::Rejected
    );
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("Kunden avviste betalingen"), "{screen}");
    drive(&mut app, &mut engine, key(KeyCode::Enter));
    assert_eq!(app.basket.len(), 1, "basket kept for a second try");
    drive(&mut app, &mut engine, key(KeyCode::F(12)));
    drive(&mut app, &mut engine, key(KeyCode::F(2)));
    drive(&mut app, &mut engine, key(KeyCode::F(6)));
    assert_eq!(
        app.payment.as_ref().unwrap().status,
        PaymentStatusView::Paid
    );
}

#[test]
fn cashier_cancels_while_waiting() {
    let mut app = app();
    let mut engine = FakeEngine::default();
    keys(&mut app, &mut engine, KVIKK);
    drive(&mut app, &mut engine, key(KeyCode::F(12)));
    drive(&mut app, &mut engine, key(KeyCode::F(2)));
    drive(&mut app, &mut engine, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Result);
    assert_eq!(
        app.payment.as_ref().unwrap().status,
        PaymentStatusView::Cancelled
    );
    assert!(app.payment.as_ref().unwrap().reason.is_some());
}
