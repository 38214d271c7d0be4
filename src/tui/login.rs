//! Staff login at the till: the login screen's PIN prompt, the answer from the staff journal,
//! logout from the sale screen. Pure like [`crate::tui::update()`]: the PIN check runs in the
//! shell ([`Command::Login`]) and comes back as [`AppEvent::LoggedIn`].

use crate::lang::{Lang, Text};
use crate::tui::app::{App, Prompt, Screen, Toast, ToastKind};
use crate::tui::msg::{Cashier, Command, ManagerPin};

macro_rules! strings {
    ($($name:ident => $nb:literal, $en:literal;)*) => {
        /// Fixed login-screen strings; `L::name(lang)`.
        pub struct L;
        impl L {
            $(
                pub const fn $name(lang: Lang) -> &'static str {
                    lang.pick($nb, $en)
                }
            )*
        }
    };
}

strings! {
    screen_login => "Innlogging", "Log in";
    title => "Logg inn med PIN", "Log in with your PIN";
    intro => "Skriv PIN-koden din og trykk Enter.", "Type your PIN and press Enter.";
    hint => "Enter: logg inn · Esc: tøm · F1: hjelp", "Enter: log in · Esc: clear · F1: help";
    training_pin => "Øving: leder-PIN 1234", "Training: manager PIN 1234";
    checking => "Sjekker PIN …", "Checking PIN …";
    err_empty => "PIN: skriv PIN-koden din (4–8 siffer) og trykk Enter.", "PIN: type your PIN (4–8 digits) and press Enter.";
    err_busy => "PIN: vent, forrige PIN sjekkes fortsatt.", "PIN: wait, the previous PIN is still being checked.";
    err_logout_basket => "Logg ut: kurven har varer. Ta betalt, parker (F8) eller tøm kurven først.", "Log out: the basket has items. Take payment, park it (F8) or empty it first.";
    err_logout_paying => "Logg ut: en betaling pågår. Vent til den er ferdig.", "Log out: a payment is in progress. Wait until it has finished.";
    err_logout_nobody => "Logg ut: ingen er logget inn (det finnes ingen ansatte ennå).", "Log out: nobody is logged in (there are no staff yet).";
    err_logout_result => "Logg ut: trykk Enter for neste salg først.", "Log out: press Enter for the next sale first.";
    logged_out => "Logget ut.", "Logged out.";
}

/// The training manager of `--demo` (name and PIN are printed on the screen in demo only).
pub const TRAINING_MANAGER: &str = "Øvingsleder";
/// The training manager's PIN (`--demo` only).
pub const TRAINING_PIN: &str = "1234";

fn toast(app: &mut App, kind: ToastKind, text: Text, secs: i64) {
    app.toast = Some(Toast {
        kind,
        text,
        until: app.now + time::Duration::seconds(secs),
    });
}

fn fixed(app: &mut App, f: fn(Lang) -> &'static str) {
    toast(
        app,
        ToastKind::Error,
        Text::new(f(Lang::Nb), f(Lang::En)),
        30,
    );
}

/// A login problem: shown in the login box (wrapped, it can be long), not in the toast line.
fn refused(app: &mut App, text: Text) {
    app.login.error = Some(text);
    app.toast = None;
}

/// Show the login screen (empty masked PIN line).
pub fn show_login(app: &mut App) {
    app.screen = Screen::Login;
    app.prompt = Some(Prompt::LoginPin);
    app.search = None;
    app.pending = None;
    app.manager.asking = None;
    app.input.reset();
}

/// Enter on the login screen: send the PIN to the staff journal.
pub fn submit(app: &mut App) -> Vec<Command> {
    let pin = app.input.value().trim().to_string();
    app.input.reset();
    if app.login.waiting.is_some() {
        refused(app, Text::new(L::err_busy(Lang::Nb), L::err_busy(Lang::En)));
        return Vec::new();
    }
    if pin.is_empty() {
        refused(
            app,
            Text::new(L::err_empty(Lang::Nb), L::err_empty(Lang::En)),
        );
        return Vec::new();
    }
    app.login.error = None;
    app.login.next_request_id = app.login.next_request_id.wrapping_add(1);
    let request_id = app.login.next_request_id;
    app.login.waiting = Some(request_id);
    app.pin_window.pending = Some(secrecy::SecretString::from(pin.clone()));
    toast(
        app,
        ToastKind::Info,
        Text::new(L::checking(Lang::Nb), L::checking(Lang::En)),
        30,
    );
    vec![Command::Login {
        request_id,
        pin: ManagerPin::new(pin),
    }]
}

/// The staff journal answered a login.
pub fn on_logged_in(app: &mut App, request_id: u64, result: Result<Cashier, Text>) -> Vec<Command> {
    if app.login.waiting != Some(request_id) {
        return Vec::new();
    }
    app.login.waiting = None;
    app.toast = None;
    let pin = app.pin_window.pending.take();
    app.pin_window.open = None;
    match result {
        Ok(cashier) => {
            // A manager is not asked for the PIN again within ui.manager_pin_window_secs.
            let window = time::Duration::try_from(app.rules.manager_pin_window)
                .unwrap_or(time::Duration::ZERO);
            if cashier.role == crate::domain::staff::Role::Manager && window.is_positive() {
                app.pin_window.open = pin.map(|p| (p, app.now + window));
            }
            let text = Text::new(
                format!(
                    "Logget inn: {} ({}).",
                    cashier.name,
                    cashier.role.label().nb
                ),
                format!("Logged in: {} ({}).", cashier.name, cashier.role.label().en),
            );
            app.login.cashier = Some(cashier);
            app.login.error = None;
            if app.screen == Screen::Login {
                app.screen = Screen::Sale;
                app.prompt = None;
                app.input.reset();
            }
            toast(app, ToastKind::Info, text, 4);
        }
        Err(reason) => refused(app, reason),
    }
    Vec::new()
}

/// Ctrl-L on the sale screen: journal the logout and go back to the login screen. Refused while
/// the basket has lines or a payment runs (the sale belongs to whoever started it).
pub fn logout(app: &mut App) -> Vec<Command> {
    let paying = app.screen == Screen::Paying || app.cash.as_ref().is_some_and(|c| c.pending);
    if paying {
        fixed(app, L::err_logout_paying);
        return Vec::new();
    }
    if app.screen == Screen::Result {
        fixed(app, L::err_logout_result);
        return Vec::new();
    }
    if !app.basket.is_empty() || app.screen != Screen::Sale {
        fixed(app, L::err_logout_basket);
        return Vec::new();
    }
    app.pin_window = crate::tui::app::PinWindow::default();
    let Some(cashier) = app.login.cashier.take() else {
        fixed(app, L::err_logout_nobody);
        return Vec::new();
    };
    app.selected = None;
    app.login.required = true;
    show_login(app);
    toast(
        app,
        ToastKind::Info,
        Text::new(L::logged_out(Lang::Nb), L::logged_out(Lang::En)),
        4,
    );
    vec![Command::Logout {
        staff_id: cashier.staff_id,
    }]
}

/// Ctrl-L (the sale screen's logout key) pressed on the payment, waiting or result screen,
/// where it is not bound: say why logging out has to wait instead of ignoring it.
pub fn logout_elsewhere(
    app: &mut App,
    key: &ratatui::crossterm::event::KeyEvent,
) -> Option<Vec<Command>> {
    let elsewhere = matches!(
        app.screen,
        Screen::Payment | Screen::Paying | Screen::Result
    );
    if !elsewhere
        || app.is_kiosk()
        || app.help
        || app.prompt.is_some()
        || app.keymap.lookup(crate::tui::keymap::Mode::Sale, key)
            != Some(crate::tui::keymap::Action::Logout)
    {
        return None;
    }
    Some(logout(app))
}

/// The status bar's "who is logged in" text in at most `room` characters: "name (role)",
/// else the name, else the name cut with "…". `None` when nobody is logged in.
pub fn status_text(app: &App, room: usize) -> Option<String> {
    let c = app.login.cashier.as_ref()?;
    let full = format!("{} ({})", c.name, c.role.label().get(app.lang));
    if full.chars().count() <= room {
        return Some(full);
    }
    if c.name.chars().count() <= room {
        return Some(c.name.clone());
    }
    let mut s: String = c.name.chars().take(room.saturating_sub(1).max(1)).collect();
    s.push('…');
    Some(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn app_with(name: &str) -> App {
        let ctx = crate::tui::RunContext {
            environment: crate::tui::EnvLabel::Test,
            msn: "123456".into(),
            vipps_api: crate::domain::money::VippsApi::Epayment,
            lang: Lang::En,
            currency: crate::domain::money::Currency::Nok,
            kiosk: None,
            catalog: crate::tui::catalog::Catalog::demo().unwrap(),
            keymap: crate::tui::keymap::Keymap::default_keymap().unwrap(),
            theme: crate::tui::theme::Theme::default_theme().unwrap(),
            demo: false,
            clock: std::sync::Arc::new(crate::clock::ManualClock::fixed()),
            utc_offset: time::UtcOffset::UTC,
            tick: std::time::Duration::from_millis(250),
            manager_pins: true,
            login_required: true,
            rules: crate::tui::ScreenRules::default(),
            cashier: Some(Cashier {
                staff_id: "st002".into(),
                name: name.into(),
                role: crate::domain::staff::Role::Cashier,
            }),
        };
        App::new(&ctx)
    }

    #[test]
    fn status_text_drops_the_role_then_cuts_the_name_to_fit() {
        let app = app_with("Kari Nordmann");
        assert_eq!(
            status_text(&app, 40).as_deref(),
            Some("Kari Nordmann (cashier)")
        );
        assert_eq!(status_text(&app, 15).as_deref(), Some("Kari Nordmann"));
        assert_eq!(status_text(&app, 6).as_deref(), Some("Kari …"));
        let mut nobody = app_with("x");
        nobody.login.cashier = None;
        assert_eq!(status_text(&nobody, 40), None);
    }
}
