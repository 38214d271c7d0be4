//! Shared fixtures for the TUI tests: a fixed clock, the demo catalog, key helpers.
#![allow(dead_code)]

use kasse::clock::ManualClock;
use kasse::domain::money::{Currency, Money};
use kasse::lang::Lang;
use kasse::tui::catalog::Catalog;
use kasse::tui::keymap::Keymap;
use kasse::tui::theme::Theme;
use kasse::tui::{
    App, AppEvent, Command, EnvLabel, KioskSettings, Msg, PaymentStatusView, PaymentView,
    RunContext, update,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;

pub const KVIKK: &str = "7038010001000"; // Kvikk Lunsj 47 g, kr 24,90, 15 %
pub const COLA: &str = "7038010001017"; // Coca-Cola 0,5 l, kr 32,90, 15 %
pub const AVIS: &str = "7038010001086"; // Aftenposten, kr 45,00, 0 %
pub const BILLETT: &str = "7038010001109"; // Ruter enkeltbillett, kr 44,00, 12 %
pub const LADER: &str = "7038010001130"; // Ladekabel, kr 149,00, 25 %
pub const QR_URL: &str = "https://qr.vipps.no/28/2/01/031/4791234567?v=1&token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK";
pub const PIN: &str = "2468";

pub fn ctx(lang: Lang) -> RunContext {
    RunContext {
        environment: EnvLabel::Test,
        msn: "123456".to_string(),
        lang,
        currency: Currency::Nok,
        kiosk: None,
        catalog: Catalog::demo().unwrap(),
        keymap: Keymap::default_keymap().unwrap(),
        theme: Theme::default_theme().unwrap(),
        demo: false,
        clock: Arc::new(ManualClock::fixed()),
        utc_offset: time::UtcOffset::from_hms(1, 0, 0).unwrap(),
        tick: Duration::from_millis(250),
    }
}

pub fn app() -> App {
    App::new(&ctx(Lang::Nb))
}

pub fn app_en() -> App {
    App::new(&ctx(Lang::En))
}

pub fn kiosk_app() -> App {
    let mut c = ctx(Lang::Nb);
    c.kiosk = Some(KioskSettings {
        pin: PIN.to_string().into(),
        return_after: Duration::from_secs(10),
        idle_reset: Duration::from_secs(120),
    });
    App::new(&c)
}

pub fn demo_app() -> App {
    let mut c = ctx(Lang::Nb);
    c.demo = true;
    c.environment = EnvLabel::Training;
    App::new(&c)
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Press one key; return the commands.
pub fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    update(app, key(code))
}

/// Type text character by character (like a keyboard-wedge scanner).
pub fn type_text(app: &mut App, s: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in s.chars() {
        out.extend(update(app, key(KeyCode::Char(c))));
    }
    out
}

/// Type and press Enter.
pub fn enter_text(app: &mut App, s: &str) -> Vec<Command> {
    let mut out = type_text(app, s);
    out.extend(press(app, KeyCode::Enter));
    out
}

pub fn event(app: &mut App, ev: AppEvent) -> Vec<Command> {
    update(app, Msg::App(ev))
}

pub fn tick(app: &mut App, secs: i64) {
    let now = app.now + time::Duration::seconds(secs);
    update(app, Msg::App(AppEvent::Tick(now)));
}

pub fn view(status: PaymentStatusView, amount: i64) -> PaymentView {
    PaymentView {
        reference: "kasse-s1-t1-000042-a1".to_string(),
        amount: Money::nok(amount),
        status,
        open_left: None,
        approve_left: None,
        qr_payload: None,
        reason: None,
        receipt_number: None,
    }
}
