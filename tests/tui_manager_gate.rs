#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Manager-only actions on the cashier's screen: the PIN prompt, the `VerifyManagerPin`
//! command, and what happens on the staff journal's answer. Pure `update()` tests.

mod common;
use common::tui as tui_support;
use kasse::lang::Text;
use kasse::tui::app::{ManagerAction, Prompt, Screen, ToastKind};
use kasse::tui::keymap::Mode;
use kasse::tui::view::render_to_string;
use kasse::tui::{AppEvent, Command, ManagerPermission, ManagerPin, PaymentStatusView, update};
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

const REFERENCE: &str = "kasse-s1-t1-000042-a1";

/// The one VerifyManagerPin in `cmds`: (request id, pin, permission).
fn verify(cmds: &[Command]) -> (u64, ManagerPin, ManagerPermission) {
    match cmds {
        [
            Command::VerifyManagerPin {
                request_id,
                pin,
                permission,
            },
        ] => (*request_id, pin.clone(), *permission),
        other => panic!("expected one VerifyManagerPin, got {other:?}"),
    }
}

fn answer(
    app: &mut kasse::tui::App,
    request_id: u64,
    ok: bool,
    reason: Option<Text>,
) -> Vec<Command> {
    event(
        app,
        AppEvent::ManagerPin {
            request_id,
            ok,
            reason,
        },
    )
}

fn screens(app: &kasse::tui::App) -> String {
    format!(
        "{}\n{}",
        render_to_string(app, 80, 24),
        render_to_string(app, 120, 40)
    )
}

/// A basket line selected and F4 (change price) pressed on a till with a manager.
fn price_prompt_app() -> kasse::tui::App {
    let mut app = managed_app();
    enter_text(&mut app, KVIKK);
    assert!(press(&mut app, KeyCode::F(4)).is_empty());
    app
}

#[test]
fn price_override_asks_for_a_manager_pin_first() {
    let app = price_prompt_app();
    assert_eq!(app.prompt, Some(Prompt::ManagerPin));
    assert_eq!(app.mode(), Mode::Prompt);
    assert_eq!(
        app.manager.asking,
        Some(ManagerAction::PriceOverride { line: 0 })
    );
    let screen = render_to_string(&app, 80, 24);
    assert!(
        screen.contains("Manager PIN to change the price"),
        "{screen}"
    );
}

#[test]
fn typed_pin_is_masked_and_never_rendered_or_in_debug() {
    let mut app = price_prompt_app();
    type_text(&mut app, MANAGER_PIN);
    let shown = screens(&app);
    assert!(!shown.contains(MANAGER_PIN), "PIN on screen:\n{shown}");
    let typing = format!("{app:?}");
    assert!(!typing.contains(MANAGER_PIN), "PIN in Debug while typing");
    assert!(shown.contains("••••"), "masked dots missing:\n{shown}");
    let cmds = press(&mut app, KeyCode::Enter);
    let (_, pin, permission) = verify(&cmds);
    assert_eq!(permission, ManagerPermission::PriceOverride);
    assert_eq!(pin, ManagerPin::new(MANAGER_PIN));
    assert_eq!(pin.expose(), MANAGER_PIN);
    // Neither the command, the model nor the screens show it once it is sent.
    let dump = format!("{cmds:?} {app:?}");
    assert!(!dump.contains(MANAGER_PIN), "PIN leaked in Debug: {dump}");
    assert!(dump.contains("[redacted]"));
    assert!(!screens(&app).contains(MANAGER_PIN));
    assert_eq!(app.input.value(), "");
    assert_eq!(app.prompt, None);
}

#[test]
fn pin_wrapper_compares_by_value() {
    assert_eq!(ManagerPin::new("1234"), ManagerPin::new("1234"));
    assert_ne!(ManagerPin::new("1234"), ManagerPin::new("1235"));
    assert_ne!(ManagerPin::new("1234"), ManagerPin::new("12345"));
    assert_eq!(
        format!("{:?}", ManagerPin::new("1234")),
        "ManagerPin([redacted])"
    );
}

#[test]
fn ok_answer_opens_the_price_prompt_and_the_price_changes() {
    let mut app = price_prompt_app();
    let (id, _, _) = verify(&enter_text(&mut app, MANAGER_PIN));
    assert_eq!(app.prompt, None, "no price prompt before the answer");
    assert!(answer(&mut app, id, true, None).is_empty());
    assert_eq!(app.prompt, Some(Prompt::Price));
    enter_text(&mut app, "19,90");
    assert_eq!(app.basket.lines()[0].unit_price.minor(), 1990);
    assert_eq!(app.prompt, None);
}

#[test]
fn refused_answer_shows_the_reason_and_changes_nothing() {
    let mut app = price_prompt_app();
    let (id, _, _) = verify(&enter_text(&mut app, "1111"));
    let reason = Text::new(
        "Endre pris krever en leder. Kari er kasserer",
        "Price override needs a manager. Kari is a cashier",
    );
    assert!(answer(&mut app, id, false, Some(reason)).is_empty());
    assert_eq!(app.prompt, None);
    let toast = app.toast.as_ref().unwrap();
    assert_eq!(toast.kind, ToastKind::Error);
    assert!(toast.text.en.contains("needs a manager"));
    assert!(render_to_string(&app, 120, 40).contains("needs a manager"));
    assert_eq!(app.basket.lines()[0].unit_price.minor(), 2490);
}

#[test]
fn refusal_is_shown_in_the_cashiers_language() {
    let mut c = ctx(kasse::lang::Lang::Nb);
    c.manager_pins = true;
    let mut app = kasse::tui::App::new(&c);
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(4));
    assert!(render_to_string(&app, 80, 24).contains("Leder-PIN for å endre pris"));
    let (id, _, _) = verify(&enter_text(&mut app, "1111"));
    answer(
        &mut app,
        id,
        false,
        Some(Text::new(
            "PIN: for mange feil forsøk",
            "PIN: too many wrong attempts",
        )),
    );
    let screen = render_to_string(&app, 120, 40);
    assert!(screen.contains("for mange feil forsøk"), "{screen}");
    assert!(!screen.contains("too many"));
}

#[test]
fn an_answer_for_another_request_is_ignored() {
    let mut app = price_prompt_app();
    let (id, _, _) = verify(&enter_text(&mut app, MANAGER_PIN));
    answer(&mut app, id + 7, true, None);
    assert_eq!(app.prompt, None);
    assert!(app.manager.waiting.is_some());
    answer(&mut app, id, true, None);
    assert_eq!(app.prompt, Some(Prompt::Price));
}

#[test]
fn esc_cancels_the_pin_prompt_without_a_command() {
    let mut app = price_prompt_app();
    type_text(&mut app, "12");
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.prompt, None);
    assert_eq!(app.manager.asking, None);
    assert_eq!(app.input.value(), "");
}

#[test]
fn without_a_manager_price_change_works_as_before() {
    let mut app = app();
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(4));
    assert_eq!(app.prompt, Some(Prompt::Price));
}

fn deciding_app() -> kasse::tui::App {
    let mut c = ctx(kasse::lang::Lang::En);
    c.manager_pins = true;
    c.demo = true;
    let mut app = kasse::tui::App::new(&c);
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(12));
    press(&mut app, KeyCode::F(2));
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
    app
}

#[test]
fn void_after_authorization_needs_a_manager_pin() {
    let mut app = deciding_app();
    assert!(press(&mut app, KeyCode::F(8)).is_empty());
    assert_eq!(app.prompt, Some(Prompt::ManagerPin));
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("Manager PIN to void"), "{screen}");
    let (id, _, permission) = verify(&enter_text(&mut app, MANAGER_PIN));
    assert_eq!(permission, ManagerPermission::VoidAfterAuthorization);
    assert_eq!(
        app.mode(),
        Mode::Decide,
        "still deciding while the PIN is checked"
    );
    assert_eq!(
        answer(&mut app, id, true, None),
        vec![Command::VoidAfterCancel {
            reference: REFERENCE.to_string()
        }]
    );
}

#[test]
fn void_refused_keeps_the_decision_open() {
    let mut app = deciding_app();
    press(&mut app, KeyCode::F(8));
    let (id, _, _) = verify(&enter_text(&mut app, "0000"));
    assert!(
        answer(
            &mut app,
            id,
            false,
            Some(Text::new("PIN: feil PIN.", "PIN: wrong PIN."))
        )
        .is_empty()
    );
    assert_eq!(app.mode(), Mode::Decide);
    assert!(app.toast.as_ref().unwrap().text.en.contains("wrong PIN"));
    // Completing the sale needs no manager.
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![Command::CompleteAfterCancel {
            reference: REFERENCE.to_string()
        }]
    );
}

#[test]
fn void_approved_too_late_does_nothing() {
    let mut app = deciding_app();
    press(&mut app, KeyCode::F(8));
    let (id, _, _) = verify(&enter_text(&mut app, MANAGER_PIN));
    event(
        &mut app,
        AppEvent::Payment(view(PaymentStatusView::Paid, 2490)),
    );
    assert!(answer(&mut app, id, true, None).is_empty());
    assert_eq!(app.screen, Screen::Result);
}

#[test]
fn kiosk_quit_with_the_kiosk_pin_still_works() {
    let mut app = managed_kiosk_app();
    update(&mut app, ctrl('q'));
    assert_eq!(app.prompt, Some(Prompt::KioskPin));
    assert_eq!(enter_text(&mut app, PIN), vec![Command::Quit]);
}

#[test]
fn kiosk_quit_with_a_manager_pin() {
    let mut app = managed_kiosk_app();
    update(&mut app, ctrl('q'));
    let cmds = enter_text(&mut app, MANAGER_PIN);
    let (id, _, permission) = verify(&cmds);
    assert_eq!(permission, ManagerPermission::LeaveKiosk);
    assert!(!format!("{cmds:?}").contains(MANAGER_PIN));
    assert!(!app.quitting);
    assert_eq!(answer(&mut app, id, true, None), vec![Command::Quit]);
    assert!(app.quitting);
}

#[test]
fn kiosk_wrong_pin_shows_the_staff_reason_and_does_not_quit() {
    let mut app = managed_kiosk_app();
    update(&mut app, ctrl('q'));
    let (id, _, _) = verify(&enter_text(&mut app, "1111"));
    let reason = Text::new(
        "PIN: feil PIN. 2 forsøk igjen",
        "PIN: wrong PIN. 2 attempts left",
    );
    assert!(answer(&mut app, id, false, Some(reason)).is_empty());
    assert!(!app.quitting);
    assert!(
        app.toast
            .as_ref()
            .unwrap()
            .text
            .en
            .contains("2 attempts left")
    );
}

#[test]
fn kiosk_without_a_manager_never_asks_the_staff_journal() {
    let mut app = kiosk_app();
    update(&mut app, ctrl('q'));
    assert!(enter_text(&mut app, MANAGER_PIN).is_empty());
    assert_eq!(app.manager.waiting, None);
}

#[test]
fn kiosk_with_only_a_manager_pin_configured() {
    // No kiosk PIN (empty) but a manager exists: only the manager PIN quits.
    let mut c = ctx(kasse::lang::Lang::En);
    c.manager_pins = true;
    c.kiosk = Some(kasse::tui::KioskSettings {
        pin: String::new().into(),
        return_after: std::time::Duration::from_secs(10),
        idle_reset: std::time::Duration::from_secs(120),
    });
    let mut app = kasse::tui::App::new(&c);
    update(&mut app, ctrl('q'));
    let (id, _, _) = verify(&enter_text(&mut app, MANAGER_PIN));
    assert_eq!(answer(&mut app, id, true, None), vec![Command::Quit]);
}

#[test]
fn a_whole_price_override_through_the_fake_engine() {
    let mut app = price_prompt_app();
    let mut engine = FakeEngine::default();
    let now = app.now;
    for cmd in enter_text(&mut app, MANAGER_PIN) {
        for ev in engine.handle(now, cmd) {
            update(&mut app, ev.into());
        }
    }
    assert_eq!(app.prompt, Some(Prompt::Price));
}
