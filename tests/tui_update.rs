#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `update()` is pure: feed keys and events, assert the model and the returned commands.

mod common;
use common::tui as tui_support;
use kasse::domain::money::Money;
use kasse::lang::Text;
use kasse::tui::app::{PayKind, Prompt, Screen, ToastKind};
use kasse::tui::keymap::Mode;
use kasse::tui::update::{is_personal_qr, normalize_phone};
use kasse::tui::{
    AppEvent, Command, Msg, NetworkState, PayMethod, PaymentStatusView, RecoveredSale,
    SimCustomerAction, update,
};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

fn total(app: &kasse::tui::App) -> i64 {
    app.basket.totals().unwrap().gross.minor()
}

#[test]
fn scanner_digits_and_enter_add_the_product() {
    let mut app = app();
    assert!(enter_text(&mut app, KVIKK).is_empty());
    assert_eq!(app.basket.len(), 1);
    assert_eq!(app.basket.lines()[0].name, "Kvikk Lunsj 47 g");
    assert_eq!(total(&app), 2490);
    assert_eq!(app.input.value(), "");
    assert_eq!(app.selected, Some(0));
}

#[test]
fn scanning_the_same_item_again_adds_to_its_line() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, KVIKK);
    assert_eq!(app.basket.len(), 1);
    assert_eq!(app.basket.lines()[0].quantity.milli(), 2000);
    assert_eq!(total(&app), 4980);
}

#[test]
fn plu_and_multiplier_prefix() {
    let mut app = app();
    enter_text(&mut app, "3*1002");
    assert_eq!(app.basket.lines()[0].name, "Coca-Cola 0,5 l");
    assert_eq!(app.basket.lines()[0].quantity.milli(), 3000);
    assert_eq!(total(&app), 3 * 3290);
}

#[test]
fn unknown_code_shows_an_error_naming_it_and_keeps_the_input() {
    let mut app = app();
    enter_text(&mut app, "12345678");
    assert!(app.basket.is_empty());
    let toast = app.toast.clone().unwrap();
    assert_eq!(toast.kind, ToastKind::Error);
    assert!(toast.text.nb.contains("«12345678»"), "{}", toast.text.nb);
    assert!(toast.text.en.contains("\"12345678\""));
    assert_eq!(app.input.value(), "12345678");
}

#[test]
fn paste_with_newline_submits_like_a_scanner() {
    let mut app = app();
    update(&mut app, Msg::Paste(format!("{COLA}\n")));
    assert_eq!(app.basket.len(), 1);
}

#[test]
fn typing_a_name_and_enter_searches_then_enter_adds_the_chosen_hit() {
    let mut app = app();
    enter_text(&mut app, "0,5");
    assert_eq!(app.mode(), Mode::Search);
    let search = app.search.clone().unwrap();
    assert_eq!(search.hits.len(), 2);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.search, None);
    assert_eq!(app.basket.lines()[0].name, "Farris Lime 0,5 l");
}

#[test]
fn search_refines_while_typing_and_esc_goes_back() {
    let mut app = app();
    enter_text(&mut app, "0,5");
    type_text(&mut app, " far");
    assert_eq!(app.search.as_ref().unwrap().hits.len(), 1);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), Mode::Sale);
    assert!(app.basket.is_empty());
}

#[test]
fn quantity_price_discount_and_return_on_the_selected_line() {
    let mut app = app();
    enter_text(&mut app, LADER); // 149,00
    press(&mut app, KeyCode::F(3));
    assert_eq!(app.prompt, Some(Prompt::Quantity));
    enter_text(&mut app, "2");
    assert_eq!(app.prompt, None);
    assert_eq!(total(&app), 29800);

    press(&mut app, KeyCode::F(4));
    enter_text(&mut app, "100,00");
    assert_eq!(total(&app), 20000);

    press(&mut app, KeyCode::F(5));
    enter_text(&mut app, "10%");
    assert_eq!(app.basket.lines()[0].discount, Money::nok(2000));
    assert_eq!(total(&app), 18000);

    press(&mut app, KeyCode::F(5));
    enter_text(&mut app, "5");
    assert_eq!(total(&app), 19500);

    press(&mut app, KeyCode::F(6));
    assert!(app.basket.lines()[0].is_return);
    assert_eq!(total(&app), -19500);
}

#[test]
fn bad_prompt_input_keeps_the_prompt_with_a_clear_error() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(4));
    enter_text(&mut app, "tjue");
    assert_eq!(app.prompt, Some(Prompt::Price));
    assert!(app.toast.as_ref().unwrap().text.en.contains("\"tjue\""));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.prompt, None);
    assert_eq!(total(&app), 2490);

    press(&mut app, KeyCode::F(5));
    enter_text(&mut app, "99,00");
    assert_eq!(app.prompt, Some(Prompt::Discount));
    assert_eq!(app.toast.as_ref().unwrap().kind, ToastKind::Error);
}

#[test]
fn line_functions_need_a_selected_line() {
    let mut app = app();
    press(&mut app, KeyCode::F(3));
    assert_eq!(app.prompt, None);
    assert_eq!(app.toast.as_ref().unwrap().kind, ToastKind::Error);
}

#[test]
fn remove_line_and_selection_moves() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, COLA);
    enter_text(&mut app, AVIS);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.selected, Some(0));
    press(&mut app, KeyCode::Delete);
    assert_eq!(app.basket.len(), 2);
    assert_eq!(app.basket.lines()[0].name, "Coca-Cola 0,5 l");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected, Some(1));
}

#[test]
fn open_price_item_goes_in_at_25_percent() {
    let mut app = app();
    press(&mut app, KeyCode::F(7));
    enter_text(&mut app, "12,50");
    assert_eq!(total(&app), 1250);
    assert_eq!(app.basket.lines()[0].vat.hundredths(), 2500);
}

#[test]
fn park_and_recall_a_basket() {
    let mut app = app();
    let mut engine = FakeEngine::default();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(8));
    assert_eq!(app.prompt, Some(Prompt::ParkName));
    let cmds = enter_text(&mut app, "Ola");
    drive(&mut app, &mut engine, cmds);
    assert!(app.basket.is_empty());
    assert_eq!(app.park.list.len(), 1);
    assert_eq!(app.park.list[0].name, "Ola");
    enter_text(&mut app, COLA);
    press(&mut app, KeyCode::F(9));
    assert_eq!(
        app.toast.as_ref().unwrap().kind,
        ToastKind::Error,
        "busy basket"
    );
    press(&mut app, KeyCode::Delete);
    press(&mut app, KeyCode::F(9));
    assert!(app.park.open, "the list opens");
    let cmds = press(&mut app, KeyCode::Enter);
    drive(&mut app, &mut engine, cmds);
    assert_eq!(app.basket.lines()[0].name, "Kvikk Lunsj 47 g");
    assert!(app.park.list.is_empty());
}

#[test]
fn pay_needs_a_positive_total_above_the_minimum() {
    let mut app = app();
    press(&mut app, KeyCode::F(12));
    assert_eq!(app.screen, Screen::Sale);
    enter_text(&mut app, "1016"); // Pose, kr 2,00
    press(&mut app, KeyCode::F(6)); // return → negative
    press(&mut app, KeyCode::F(12));
    assert_eq!(app.screen, Screen::Sale);
    assert!(app.toast.as_ref().unwrap().text.en.contains("refund"));
}

#[test]
fn pay_refuses_more_than_vipps_takes_in_one_payment() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    app.basket.set_price(0, Money::nok(65_000_001)).unwrap(); // kr 650 000,01
    assert!(press(&mut app, KeyCode::F(12)).is_empty());
    assert_eq!(app.screen, Screen::Payment);
    // Neither a QR nor a push is started: the limit is checked before any sale exists.
    assert!(press(&mut app, KeyCode::F(2)).is_empty());
    let t = &app.toast.as_ref().unwrap().text;
    assert!(t.en.contains("above the most Vipps takes"), "{}", t.en);
    assert!(t.en.contains("650 000,00"), "{}", t.en);
    assert!(enter_text(&mut app, "912 34 567").is_empty());
    assert_eq!(app.screen, Screen::Payment);
}

#[test]
fn a_refused_push_turns_into_a_qr_for_the_same_sale() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    enter_text(&mut app, "912 34 567");
    assert_eq!(app.screen, Screen::Paying);
    // F2 on a result without a refused push does nothing.
    let mut plain = view(PaymentStatusView::Failed, 2490);
    plain.reference = REF.to_string();
    update(&mut app, Msg::App(AppEvent::Payment(plain.clone())));
    assert_eq!(app.screen, Screen::Result);
    assert!(!app.qr_fallback_offered());
    assert!(press(&mut app, KeyCode::F(2)).is_empty());
    assert_eq!(app.screen, Screen::Result);
    // Vipps refused the push for a reason a QR avoids: F2 asks for a QR for the same sale.
    let mut refused = plain;
    refused.qr_fallback = true;
    update(&mut app, Msg::App(AppEvent::Payment(refused)));
    assert!(app.qr_fallback_offered());
    let cmds = press(&mut app, KeyCode::F(2));
    assert_eq!(
        cmds,
        vec![Command::PayByQr {
            reference: REF.to_string()
        }]
    );
    assert_eq!(app.screen, Screen::Paying);
    assert_eq!(app.pay_kind, Some(PayKind::Qr));
    assert!(app.payment.is_none(), "waits for the new attempt");
    assert_eq!(app.basket.lines().len(), 1, "the same basket");
    // If the engine cannot start it, the cashier is back at choosing how to pay.
    update(
        &mut app,
        Msg::App(AppEvent::Error(Text::new("Frakoblet", "Offline"))),
    );
    assert_eq!(app.screen, Screen::Payment);
}

#[test]
fn push_with_phone_number_sends_start_payment() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    assert_eq!(app.screen, Screen::Payment);
    let cmds = enter_text(&mut app, "912 34 567");
    assert_eq!(
        cmds,
        vec![Command::StartPayment {
            basket: app.basket.clone(),
            method: PayMethod::Push {
                phone_or_personal_qr: "4791234567".to_string()
            },
            staff_id: None,
        }]
    );
    assert_eq!(app.screen, Screen::Paying);
    assert_eq!(
        app.pay_kind,
        Some(PayKind::Push {
            to: "4791234567".to_string()
        })
    );
}

#[test]
fn bad_phone_is_refused_with_the_value_quoted() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    let cmds = enter_text(&mut app, "123");
    assert!(cmds.is_empty());
    assert_eq!(app.screen, Screen::Payment);
    assert!(app.toast.as_ref().unwrap().text.nb.contains("«123»"));
}

#[test]
fn scanned_personal_qr_at_payment_starts_push_unmodified() {
    let personal = "https://qr.vipps.no/p/AbC123?x=1";
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    let cmds = update(&mut app, Msg::Paste(format!("{personal}\r")));
    assert!(matches!(
        &cmds[..],
        [Command::StartPayment { method: PayMethod::Push { phone_or_personal_qr }, .. }]
            if phone_or_personal_qr == personal
    ));
}

#[test]
fn scanned_personal_qr_on_the_sale_screen_goes_straight_to_push() {
    let personal = "https://qr.vipps.no/p/AbC123";
    let mut app = app();
    enter_text(&mut app, KVIKK);
    let cmds = enter_text(&mut app, personal);
    assert_eq!(cmds.len(), 1);
    assert_eq!(app.screen, Screen::Paying);
}

#[test]
fn qr_payment_and_back_from_payment() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Sale);
    press(&mut app, KeyCode::F(12));
    let cmds = press(&mut app, KeyCode::F(2));
    assert!(matches!(
        &cmds[..],
        [Command::StartPayment {
            method: PayMethod::Qr,
            ..
        }]
    ));
    assert_eq!(app.pay_kind, Some(PayKind::Qr));
}

#[test]
fn offline_refuses_new_payments() {
    let mut app = app();
    event(&mut app, AppEvent::Network(NetworkState::Offline));
    enter_text(&mut app, KVIKK);
    // The payment screen opens (cash still works offline) with the warning…
    let cmds = press(&mut app, KeyCode::F(12));
    assert!(cmds.is_empty());
    assert_eq!(app.screen, Screen::Payment);
    assert!(
        app.toast
            .as_ref()
            .unwrap()
            .text
            .en
            .contains("cannot be reached")
    );
    // …but no Vipps payment starts: neither QR nor push.
    assert!(press(&mut app, KeyCode::F(2)).is_empty());
    assert!(enter_text(&mut app, "91234567").is_empty());
    assert_eq!(app.screen, Screen::Payment);
    assert!(
        app.toast
            .as_ref()
            .unwrap()
            .text
            .en
            .contains("cannot be reached")
    );
}

fn paying_app() -> kasse::tui::App {
    let mut app = demo_app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(2));
    app
}

#[test]
fn payment_views_update_status_and_final_goes_to_result() {
    let mut app = paying_app();
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::WaitingForCustomer, 2490)),
    );
    assert_eq!(app.mode(), Mode::Waiting);
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Paid, 2490)),
    );
    assert_eq!(app.screen, Screen::Result);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Sale);
    assert!(
        app.basket.is_empty(),
        "paid basket is cleared for the next sale"
    );
}

#[test]
fn f4_on_a_paid_result_asks_for_a_receipt_copy() {
    let mut app = paying_app();
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Paid, 2490)),
    );
    assert_eq!(
        press(&mut app, KeyCode::F(4)),
        vec![Command::ReprintReceipt {
            reference: "kasse-s1-t1-000042-a1".into()
        }]
    );
    assert_eq!(app.screen, Screen::Result, "the result stays on screen");
}

#[test]
fn f4_without_a_paid_sale_prints_nothing_and_says_why() {
    let mut app = paying_app();
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Rejected, 2490)),
    );
    assert!(press(&mut app, KeyCode::F(4)).is_empty());
    let toast = app.toast.clone().unwrap();
    assert_eq!(toast.kind, ToastKind::Error);
    assert!(toast.text.en.contains("paid sale"), "{}", toast.text.en);
}

#[test]
fn rejected_payment_keeps_the_basket_for_another_try() {
    let mut app = paying_app();
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Rejected, 2490)),
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.basket.len(), 1);
}

#[test]
fn cancel_sends_cancel_payment_once() {
    let mut app = paying_app();
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::WaitingForCustomer, 2490)),
    );
    let cmds = press(&mut app, KeyCode::Esc);
    assert_eq!(
        cmds,
        vec![Command::CancelPayment {
            reference: "kasse-s1-t1-000042-a1".to_string()
        }]
    );
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Cancelled, 2490)),
    );
    assert_eq!(app.screen, Screen::Result);
}

#[test]
fn cancel_before_the_reference_is_known_is_sent_when_it_arrives() {
    let mut app = paying_app();
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    let cmds = event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::WaitingForCustomer, 2490)),
    );
    assert_eq!(
        cmds,
        vec![Command::CancelPayment {
            reference: "kasse-s1-t1-000042-a1".to_string()
        }]
    );
}

#[test]
fn approved_after_cancel_asks_the_cashier_to_complete_or_void() {
    let mut app = paying_app();
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::WaitingForApproval, 2490)),
    );
    press(&mut app, KeyCode::Esc);
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::AuthorizedAfterCancel, 2490)),
    );
    assert_eq!(app.mode(), Mode::Decide);
    let cmds = press(&mut app, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Command::CompleteAfterCancel {
            reference: "kasse-s1-t1-000042-a1".to_string()
        }]
    );
    let cmds = press(&mut app, KeyCode::F(8));
    assert_eq!(
        cmds,
        vec![Command::VoidAfterCancel {
            reference: "kasse-s1-t1-000042-a1".to_string()
        }]
    );
}

#[test]
fn demo_keys_act_as_the_customer_phone() {
    let mut app = paying_app();
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::WaitingForCustomer, 2490)),
    );
    let r = "kasse-s1-t1-000042-a1".to_string();
    assert_eq!(
        press(&mut app, KeyCode::F(5)),
        vec![Command::Customer {
            reference: r.clone(),
            action: SimCustomerAction::Open
        }]
    );
    assert_eq!(
        press(&mut app, KeyCode::F(6)),
        vec![Command::Customer {
            reference: r.clone(),
            action: SimCustomerAction::Approve
        }]
    );
    assert_eq!(
        press(&mut app, KeyCode::F(7)),
        vec![Command::Customer {
            reference: r,
            action: SimCustomerAction::Reject
        }]
    );
}

#[test]
fn customer_keys_do_nothing_outside_demo() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(2));
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::WaitingForCustomer, 2490)),
    );
    assert!(press(&mut app, KeyCode::F(6)).is_empty());
}

#[test]
fn quit_sends_quit_but_not_during_a_payment() {
    let mut paying = paying_app();
    assert!(update(&mut paying, ctrl('q')).is_empty());
    assert!(paying.toast.is_some());
    let mut app = app();
    assert_eq!(update(&mut app, ctrl('q')), vec![Command::Quit]);
    assert!(app.quitting);
}

#[test]
fn kiosk_quit_needs_the_pin() {
    let mut app = kiosk_app();
    assert!(update(&mut app, ctrl('q')).is_empty());
    assert_eq!(app.prompt, Some(Prompt::KioskPin));
    assert!(enter_text(&mut app, "0000").is_empty());
    assert_eq!(app.toast.as_ref().unwrap().text.en, "Wrong PIN");
    update(&mut app, ctrl('q'));
    assert_eq!(enter_text(&mut app, PIN), vec![Command::Quit]);
}

#[test]
fn kiosk_refuses_staff_functions() {
    let mut app = kiosk_app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(4)); // price
    assert_eq!(app.prompt, None);
    press(&mut app, KeyCode::F(8)); // park
    assert_eq!(app.prompt, None);
    assert!(app.park.list.is_empty());
    press(&mut app, KeyCode::F(6)); // return
    assert!(!app.basket.lines()[0].is_return);
    assert!(app.toast.as_ref().unwrap().text.en.contains("call staff"));
}

#[test]
fn kiosk_returns_to_start_after_a_result() {
    let mut app = kiosk_app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(2));
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Rejected, 2490)),
    );
    tick(&mut app, 9);
    assert_eq!(app.screen, Screen::Result);
    tick(&mut app, 1);
    assert_eq!(app.screen, Screen::Sale);
    assert!(app.basket.is_empty());
}

#[test]
fn kiosk_idle_reset_clears_an_abandoned_basket() {
    let mut app = kiosk_app();
    enter_text(&mut app, KVIKK);
    tick(&mut app, 119);
    assert_eq!(app.basket.len(), 1);
    tick(&mut app, 1);
    assert!(app.basket.is_empty());
}

#[test]
fn idle_never_resets_a_payment_in_progress() {
    let mut app = kiosk_app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(2));
    tick(&mut app, 600);
    assert_eq!(app.screen, Screen::Paying);
    assert_eq!(app.basket.len(), 1);
}

#[test]
fn help_toggles_and_lists_the_mode_underneath() {
    let mut app = app();
    press(&mut app, KeyCode::F(1));
    assert!(app.help);
    assert_eq!(app.mode(), Mode::Help);
    assert_eq!(app.help_mode(), Mode::Sale);
    enter_text(&mut app, KVIKK);
    assert!(app.basket.is_empty(), "keys under help do nothing");
    press(&mut app, KeyCode::Esc);
    assert!(!app.help);
    press(&mut app, KeyCode::F(1));
    press(&mut app, KeyCode::F(1));
    assert!(!app.help);
}

#[test]
fn recovered_sales_show_until_dismissed() {
    let mut app = app();
    event(
        &mut app,
        AppEvent::Recovered(vec![RecoveredSale {
            reference: "kasse-s1-t1-000041-a1".to_string(),
            amount: Money::nok(4990),
            outcome: PaymentStatusView::Paid,
            note: None,
        }]),
    );
    assert_eq!(app.mode(), Mode::Notice);
    enter_text(&mut app, KVIKK);
    assert!(app.basket.is_empty());
    assert!(app.recovered.is_empty());
}

#[test]
fn engine_errors_show_and_clear_on_next_key_or_time() {
    let mut app = app();
    event(&mut app, AppEvent::Error(Text::new("feil", "error")));
    assert_eq!(app.toast.as_ref().unwrap().text.en, "error");
    press(&mut app, KeyCode::Char('1'));
    assert!(app.toast.is_none());
    event(
        &mut app,
        AppEvent::Outbox {
            pending: 3,
            dead: 1,
        },
    );
    assert_eq!((app.outbox_pending, app.outbox_dead), (3, 1));
}

#[test]
fn info_toast_expires_on_tick() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    park(&mut app, &mut FakeEngine::default(), "");
    assert_eq!(app.toast.as_ref().unwrap().kind, ToastKind::Info);
    tick(&mut app, 5);
    assert!(app.toast.is_none());
}

#[test]
fn input_editing_keys() {
    let mut app = app();
    type_text(&mut app, "1234");
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Char('9'));
    assert_eq!(app.input.value(), "1293");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.input.value(), "");
}

#[test]
fn phone_and_personal_qr_recognition() {
    assert_eq!(normalize_phone("91234567").as_deref(), Some("4791234567"));
    assert_eq!(
        normalize_phone("+47 912 34 567").as_deref(),
        Some("4791234567")
    );
    assert_eq!(
        normalize_phone("0047 91234567").as_deref(),
        Some("4791234567")
    );
    assert_eq!(normalize_phone("4545123456").as_deref(), Some("4545123456"));
    assert_eq!(normalize_phone("1234"), None);
    assert_eq!(normalize_phone("9123456a"), None);
    assert!(is_personal_qr("https://qr.vipps.no/p/abc"));
    assert!(is_personal_qr("VIPPS:abc"));
    assert!(!is_personal_qr("7038010001000"));
}

#[test]
fn totals_use_money_from_the_domain() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    enter_text(&mut app, AVIS);
    enter_text(&mut app, BILLETT);
    enter_text(&mut app, LADER);
    let t = app.basket.totals().unwrap();
    assert_eq!(t.gross, Money::nok(2490 + 4500 + 4400 + 14900));
    assert_eq!(t.per_rate.len(), 4);
}

#[test]
fn payment_view_from_the_domain_state_machine() {
    use kasse::domain::money::Currency;
    use kasse::domain::payment::{Event, Payment, ProviderStatus};
    use kasse::tui::PaymentView;
    use std::time::Duration;
    let t0 = time::macros::datetime!(2026-11-21 12:00:00 UTC);
    let mut p = Payment::new(2490, t0);
    let v = PaymentView::from_payment("ref-00000001", &p, Currency::Nok, t0, None, None);
    assert_eq!(v.status, PaymentStatusView::Creating);
    assert_eq!(v.amount, Money::nok(2490));
    p.handle(t0, Event::Created { at: t0 });
    let now = t0 + time::Duration::seconds(28);
    let v = PaymentView::from_payment(
        "ref-00000001",
        &p,
        Currency::Nok,
        now,
        Some("https://qr.vipps.no/x".to_string()),
        None,
    );
    assert_eq!(v.status, PaymentStatusView::WaitingForCustomer);
    assert_eq!(v.open_left, Some(Duration::from_secs(272)));
    assert_eq!(v.qr_payload.as_deref(), Some("https://qr.vipps.no/x"));
    p.handle(now, Event::Read(ProviderStatus::Aborted));
    let v = PaymentView::from_payment("ref-00000001", &p, Currency::Nok, now, None, None);
    assert_eq!(v.status, PaymentStatusView::Rejected);
    assert!(v.status.is_final());
    assert!(v.reason.unwrap().en.contains("rejected"));
}

#[test]
fn kiosk_pin_locks_after_three_wrong_tries() {
    let mut app = kiosk_app();
    for _ in 0..3 {
        update(&mut app, ctrl('q'));
        enter_text(&mut app, "1111");
    }
    assert!(app.toast.as_ref().unwrap().text.en.contains("Too many"));
    update(&mut app, ctrl('q'));
    assert!(
        enter_text(&mut app, PIN).is_empty(),
        "locked even with the right PIN"
    );
    tick(&mut app, 61);
    update(&mut app, ctrl('q'));
    assert_eq!(enter_text(&mut app, PIN), vec![Command::Quit]);
}

#[test]
fn debug_output_never_shows_the_kiosk_pin() {
    let app = kiosk_app();
    let dump = format!("{app:?}");
    assert!(!dump.contains(PIN), "PIN leaked in Debug");
}

#[test]
fn updates_for_another_reference_are_ignored_while_paying() {
    let mut app = paying_app();
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::WaitingForCustomer, 2490)),
    );
    let mut other = view(PaymentStatusView::Paid, 9999);
    other.reference = "kasse-s1-t1-000099-a1".to_string();
    event(&mut app, AppEvent::Payment(other));
    assert_eq!(app.screen, Screen::Paying);
    assert_eq!(
        app.payment.as_ref().unwrap().status,
        PaymentStatusView::WaitingForCustomer
    );
}

#[test]
fn open_price_item_with_a_chosen_vat_rate() {
    let mut app = app();
    press(&mut app, KeyCode::F(7));
    enter_text(&mut app, "1 234,50/15");
    assert_eq!(total(&app), 123450);
    assert_eq!(app.basket.lines()[0].vat.hundredths(), 1500);
    press(&mut app, KeyCode::F(7));
    enter_text(&mut app, "10/7");
    assert_eq!(app.prompt, Some(Prompt::OpenPrice));
    assert!(app.toast.as_ref().unwrap().text.en.contains("\"7\""));
}

#[test]
fn weighed_item_asks_for_the_weight_before_adding() {
    let mut app = app();
    enter_text(&mut app, "1017"); // Smågodt, løsvekt, kr 149,00/kg
    assert_eq!(app.prompt, Some(Prompt::Weight));
    assert!(app.basket.is_empty());
    enter_text(&mut app, "0,450");
    assert_eq!(app.prompt, None);
    assert_eq!(app.basket.lines()[0].quantity.milli(), 450);
    assert_eq!(total(&app), 6705);
    enter_text(&mut app, "1017");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.pending, None);
    assert_eq!(app.basket.len(), 1);
}

#[test]
fn delete_while_typing_edits_the_input_not_the_basket() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    type_text(&mut app, "12");
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Delete);
    assert_eq!(app.input.value(), "1");
    assert_eq!(app.basket.len(), 1);
    press(&mut app, KeyCode::Esc);
    let cmds = press(&mut app, KeyCode::Delete);
    assert!(app.basket.is_empty());
    // A line deleted before completion goes to the fiscal journal (§ 2-7-1).
    match cmds.as_slice() {
        [
            Command::Journal {
                event:
                    kasse::tui::TillEvent::LineDeleted {
                        name,
                        quantity,
                        total,
                    },
                ..
            },
        ] => {
            assert_eq!(name, "Kvikk Lunsj 47 g");
            assert_eq!(total.minor(), 2490);
            assert!(quantity.starts_with('1'), "{quantity}");
            assert!(total.minor() > 0);
        }
        other => panic!("expected one journal command, got {other:?}"),
    }
}

#[test]
fn personal_qr_with_an_empty_basket_asks_for_items_first() {
    let mut app = app();
    let cmds = enter_text(&mut app, "https://qr.vipps.no/p/AbC123");
    assert!(cmds.is_empty());
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.search, None);
    assert_eq!(app.toast.as_ref().unwrap().text.en, "The basket is empty");
}

#[test]
fn kiosk_quit_from_the_result_screen_shows_the_pin_prompt_on_the_sale_screen() {
    let mut app = kiosk_app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(2));
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Paid, 2490)),
    );
    update(&mut app, ctrl('q'));
    assert_eq!(app.screen, Screen::Sale);
    assert_eq!(app.prompt, Some(Prompt::KioskPin));
    assert_eq!(enter_text(&mut app, PIN), vec![Command::Quit]);
}

#[test]
fn price_check_shows_the_price_without_adding_and_is_journaled() {
    let mut app = app();
    type_text(&mut app, KVIKK);
    let cmds = press(&mut app, KeyCode::F(2));
    // Shown, not added, the input cleared for the next scan.
    assert!(app.basket.is_empty());
    assert_eq!(app.input.value(), "");
    let toast = app.toast.as_ref().unwrap();
    assert!(
        toast.text.nb.contains("Kvikk Lunsj 47 g") && toast.text.nb.contains("kr 24,90"),
        "{:?}",
        toast.text
    );
    // A price look-up goes to the fiscal journal (13022).
    match cmds.as_slice() {
        [
            Command::Journal {
                event: kasse::tui::TillEvent::PriceLookup { code, name, price },
                ..
            },
        ] => {
            assert_eq!(code, KVIKK);
            assert_eq!(name, "Kvikk Lunsj 47 g");
            assert_eq!(price.minor(), 2490);
        }
        other => panic!("expected one journal command, got {other:?}"),
    }
    // Nothing typed, or an unknown code: a clear message, nothing journaled.
    assert!(press(&mut app, KeyCode::F(2)).is_empty());
    assert!(app.toast.as_ref().unwrap().text.en.contains("Price check"));
    type_text(&mut app, "999999");
    assert!(press(&mut app, KeyCode::F(2)).is_empty());
    assert!(app.toast.as_ref().unwrap().text.en.contains("999999"));
}
